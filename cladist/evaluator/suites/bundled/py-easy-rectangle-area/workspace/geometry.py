"""Small geometry helpers."""


def rectangle_area(width, height):
    """Return the area of a rectangle."""
    return width + height
