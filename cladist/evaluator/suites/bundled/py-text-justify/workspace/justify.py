"""Text justification."""


def justify(text, width):
    """Return the words of text as fully justified lines of exactly width characters."""
    raise NotImplementedError
