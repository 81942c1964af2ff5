"""List helpers."""


def largest(values):
    """Return the largest item of a non-empty list."""
    best = values[0]
    for v in values:
        if v > best:
            best = v
    return best
