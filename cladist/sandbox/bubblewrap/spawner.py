"""Start bubblewrap commands through fork servers (see ``spawn_helper.py`` beside it).

Python cannot vfork a child that must drop its uid or set rlimits: it forks the whole
(large) cladist process and runs Python code in the child, which costs milliseconds per
command. A :class:`ForkServer` is a small process that set the rlimits and dropped to the
sandbox's uid once, at start; each command is then a plain vfork+exec there.

Servers are leased (:func:`lease`) and given back (:func:`give_back`) per sandbox and kept
in a per-process pool, so a run starts one per sandbox open at the same time, not one per
sandbox: run as root, each sandbox gets a server (and so a uid) of its own, reused by a
later sandbox only once nothing of the earlier one runs any more (every command runs in a
fresh user and PID namespace, so nothing else of it survives); run as a user, sandboxes
with the same limits share one server.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
from pathlib import Path

_HELPER = Path(__file__).with_name("spawn_helper.py")
_MAX_IDLE = 8  # idle servers kept per set of limits (about 12 MB each)
_lock = threading.Lock()
_idle: dict[tuple[object, ...], list[ForkServer]] = {}
_shared: dict[tuple[object, ...], ForkServer] = {}


class Spawned:
    """A command started by a fork server: ``pid`` (also its process group and session),
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


class ForkServer:
    """A fork server process with rlimits ``limits`` ((resource, value) pairs, soft =
    hard), running as ``uid``/``gid`` with no supplementary groups (None: as this
    process), whose commands get an extra fd as their fd ``target``. Raises OSError when it
    cannot be started."""

    def __init__(self, *, uid: int | None, gid: int | None,
                 limits: tuple[tuple[int, int], ...], target: int) -> None:
        self.uid, self.key = uid, (target, limits)
        self._owner = os.getpid()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ids = ["-", "-"] if uid is None else [str(uid), str(gid)]
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_HELPER), str(theirs.fileno()),
                 json.dumps(limits), str(target), *ids], pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._sock = ours

    @property
    def pid(self) -> int:
        """The server's pid."""
        return self._proc.pid

    def usable(self) -> bool:
        """True if the server runs and belongs to this process (not to the parent of a
        fork of it)."""
        return self._owner == os.getpid() and self._proc.poll() is None

    def spawn(self, argv: list[str], env: dict[str, str], *, stdin: bool,
              extra_fd: int) -> Spawned:
        """Start ``argv`` with ``env`` in a new session, stdout and stderr as pipes, stdin a
        pipe when ``stdin`` (else /dev/null), and our fd ``extra_fd`` as its fd ``target``.
        Raises OSError when it cannot start (or the server is gone; ``errno`` is the
        start's, e.g. E2BIG for a command line over the kernel's limit)."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r, in_w = os.pipe() if stdin else (os.open(os.devnull, os.O_RDONLY), None)
        reply, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # the request travels in a memory file: a socket message is capped (about 200 KiB)
        request = os.memfd_create("cladist-spawn-request", os.MFD_CLOEXEC)
        ours = [out_r, err_r, *([in_w] if in_w is not None else [])]
        try:
            with open(request, "wb", closefd=False) as memory:
                memory.write(json.dumps({"argv": argv, "env": env}).encode())
            socket.send_fds(self._sock, [b"request"], [theirs.fileno(), in_r, out_w, err_w,
                                                        extra_fd, request])
        except OSError:
            reply.close()
            for fd in ours:
                os.close(fd)
            raise
        finally:  # from here only the server holds its ends: its death reads as EOF
            theirs.close()
            for fd in (in_r, out_w, err_w, request):
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
            raise OSError(found.get("errno") or 0, f"cannot start the command: "
                                                   f"{found['error']}")
        return Spawned(int(found["pid"]), reply, in_w, out_r, err_r)

    def close(self) -> None:
        """Stop the server; commands it started die with it (``--die-with-parent``)."""
        self._sock.close()
        if self._owner == os.getpid():
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()


def lease(*, fresh_uid: bool, limits: list[tuple[int, int]], target: int) -> ForkServer:
    """A fork server for one sandbox: with ``fresh_uid`` (as root) one of its own, running
    as a uid no other open sandbox has; else the one shared by every sandbox with these
    ``limits``. Raises OSError when a new server cannot be started."""
    frozen = tuple((int(r), int(v)) for r, v in limits)
    key: tuple[object, ...] = (target, frozen)
    with _lock:
        if not fresh_uid:
            server = _shared.get(key)
            if server is None or not server.usable():
                server = _shared[key] = ForkServer(uid=None, gid=None, limits=frozen,
                                                   target=target)
            return server
        idle = _idle.setdefault(key, [])
        while idle:
            server = idle.pop()
            if server.usable():
                return server
            server.close()
    uid = random.randint(1 << 20, 1 << 30)
    return ForkServer(uid=uid, gid=uid, limits=frozen, target=target)


def give_back(server: ForkServer, *, reusable: bool) -> None:
    """Return a server from :func:`lease` once its sandbox closed: kept for a later
    sandbox when ``reusable`` (nothing of this one runs any more), else stopped."""
    if server.uid is None:
        return  # shared
    with _lock:
        idle = _idle.setdefault(server.key, [])
        if reusable and server.usable() and len(idle) < _MAX_IDLE:
            idle.append(server)
            return
    server.close()
