"""Parsing numbers found in reports."""

import re

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")


def parse_number(text):
    """A float from text like "12", "-3.5", " 7 " or "1,200.50"; ValueError otherwise."""
    cleaned = text.strip()
    if not _NUMBER.match(cleaned):
        raise ValueError(f"not a number: {text!r}")
    return float(cleaned.replace(",", ""))
