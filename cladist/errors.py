"""Errors a user can cause, each carrying the one-line message the CLI prints.

Every exception here is raised for a problem the user can fix (a bad config, an unknown
run id, a missing engine); the CLI prints ``str(error)`` without a traceback and exits
with ``error.exit_code``. Bugs are never wrapped in these classes.
"""

from __future__ import annotations


class CladistError(Exception):
    """Base class of user-facing errors; ``str()`` is the message printed to the user."""

    exit_code: int = 1


class ConfigError(CladistError):
    """The configuration is invalid; ``problems`` holds one line per problem."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(CladistError):
    """A command-line argument is wrong (bad option value, unknown export format)."""

    exit_code = 2


class NotFoundError(CladistError):
    """A run, node or file named by the user does not exist."""


class ArchiveError(CladistError):
    """The archive cannot be used (newer schema, corrupt database, missing git repository)."""


class ModelUnavailableError(CladistError):
    """The model provider stayed down: the command stopped early, keeping what it finished
    (the message says which run holds it)."""
