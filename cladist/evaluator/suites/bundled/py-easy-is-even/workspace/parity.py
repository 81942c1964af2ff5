"""Parity checks."""


def is_even(n):
    """Return True if the integer n is even."""
    return n % 2 == 1
