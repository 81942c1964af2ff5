"""Start bubblewrap commands through a fork server (see :mod:`cladist.sandbox.spawn_helper`).

Python cannot vfork a child that must drop its uid or set rlimits: it forks the whole
(large) cladist process, which costs milliseconds per command. The fork server is a small
process, started once per cladist process on first use, that forks, drops to the sandbox's
uid, sets the rlimits and execs. :func:`spawn` returns a :class:`Spawned` that behaves like
the parts of ``subprocess.Popen`` the bubblewrap backend uses.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

_HELPER = Path(__file__).with_name("spawn_helper.py")
_lock = threading.Lock()
_server: tuple[int, socket.socket, subprocess.Popen[bytes]] | None = None


class Spawned:
    """A command started by the fork server: ``pid`` (also its process group and session),
    ``stdin`` (a writable file, or None), ``stdout`` and ``stderr`` (readable files)."""

    def __init__(self, pid: int, reply: socket.socket, stdin_fd: int | None, stdout_fd: int,
                 stderr_fd: int):
        self.pid = pid
        self._reply = reply
        self._code: int | None = None
        self.stdin = os.fdopen(stdin_fd, "wb") if stdin_fd is not None else None
        self.stdout = os.fdopen(stdout_fd, "rb", buffering=0)
        self.stderr = os.fdopen(stderr_fd, "rb", buffering=0)

    def wait(self) -> int:
        """Wait for the exit; the return code as Popen gives it (−N for signal N)."""
        if self._code is None:
            data = self._reply.recv(4096)
            self._reply.close()
            if not data:  # the fork server died: its children died with it
                self._code = -9
            else:
                self._code = os.waitstatus_to_exitcode(json.loads(data)["status"])
        return self._code


def _connect() -> socket.socket:
    """The control socket of this process's fork server, starting one if needed."""
    global _server
    if _server is not None and _server[0] == os.getpid() and _server[2].poll() is None:
        return _server[1]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(_HELPER), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            start_new_session=True)
    finally:
        theirs.close()
    _server = (os.getpid(), ours, proc)
    return ours


def spawn(argv: list[str], env: dict[str, str], *, uid: int | None, gid: int | None,
          limits: list[tuple[int, int]], stdin: bool, extra_fds: dict[int, int]) -> Spawned:
    """Start ``argv`` (an absolute path first) with ``env`` in a new session, as ``uid`` /
    ``gid`` (None: as this process), with rlimits ``limits`` ((resource, value) pairs),
    stdout and stderr as pipes, stdin a pipe when ``stdin`` (else /dev/null), and
    ``extra_fds`` (target fd -> our fd) passed on. Raises OSError when it cannot start."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if stdin else (os.open(os.devnull, os.O_RDONLY), None)
    reply, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    targets = [0, 1, 2, *extra_fds]
    request = json.dumps({"argv": argv, "env": env, "uid": uid, "gid": gid,
                          "limits": limits, "targets": targets}).encode()
    ours = [out_r, err_r, *([in_w] if in_w is not None else [])]
    try:
        with _lock:
            ctl = _connect()
            socket.send_fds(ctl, [request], [theirs.fileno(), in_r, out_w, err_w,
                                             *extra_fds.values()])
    except OSError:
        reply.close()
        for fd in ours:
            os.close(fd)
        raise
    finally:  # from here only the fork server holds its ends: its death reads as EOF
        theirs.close()
        for fd in (in_r, out_w, err_w):
            os.close(fd)
    try:
        answer = reply.recv(4096)
    except OSError:
        answer = b""
    found = json.loads(answer) if answer else {"error": "the fork server is gone"}
    if "pid" not in found:
        reply.close()
        for fd in ours:
            os.close(fd)
        raise OSError(f"cannot start the command: {found['error']}")
    return Spawned(int(found["pid"]), reply, in_w, out_r, err_r)
