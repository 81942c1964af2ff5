"""Telling a live run from a crashed one: a lock the running process holds.

A process working on a run (``cladist run``, a resume, ``cladist eval``) holds an exclusive
``flock`` on ``<live dir>/<run id>.lock`` for as long as it works; the kernel releases it
when the process ends, however it ends (SIGKILL included), so a run whose lock nobody holds
has no process behind it, whatever its recorded status says. The lock file holds the
holder's pid, host and run folder, for messages. The live dir is per user and machine:
``$CLADIST_LIVE_DIR``, else ``cladist-live-<uid>`` in the system temp dir. Containers and
sandbox dirs carry only the run id, so the lock is keyed by it (run ids are unique folder
names: a stamp and a name).

Used by ``cladist runs`` and the viewer (a ``running`` run without its lock is shown
``crashed``), by ``--resume`` (which refuses a live run) and by ``cladist sandbox cleanup``
(which leaves a live run's sandboxes alone unless asked).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import stat
import tempfile
import time
from pathlib import Path

from cladist.errors import ArchiveError, CladistError

CRASHED = "crashed"
"""The status shown for a run recorded ``running`` whose process is gone."""


class RunLiveError(CladistError):
    """The run is being worked on by another live process."""


def live_dir() -> Path:
    """Where the run locks live (created on first use). Raises ArchiveError when that path
    is not a folder of this user (in a shared temp dir another user could have made it,
    to hold or fake the locks): set ``$CLADIST_LIVE_DIR``."""
    root = os.environ.get("CLADIST_LIVE_DIR") or os.path.join(
        tempfile.gettempdir(), f"cladist-live-{os.getuid()}")
    path = Path(root)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ArchiveError(f"{path}: the run locks' folder is not a folder of this user; "
                           "remove it or set CLADIST_LIVE_DIR")
    return path


class RunLock:
    """The exclusive lock of one run, held from :meth:`acquire` to :meth:`release` (or the
    end of the process)."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        self._fd: int | None = None

    def acquire(self, run_path: Path | str) -> RunLock:
        """Take the lock and record who holds it. Raises RunLiveError when another
        process (or another lock object of this one) holds it."""
        fd = os.open(live_dir() / f"{self.run_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        for attempt in range(3):  # a reader (holder()) holds it for an instant
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if attempt == 2:
                    os.close(fd)
                    raise RunLiveError(
                        f"run {self.run_id} is running ({_describe(holder(self.run_id))}); "
                        "wait for it, or stop that process first") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "path": str(run_path), "since": time.time()}).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Let the lock go (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def holder(run_id: str) -> dict | None:
    """Who holds ``run_id``'s lock (pid, host, path, since), or None when no live process
    does. Never raises for a missing or unreadable lock file."""
    path = live_dir() / f"{run_id}.lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:  # held: read who holds it
            try:
                return dict(json.loads(os.pread(fd, 4096, 0) or b"{}"))
            except (ValueError, TypeError):
                return {}
        return None
    finally:
        os.close(fd)


def is_live(run_id: str) -> bool:
    """Whether a live process holds ``run_id``'s lock."""
    return holder(run_id) is not None


def shown_status(run_id: str, recorded: str) -> str:
    """The status to show: ``crashed`` for a run recorded ``running`` without a live
    process, else the recorded one."""
    return CRASHED if recorded == "running" and not is_live(run_id) else recorded


def _describe(found: dict | None) -> str:
    if not found:
        return "by another process"
    return f"pid {found.get('pid', '?')} on {found.get('host', '?')}"
