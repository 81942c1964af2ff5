"""Seed agent codebases (data copied into a run as its root commit) and their launchers."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cladist.errors import NotFoundError


def bundled_agents() -> list[str]:
    """Names of the agent codebases shipped in the package."""
    root = resources.files("cladist.agents")
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and (p / "agent").is_dir())


def seed_path(name_or_path: str) -> Path:
    """Folder of a bundled agent by name, or of a user-given codebase by path.

    Raises NotFoundError when neither exists.
    """
    given = Path(name_or_path)
    if given.is_dir():
        return given.resolve()
    if name_or_path in bundled_agents():
        return Path(str(resources.files("cladist.agents") / name_or_path))
    raise NotFoundError(f"agent {name_or_path!r}: not a folder and not a bundled agent "
                        f"(bundled: {', '.join(bundled_agents())})")
