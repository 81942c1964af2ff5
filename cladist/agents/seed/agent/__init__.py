"""The seed agent (placeholder): standard library only."""

__version__ = "0.0.1"
