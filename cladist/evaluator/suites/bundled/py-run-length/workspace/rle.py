"""Run-length encoding."""


def encode(text):
    """Return the run-length encoding of text."""
    raise NotImplementedError


def decode(data):
    """Return the text whose run-length encoding is data."""
    raise NotImplementedError
