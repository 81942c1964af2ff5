"""A small arithmetic expression evaluator."""


def evaluate(expression):
    """Return the value of the arithmetic expression (a string)."""
    raise NotImplementedError
