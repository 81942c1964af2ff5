"""Roman numerals."""

_PAIRS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def to_roman(number):
    """Return the Roman numeral of number (1..3999)."""
    if not isinstance(number, int) or not 1 <= number <= 3999:
        raise ValueError(f"cannot write {number!r} in Roman numerals")
    out = []
    for value, letters in _PAIRS:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def from_roman(text):
    """Return the integer written by the standard-form Roman numeral text."""
    if not isinstance(text, str) or not text:
        raise ValueError("empty numeral")
    total, i = 0, 0
    for value, letters in _PAIRS:
        while text.startswith(letters, i):
            total += value
            i += len(letters)
    if i != len(text) or total > 3999 or to_roman(total) != text:
        raise ValueError(f"not a standard Roman numeral: {text!r}")
    return total
