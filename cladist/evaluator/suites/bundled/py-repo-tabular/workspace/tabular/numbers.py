"""Parsing numbers found in reports."""


def parse_number(text):
    """A float from text like "12", "-3.5" or " 7 "; ValueError otherwise."""
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
