"""The bubblewrap fork server: a small separate process that starts sandbox commands.

Run by :mod:`cladist.sandbox.spawner` as ``python -I -S spawn_helper.py FD`` (standard
library only; cladist never imports it). Forking this small process is far cheaper than
forking the large cladist process (which Python must do, instead of vfork, whenever a child
drops its uid or sets rlimits), so each sandbox command starts faster.

Protocol on the SOCK_SEQPACKET socket ``FD``: a request is one JSON message ``{"argv",
"env", "uid", "gid", "limits": [[resource, value], ...], "targets": [fd, ...]}`` carrying
file descriptors: first a reply socket, then one per target (``0``, ``1``, ``2`` and any
others). The helper forks; the child starts a new session, drops to ``uid``/``gid`` with
no supplementary groups (when given), sets the rlimits (soft = hard), moves the passed fds
to their targets, closes every other fd and execs ``argv``. The helper answers ``{"pid"}``
(or ``{"error"}``) on the reply socket at once, then ``{"status"}`` (the raw wait status)
when the child exits. It exits when the control socket closes (its parent is gone); every
bwrap it started then dies with it (``--die-with-parent``).
"""

import json
import os
import resource
import selectors
import signal
import socket
import sys

_HIGH = 256  # received fds are first moved up here, away from every target


def _child(req: dict, fds: list) -> None:
    """In the forked child: set up and exec; never returns."""
    try:
        moved = [os.dup2(fd, _HIGH + k) for k, fd in enumerate(fds)]
        os.setsid()
        if req["uid"] is not None:
            os.setgroups([])
            os.setresgid(req["gid"], req["gid"], req["gid"])
            os.setresuid(req["uid"], req["uid"], req["uid"])
        for which, value in req["limits"]:
            resource.setrlimit(which, (value, value))
        targets = req["targets"]
        for fd, target in zip(moved, targets, strict=True):
            os.dup2(fd, target)
        keep = sorted(set(targets))
        low = 0
        for target in keep:
            if target > low:
                os.closerange(low, target)
            low = target + 1
        os.closerange(low, max(resource.getrlimit(resource.RLIMIT_NOFILE)[0],
                               _HIGH + len(fds)))
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(req["argv"][0], req["argv"], req["env"])
    except BaseException as exc:  # noqa: BLE001 - report and leave; stderr is the command's
        try:
            os.write(2, f"cladist spawner: {type(exc).__name__}: {exc}\n".encode())
        finally:
            os._exit(127)


def _start(ctl: socket.socket, sel: selectors.BaseSelector) -> bool:
    """Serve one request; False when the parent is gone."""
    msg, fds, _, _ = socket.recv_fds(ctl, 1 << 20, 64)
    if not msg:
        return False
    reply = socket.socket(fileno=fds[0])
    try:
        req = json.loads(msg)
        pid = os.fork()
        if pid == 0:
            _child(req, fds[1:])
        pidfd = os.pidfd_open(pid)
    except Exception as exc:  # noqa: BLE001 - the caller gets the reason
        reply.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        reply.close()
        return True
    finally:
        for fd in fds[1:]:
            os.close(fd)
    reply.send(json.dumps({"pid": pid}).encode())
    sel.register(pidfd, selectors.EVENT_READ, (pid, reply))
    return True


def main() -> None:
    """Serve requests until the control socket closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ctl = socket.socket(fileno=int(sys.argv[1]))
    sel = selectors.DefaultSelector()
    sel.register(ctl, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                if not _start(ctl, sel):
                    return
                continue
            pid, reply = key.data
            sel.unregister(key.fd)
            os.close(key.fd)
            _, status = os.waitpid(pid, 0)
            try:
                reply.send(json.dumps({"status": status}).encode())
            except OSError:
                pass  # the caller gave up on it
            reply.close()


if __name__ == "__main__":
    main()
