"""Bubblewrap backend of the sandbox contract, for hosts without Docker.

A sandbox is a host temp dir ``cladist-<run>-<role>-<random>`` (in ``$CLADIST_SANDBOX_TMP``
or the system temp dir) holding ``workspace/``, ``tmp/``, ``home/`` and ``shm/``; each
``exec`` is one ``bwrap`` call with every namespace unshared (no network), an empty tmpfs
root with only ``/usr`` and ``/etc`` (plus the ``/bin``-style links) bound read-only, the
workspace bound read-write at ``spec.workdir``, a private ``/tmp`` and ``/dev/shm``, a
read-only ``/dev`` (its device nodes still work), a clean environment and new session.
Run as root, cladist runs bwrap as an unprivileged uid no other open sandbox has, so host
files stay protected and ``RLIMIT_NPROC`` counts this sandbox only. Limits are rlimits:
address space (memory), processes (pids), no core dumps; CPU shares are not limited. On
timeout the ``bwrap`` process group is killed; its PID namespace dies with it, taking every
grandchild along. ``spec.image`` is ignored.

Disk. Run as root, the sandbox dir is a tmpfs of its own mounted on the host (see
:mod:`cladist.sandbox.bubblewrap.dirs`) of ``Limits.disk`` bytes and ``Limits.inodes`` inodes:
the workspace, ``/tmp``, the home dir and ``/dev/shm`` share that bound, it takes host RAM
rather than disk, it is unmounted at close (and by ``cladist sandbox cleanup`` after a
crash), and ``disk_full`` is read from its free blocks and inodes on the host after each
command. Run as an ordinary user (no right to mount), only ``RLIMIT_FSIZE`` applies: no
single file grows past ``Limits.disk`` (the kernel stops the write with SIGXFSZ), but the
total and the number of files are not bounded (they land on the host's disk); there
``disk_full`` means a command was killed by SIGXFSZ (exit 153) or the host file system
holding the sandbox dir is full.

Commands start through a small fork server (:mod:`cladist.sandbox.bubblewrap.spawner`) that holds
the rlimits and the uid, so neither the large cladist process nor the server forks per
command (a vfork+exec does); servers are pooled per process, and a uid is reused only once
nothing of its previous sandbox runs and its dirs are gone. bwrap blocks
on ``--block-fd`` once the sandbox is set up, before the command runs: the one byte put
there beforehand is gone afterwards only if setup succeeded, which tells a bwrap failure
(SandboxUnavailable) from a command that merely prints like one, with no wrapper process.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import resource
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from cladist.sandbox.bubblewrap.dirs import (
    check_traversable,
    make_dirs,
    remove_dirs,
    sandbox_tmp_root,
)
from cladist.sandbox.bubblewrap.exec_io import (
    kill_group,
    pump,
    ready_taken,
    start_writer,
    wait_uid_gone,
)
from cladist.sandbox.bubblewrap.spawner import ForkServer, Spawned, give_back, lease
from cladist.sandbox.common import BaseSandbox, OutputCollector, new_exec_id
from cladist.sandbox.contract import (
    NAME_PREFIX,
    ExecResult,
    SandboxClosed,
    SandboxSpec,
    SandboxUnavailable,
)
from cladist.sandbox.disk import space_of

_OOM_SIGNS = (b"MemoryError", b"Cannot allocate memory", b"std::bad_alloc", b"out of memory")
_SYSTEM_DIRS = ("usr", "etc")
_READY_FD = 9
_LINK_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


def bwrap_path() -> str:
    """Path of the ``bwrap`` binary. Raises SandboxUnavailable if it is not installed."""
    found = _which_bwrap(os.environ.get("PATH", os.defpath))
    if not found:
        raise SandboxUnavailable("bubblewrap is not installed: apt-get install bubblewrap "
                                 "(or use sandbox.backend=docker)")
    return found


@functools.lru_cache(maxsize=4)
def _which_bwrap(path: str) -> str | None:
    return shutil.which("bwrap", path=path)


@functools.lru_cache(maxsize=1)
def _system_args() -> tuple[str, ...]:
    """The read-only system part of every bwrap command line (the same for every sandbox
    of this process): ``/usr`` and ``/etc``, and the ``/bin``-style links as on the host.
    bwrap's own root is a fresh tmpfs, made read-only once everything is mounted."""
    args = ["--unshare-all", "--die-with-parent", "--new-session", "--hostname", "cladist"]
    for name in _SYSTEM_DIRS:
        args += ["--ro-bind", f"/{name}", f"/{name}"]
    for name in _LINK_DIRS:
        host = f"/{name}"
        if os.path.islink(host):
            args += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            args += ["--ro-bind", host, host]
    return (*args, "--dev", "/dev", "--proc", "/proc")


