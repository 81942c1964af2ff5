// Package rpn evaluates reverse Polish notation.
package rpn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors returned by Eval.
var (
	ErrEmpty          = errors.New("empty expression")
	ErrUnknownToken   = errors.New("unknown token")
	ErrStackUnderflow = errors.New("stack underflow")
	ErrDivisionByZero = errors.New("division by zero")
	ErrLeftover       = errors.New("more than one value left")
)

func need(stack []int, n int, token string) error {
	if len(stack) < n {
		return fmt.Errorf("%w: %q needs %d values", ErrStackUnderflow, token, n)
	}
	return nil
}

// Eval evaluates an integer RPN expression.
func Eval(expr string) (int, error) {
	tokens := strings.Fields(expr)
	if len(tokens) == 0 {
		return 0, ErrEmpty
	}
	var stack []int
	for _, tok := range tokens {
		if n, err := strconv.Atoi(tok); err == nil {
			stack = append(stack, n)
			continue
		}
		switch tok {
		case "+", "-", "*", "/", "swap":
			if err := need(stack, 2, tok); err != nil {
				return 0, err
			}
			a, b := stack[len(stack)-2], stack[len(stack)-1]
			stack = stack[:len(stack)-2]
			switch tok {
			case "+":
				stack = append(stack, a+b)
			case "-":
				stack = append(stack, a-b)
			case "*":
				stack = append(stack, a*b)
			case "/":
				if b == 0 {
					return 0, ErrDivisionByZero
				}
				stack = append(stack, a/b)
			case "swap":
				stack = append(stack, b, a)
			}
		case "dup", "drop":
			if err := need(stack, 1, tok); err != nil {
				return 0, err
			}
			if tok == "dup" {
				stack = append(stack, stack[len(stack)-1])
			} else {
				stack = stack[:len(stack)-1]
			}
		default:
			return 0, fmt.Errorf("%w: %q", ErrUnknownToken, tok)
		}
	}
	if len(stack) == 0 {
		return 0, fmt.Errorf("%w: nothing left", ErrStackUnderflow)
	}
	if len(stack) > 1 {
		return 0, ErrLeftover
	}
	return stack[0], nil
}
