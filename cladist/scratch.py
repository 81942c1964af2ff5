"""Scratch dirs in the system temp dir, named ``cladist-<kind>-pid<pid>-<random>``.

Their owner removes them when done; a process that dies first (SIGKILL, a run abandoning
its in-flight work) cannot, so the pid in the name lets :func:`orphans` find those whose
process is gone (``cladist sandbox cleanup`` and every resumed run remove them).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_NAME = re.compile(r"^cladist-[a-z]+-pid(\d+)-")


def make(kind: str) -> Path:
    """A new scratch dir of this process for ``kind`` (letters only). Raises OSError."""
    return Path(tempfile.mkdtemp(prefix=f"cladist-{kind}-pid{os.getpid()}-"))


def temporary(kind: str) -> tempfile.TemporaryDirectory[str]:
    """Like :func:`make`, as a context manager that removes the dir on leaving."""
    return tempfile.TemporaryDirectory(prefix=f"cladist-{kind}-pid{os.getpid()}-")


class shared:  # noqa: N801 - used like tempfile.TemporaryDirectory
    """A scratch dir other uids can pass through (0711), removed on leaving: for what a
    sandbox mounts (an agent's code), since bubblewrap run as root drops each sandbox to
    a uid of its own, which cannot enter the 0700 dirs :func:`temporary` makes."""

    def __init__(self, kind: str):
        self._dir = temporary(kind)

    def __enter__(self) -> str:
        name = self._dir.__enter__()
        os.chmod(name, 0o711)
        return name

    def __exit__(self, *exc: object) -> None:
        self._dir.__exit__(*exc)  # type: ignore[arg-type]


def orphans() -> list[Path]:
    """Scratch dirs whose process no longer runs."""
    found = []
    root = Path(tempfile.gettempdir())
    for entry in root.glob("cladist-*-pid*-*"):
        match = _NAME.match(entry.name)
        if match and entry.is_dir() and not entry.is_symlink() and not _alive(
                int(match.group(1))):
            found.append(entry)
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
