package leap

import "testing"

func TestLeap(t *testing.T) {
	for _, tc := range testCases {
		if got := IsLeapYear(tc.year); got != tc.want {
			t.Errorf("IsLeapYear(%d) = %v, want %v", tc.year, got, tc.want)
		}
	}
}
