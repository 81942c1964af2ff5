"""Processes of a bubblewrap sandbox: output pumping, stdin feeding, killing, waiting."""

from __future__ import annotations

import os
import selectors
import threading
import time
from pathlib import Path

from cladist.sandbox.bubblewrap.spawner import Spawned
from cladist.sandbox.common import OutputCollector


def uid_processes(uid: int, spare: int | None = None) -> list[Path]:
    """``/proc`` entries of the live processes of ``uid`` but ``spare`` (a zombie waits for
    its reaper; it runs nothing)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and entry.stat().st_uid == uid
                    and entry.name != str(spare)
                    and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    not in "ZX"):
                found.append(entry)
        except OSError:
            continue
    return found


def wait_uid_gone(uid: int, limit: float, spare: int) -> bool:
    """Wait (at most ``limit`` s) until the kernel has torn down every process of ``uid``
    but ``spare`` (the sandbox's fork server); False if some still run."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not uid_processes(uid, spare):
            return True
        time.sleep(0.02)
    return False


def ready_taken(fd: int) -> bool:
    """True if bwrap took the byte from its block fd (the sandbox was set up: see
    :mod:`cladist.sandbox.bubblewrap`); closes ``fd``. The write end is closed, so an
    empty pipe reads as end of file."""
    try:
        os.set_blocking(fd, False)
        return not os.read(fd, 1)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def kill_group(proc: Spawned, sig: int) -> None:
    """Send ``sig`` to the command's whole process group (gone already: nothing)."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def start_writer(proc: Spawned, data: bytes | None) -> threading.Thread | None:
    """Feed ``data`` to the command's stdin from a thread, then close it."""
    if data is None or proc.stdin is None:
        return None
    stdin = proc.stdin

    def write() -> None:
        try:
            stdin.write(data)
            stdin.close()
        except (OSError, ValueError):
            pass  # the command exited before reading everything

    thread = threading.Thread(target=write, daemon=True, name="cladist-stdin")
    thread.start()
    return thread


def pump(proc: Spawned, out: OutputCollector, deadline: float) -> bool:
    """Read stdout/stderr into ``out`` until both close, the cap or the deadline.

    Returns True if the deadline passed.
    """
    assert proc.stdout is not None and proc.stderr is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, 1)
    sel.register(proc.stderr, selectors.EVENT_READ, 2)
    try:
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            for key, _ in sel.select(timeout=min(remaining, 1.0)):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                elif out.add(key.data, chunk):
                    return False
        return False
    finally:
        sel.close()
