"""Formatting money."""


def format_cents(cents):
    """Format integer cents as dollars, e.g. 1350 -> "$13.50"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}${cents // 100}.{cents % 100:02d}"
