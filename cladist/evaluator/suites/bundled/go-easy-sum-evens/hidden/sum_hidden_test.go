package sumevens

import "testing"

func TestSumEvens(t *testing.T) {
	cases := []struct {
		in   []int
		want int
	}{
		{[]int{1, 2, 3, 4}, 6},
		{[]int{}, 0},
		{[]int{1, 3, 5}, 0},
		{[]int{-2, -3, 10}, 8},
	}
	for _, c := range cases {
		if got := SumEvens(c.in); got != c.want {
			t.Errorf("SumEvens(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}