class BubblewrapSandbox(BaseSandbox):
    """A workspace on the host whose commands run under bubblewrap.

    Raises SandboxUnavailable when bwrap is missing or the sandbox dir cannot be made.
    """

    def __init__(self, spec: SandboxSpec) -> None:
        self.spec = spec
        self._bwrap = bwrap_path()
        self._as_root = os.geteuid() == 0
        stem = "-".join(p for p in (spec.run_id, spec.role) if p)
        self._name = f"{NAME_PREFIX}{stem + '-' if stem else ''}{uuid.uuid4().hex[:10]}"
        self.root = sandbox_tmp_root() / self._name
        self._procs: set[Spawned] = set()
        self._lock = threading.Lock()
        self._deadline = time.monotonic() + spec.limits.ttl_s
        root = str(self.root)
        self._mounts = ["--bind", f"{root}/tmp", "/tmp", "--bind", f"{root}/home",
                        "/home/sandbox", "--bind", f"{root}/workspace", spec.workdir,
                        "--bind", f"{root}/shm", "/dev/shm", "--remount-ro", "/dev"]
        for mount in spec.all_mounts():
            flag = "--ro-bind" if mount.read_only else "--bind"
            self._mounts += [flag, str(Path(mount.source).resolve()), mount.target]
            if self._as_root:
                check_traversable(Path(mount.source).resolve().parent)
        if self._as_root:
            check_traversable(self.root.parent)
        try:  # as root, a server with a uid no other open sandbox has
            self._server: ForkServer | None = lease(fresh_uid=self._as_root,
                                                    limits=self._rlimits(), target=_READY_FD)
        except OSError as exc:
            raise SandboxUnavailable(f"cannot start the bubblewrap fork server: {exc}") from None
        self._uid = self._server.uid if self._server.uid is not None else os.getuid()
        self._gid = self._uid if self._as_root else os.getgid()
        self._reusable = True  # nothing of this sandbox may outlive it (see _close)
        limits = spec.limits
        try:  # as root, on a tmpfs of its own: the disk limit
            make_dirs(root, json.dumps(spec.all_labels()).encode(),
                      (self._uid, self._gid) if self._as_root else None,
                      (limits.disk_bytes, limits.inodes) if self._as_root else None)
        except OSError as exc:
            self.close()
            raise SandboxUnavailable(f"cannot create sandbox dir {self.root}: {exc}") from None

    def _argv(self, argv: list[str], cwd: str | None, env: Mapping[str, str]) -> list[str]:
        args = [self._bwrap, *_system_args(), *self._mounts, "--remount-ro", "/",
                "--chdir", cwd or self.spec.workdir, "--clearenv",
                "--block-fd", str(_READY_FD)]
        for key, value in env.items():
            args += ["--setenv", key, value]
        return [*args, "--", *argv]

    def _rlimits(self) -> list[tuple[int, int]]:
        """The rlimits (resource, value) of every command: memory, no core dumps, and as
        root (a fresh uid: the process count is this sandbox's alone) processes, else (no
        tmpfs of its own) the size of one file."""
        limits = self.spec.limits
        found = [(resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_CORE, 0)]
        if self._as_root:
            found.append((resource.RLIMIT_NPROC, limits.pids))
        else:
            found.append((resource.RLIMIT_FSIZE, limits.disk_bytes))
        return found

    def _disk_full(self, code: int) -> bool:
        """True if the sandbox's file system is full after a command (as an ordinary user:
        the command died of SIGXFSZ, or the host file system is full)."""
        try:
            full = space_of(str(self.root)).full
        except OSError:
            full = False
        return full or (not self._as_root and code == 128 + signal.SIGXFSZ)

    def _run(self, argv: list[str], *, cwd: str | None, env: Mapping[str, str] | None,
             timeout: float, input: bytes | None, cap: int) -> ExecResult:
        started = time.monotonic()
        if started > self._deadline:
            raise SandboxUnavailable(f"sandbox {self._name} outlived its ttl")
        if not self.root.is_dir():
            raise SandboxUnavailable(f"sandbox dir {self.root} is gone")
        full_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/home/sandbox",
                    "LANG": "C.UTF-8", **self.spec.env, **(env or {}),
                    "CLADIST_EXEC": new_exec_id()}
        # bwrap reads the byte from its --block-fd once the sandbox is set up: a byte
        # still there afterwards means bwrap failed before running the command.
        ready_r, ready_w = os.pipe()
        os.write(ready_w, b"x")
        os.close(ready_w)
        with self._lock:  # a close() running meanwhile kills whatever got started
            server = self._server
            if server is None:
                os.close(ready_r)
                raise SandboxClosed(f"sandbox {self._name} is closed")
            try:
                proc = server.spawn(self._argv(argv, cwd, full_env),
                                    {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                                    stdin=input is not None, extra_fd=ready_r)
            except OSError as exc:
                os.close(ready_r)
                if exc.errno == errno.E2BIG:  # the command's fault, as a shell reports it
                    return ExecResult(126, b"", b"cladist: argument list too long\n",
                                      duration=time.monotonic() - started)
                raise SandboxUnavailable(f"cannot run bwrap: {exc}") from None
            self._procs.add(proc)
        out = OutputCollector(cap)
        timed_out = False
        try:
            writer = start_writer(proc, input)
            timed_out = pump(proc, out, started + timeout)
            if timed_out or out.truncated:
                kill_group(proc, signal.SIGKILL)
            code = proc.wait()
            if writer is not None:
                writer.join(timeout=5)
        finally:
            kill_group(proc, signal.SIGKILL)
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            proc.wait()
            self._procs.discard(proc)
            if (timed_out or out.truncated) and self._as_root:
                self._reusable &= wait_uid_gone(self._uid, 5.0, spare=server.pid)
            started_ok = ready_taken(ready_r)
        if code < 0:
            code = 128 - code
        if timed_out:
            code = 124
        err = bytes(out.streams[2])
        if not started_ok and not timed_out:
            raise SandboxUnavailable(f"bubblewrap failed: {err.decode(errors='replace').strip()}")
        if code == 1 and err.startswith(b"bwrap: execvp "):  # as a shell says it
            code = 127 if b"No such file" in err else 126
        oom = code != 0 and not timed_out and any(s in err for s in _OOM_SIGNS)
        return out.result(code, started, timed_out=timed_out, oom_killed=oom,
                          disk_full=self._disk_full(code))

    def _close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
            killed = list(self._procs)
        for proc in killed:
            kill_group(proc, signal.SIGKILL)
        if killed and self._as_root and server is not None:  # let them go before rmtree
            self._reusable &= wait_uid_gone(self._uid, 5.0, spare=server.pid)
        remove_dirs(str(self.root))
        if server is not None:  # its uid is reused only once nothing of ours runs
            give_back(server, reusable=self._reusable)
