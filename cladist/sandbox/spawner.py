"""Start bubblewrap commands through fork servers (see :mod:`cladist.sandbox.spawn_helper`).

Python cannot vfork a child that must drop its uid or set rlimits: it forks the whole
(large) cladist process and runs Python code in the child, which costs milliseconds per
command. A fork server is a small process holding a set of rlimits, started on first use
once per cladist process and set of limits, that forks, drops to the sandbox's uid and
execs with no Python code in the child. :func:`spawn` returns a :class:`Spawned` that
behaves like the parts of ``subprocess.Popen`` the bubblewrap backend uses.
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
_servers: dict[tuple[int, tuple[tuple[int, int], ...]],
               tuple[int, socket.socket, subprocess.Popen[bytes]]] = {}


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
            # no answer: the fork server died, and its children died with it
            self._code = int(json.loads(data)["code"]) if data else -9
        return self._code


def _connect(target: int, limits: tuple[tuple[int, int], ...]) -> socket.socket:
    """The control socket of this process's fork server for ``limits`` passing an extra
    fd as ``target``, started if needed (again after a fork of this process or the death
    of the server)."""
    found = _servers.get((target, limits))
    if found is not None and found[0] == os.getpid() and found[2].poll() is None:
        return found[1]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(_HELPER), str(theirs.fileno()),
             json.dumps(limits), str(target)], pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    finally:
        theirs.close()
    _servers[(target, limits)] = (os.getpid(), ours, proc)
    return ours


def spawn(argv: list[str], env: dict[str, str], *, uid: int | None, gid: int | None,
          limits: list[tuple[int, int]], stdin: bool, extra_fd: tuple[int, int]) -> Spawned:
    """Start ``argv`` with ``env`` in a new session, as ``uid`` / ``gid`` (None: as this
    process), with rlimits ``limits`` ((resource, value) pairs, soft = hard), stdout and
    stderr as pipes, stdin a pipe when ``stdin`` (else /dev/null), and our fd
    ``extra_fd[1]`` passed on as fd ``extra_fd[0]`` (above 2). Raises OSError when it
    cannot start."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if stdin else (os.open(os.devnull, os.O_RDONLY), None)
    reply, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    request = json.dumps({"argv": argv, "env": env, "uid": uid, "gid": gid}).encode()
    ours = [out_r, err_r, *([in_w] if in_w is not None else [])]
    try:
        with _lock:
            ctl = _connect(extra_fd[0], tuple((int(r), int(v)) for r, v in limits))
            socket.send_fds(ctl, [request], [theirs.fileno(), in_r, out_w, err_w,
                                             extra_fd[1]])
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
