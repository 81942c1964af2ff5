package leap

import "testing"

func TestLeap(t *testing.T) {
	cases := map[int]bool{2015: false, 1996: true, 2100: false, 2000: true}
	for year, want := range cases {
		if got := IsLeapYear(year); got != want {
			t.Errorf("IsLeapYear(%d) = %v, want %v", year, got, want)
		}
	}
}
