"""The bubblewrap fork server: a small separate process that starts sandbox commands.

Run by :mod:`cladist.sandbox.bubblewrap.spawner` as ``python -I -S spawn_helper.py FD LIMITS N UID
GID`` (standard library only; cladist never imports it). Python cannot vfork a child that
drops its uid or sets rlimits: it forks, which costs about a millisecond even for a small
process (more for the large cladist one), and more again when the child runs Python code.
This process sets the rlimits (``LIMITS``: JSON ``[[resource, value], ...]``, soft = hard)
and drops to ``UID``/``GID`` with no supplementary groups (``-``: stays as it is) once, at
start, after every import (the interpreter may live where that uid cannot read); each
command is then a plain vfork+exec (subprocess's C path) inheriting both.

Protocol on the SOCK_SEQPACKET socket ``FD``: a request is one short message carrying
file descriptors: a reply socket, stdin, stdout, stderr, one more passed to the command as
fd ``N`` (a number the server keeps reserved), and a memory file holding the JSON
``{"argv", "env"}`` (a socket message would cap the command line near 200 KiB). The child starts a
new session, closes every other fd and execs ``argv``. The server answers ``{"pid"}`` (or
``{"error", "errno"}``) on the reply socket at once, then ``{"code"}`` (as ``Popen.returncode``)
when the child exits. It exits when the control socket closes (its user is gone); every
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
    msg, fds, _, _ = socket.recv_fds(ctl, 64, 8)
    if not msg:
        return False
    reply = socket.socket(fileno=fds[0])
    try:
        stdin, stdout, stderr, extra, request = fds[1:6]
        req = json.loads(_read_all(request))
        os.dup2(extra, target)
        try:
            proc = subprocess.Popen(req["argv"], env=req["env"], stdin=stdin, stdout=stdout,
                                    stderr=stderr, pass_fds=(target,),
                                    start_new_session=True)
        finally:
            os.dup2(hold, target, inheritable=False)
        pidfd = os.pidfd_open(proc.pid)
    except Exception as exc:  # noqa: BLE001 - the caller gets the reason
        reply.send(json.dumps({"error": f"{type(exc).__name__}: {exc}",
                               "errno": getattr(exc, "errno", None)}).encode())
        reply.close()
        return True
    finally:
        for fd in fds[1:]:
            os.close(fd)
    reply.send(json.dumps({"pid": proc.pid}).encode())
    sel.register(pidfd, selectors.EVENT_READ, (proc, reply))
    return True


def _read_all(fd: int) -> bytes:
    """The whole content of the memory file ``fd`` (from its start)."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def main() -> None:
    """Set the rlimits, drop the uid, then serve requests until the control socket
    closes. (Ctrl-C never reaches it: it runs in a session of its own.)"""
    ctl_fd, limits, target, uid, gid = sys.argv[1:6]
    for which, value in json.loads(limits):
        resource.setrlimit(which, (value, value))
    if uid != "-":
        os.setgroups([])
        os.setgid(int(gid))
        os.setuid(int(uid))
    ctl = socket.socket(fileno=int(ctl_fd) if int(ctl_fd) != int(target)
                        else os.dup(int(ctl_fd)))
    hold = os.open(os.devnull, os.O_RDONLY)
    os.dup2(hold, int(target), inheritable=False)  # reserved: no pidfd or socket takes it
    sel = selectors.DefaultSelector()
    sel.register(ctl, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                if not _start(ctl, sel, int(target), hold):
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
