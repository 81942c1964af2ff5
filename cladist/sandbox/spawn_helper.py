"""The bubblewrap fork server: a small separate process that starts sandbox commands.

Run by :mod:`cladist.sandbox.spawner` as ``python -I -S spawn_helper.py FD LIMITS N``
(standard library only; cladist never imports it). Python cannot vfork a child that drops
its uid or sets rlimits: it forks, and runs Python code in the child for the rlimits.
Forking the large cladist process that way costs milliseconds; this small process forks
cheaply, and since it holds the rlimits itself (``LIMITS``: JSON ``[[resource, value],
...]``, soft = hard, set once at start; one server per set of limits) its children inherit
them, so the child runs no Python code at all (subprocess's C path).

Protocol on the SOCK_SEQPACKET socket ``FD``: a request is one JSON message ``{"argv",
"env", "uid", "gid"}`` carrying file descriptors: a reply socket, stdin, stdout, stderr,
and one more passed to the command as fd ``N`` (a number the server keeps reserved). The
child starts a new session, drops to ``uid``/``gid`` with no supplementary groups (when
given), closes every other fd and execs ``argv``. The server answers ``{"pid"}`` (or
``{"error"}``) on the reply socket at once, then ``{"code"}`` (as ``Popen.returncode``)
when the child exits. It exits when the control socket closes (its parent is gone); every
bwrap it started then dies with it (``--die-with-parent``).
"""

import json
import os
import resource
import selectors
import socket
import subprocess
import sys


def _start(ctl: socket.socket, sel: selectors.BaseSelector, target: int, hold: int) -> bool:
    """Serve one request (the extra fd goes to ``target``, otherwise held by ``hold``);
    False when the parent is gone."""
    msg, fds, _, _ = socket.recv_fds(ctl, 1 << 20, 8)
    if not msg:
        return False
    reply = socket.socket(fileno=fds[0])
    try:
        req = json.loads(msg)
        stdin, stdout, stderr, extra = fds[1:5]
        os.dup2(extra, target)
        try:
            drop = ({"user": req["uid"], "group": req["gid"], "extra_groups": []}
                    if req["uid"] is not None else {})
            proc = subprocess.Popen(req["argv"], env=req["env"], stdin=stdin, stdout=stdout,
                                    stderr=stderr, pass_fds=(target,),
                                    start_new_session=True, **drop)
        finally:
            os.dup2(hold, target, inheritable=False)
        pidfd = os.pidfd_open(proc.pid)
    except Exception as exc:  # noqa: BLE001 - the caller gets the reason
        reply.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        reply.close()
        return True
    finally:
        for fd in fds[1:]:
            os.close(fd)
    reply.send(json.dumps({"pid": proc.pid}).encode())
    sel.register(pidfd, selectors.EVENT_READ, (proc, reply))
    return True


def main() -> None:
    """Set the rlimits, then serve requests until the control socket closes. (Ctrl-C
    never reaches it: it runs in a session of its own.)"""
    for which, value in json.loads(sys.argv[2]):
        resource.setrlimit(which, (value, value))
    ctl_fd, target = int(sys.argv[1]), int(sys.argv[3])
    if ctl_fd == target:
        ctl_fd = os.dup(ctl_fd)
    ctl = socket.socket(fileno=ctl_fd)
    hold = os.open(os.devnull, os.O_RDONLY)
    os.dup2(hold, target, inheritable=False)  # reserved: no pidfd or socket may take it
    sel = selectors.DefaultSelector()
    sel.register(ctl, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                if not _start(ctl, sel, target, hold):
                    return
                continue
            proc, reply = key.data
            sel.unregister(key.fd)
            os.close(key.fd)
            try:
                reply.send(json.dumps({"code": proc.wait()}).encode())
            except OSError:
                pass  # the caller gave up on it
            reply.close()


if __name__ == "__main__":
    main()
