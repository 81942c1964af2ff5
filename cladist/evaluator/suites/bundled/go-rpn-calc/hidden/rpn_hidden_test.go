package rpn

import (
	"errors"
	"testing"
)

func TestValues(t *testing.T) {
	cases := map[string]int{
		"3 4 + 2 *": 14, "5": 5, "-3 2 *": -6, "10 3 /": 3, "-7 2 /": -3,
		"2 3 swap -": 1, "4 dup *": 16, "1 2 drop": 1, "  8\t2  - ": 6,
		"1 2 3 4 + + +": 10,
	}
	for expr, want := range cases {
		got, err := Eval(expr)
		if err != nil || got != want {
			t.Errorf("Eval(%q) = %d, %v; want %d, nil", expr, got, err, want)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]error{
		"": ErrEmpty, "   ": ErrEmpty, "1 +": ErrStackUnderflow, "dup": ErrStackUnderflow,
		"1 drop": ErrStackUnderflow, "1 0 /": ErrDivisionByZero, "1 2": ErrLeftover,
		"1 2 pow": ErrUnknownToken, "2 x +": ErrUnknownToken,
	}
	for expr, want := range cases {
		got, err := Eval(expr)
		if !errors.Is(err, want) || got != 0 {
			t.Errorf("Eval(%q) = %d, %v; want 0 and an error wrapping %v", expr, got, err, want)
		}
	}
}
