"""Seed agent codebases (data copied into a run as its root commit) and their launchers."""

from __future__ import annotations

import shutil
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


def prepare_agent(name_or_path: str, dest: Path) -> Path:
    """Copy an agent codebase into ``dest`` (which must not exist) ready to commit.

    A bundled agent gets the gateway client vendored as ``agent/llm_client.py``; a
    user-given folder is copied as it is. Raises NotFoundError like :func:`seed_path`.
    """
    source = seed_path(name_or_path)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    shutil.copytree(source, dest, ignore=ignore, symlinks=True)
    if name_or_path in bundled_agents() and not Path(name_or_path).is_dir():
        client = resources.files("cladist.agents") / "llm_client.py"
        (Path(dest) / "agent" / "llm_client.py").write_text(client.read_text())
    return Path(dest)
