"""Errors raised by confkit."""


class ConfigSyntaxError(ValueError):
    """A line of a config file cannot be parsed; carries the line number."""

    def __init__(self, lineno, message):
        self.lineno = lineno
        super().__init__(f"line {lineno}: {message}")
