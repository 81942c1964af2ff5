"""Spiral traversal of a matrix."""


def spiral_order(matrix):
    """Return the elements of matrix in clockwise spiral order."""
    raise NotImplementedError
