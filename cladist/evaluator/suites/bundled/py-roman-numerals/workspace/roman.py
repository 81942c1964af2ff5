"""Roman numerals."""


def to_roman(number):
    """Return the Roman numeral of number (1..3999)."""
    raise NotImplementedError


def from_roman(text):
    """Return the integer written by the standard-form Roman numeral text."""
    raise NotImplementedError
