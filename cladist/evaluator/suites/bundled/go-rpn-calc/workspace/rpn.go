// Package rpn evaluates reverse Polish notation.
package rpn

import "errors"

// Errors returned by Eval.
var (
	ErrEmpty          = errors.New("empty expression")
	ErrUnknownToken   = errors.New("unknown token")
	ErrStackUnderflow = errors.New("stack underflow")
	ErrDivisionByZero = errors.New("division by zero")
	ErrLeftover       = errors.New("more than one value left")
)

// Eval evaluates an integer RPN expression.
func Eval(expr string) (int, error) {
	return 0, errors.New("not implemented")
}
