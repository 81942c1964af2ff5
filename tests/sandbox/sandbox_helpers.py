"""Helpers of the sandbox suites: known backend differences and host-side probes.

``KNOWN_DIFFERENCES`` lists, per backend, where it departs from the contract's common
behaviour; tests consult it rather than silently skipping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from cladist.sandbox import Sandbox

BACKEND_PARAMS = ["docker", "bubblewrap"]

KNOWN_DIFFERENCES: dict[str, set[str]] = {
    # Docker: the cgroup OOM killer SIGKILLs the process (exit 137); the cgroup's oom_kill
    # counter marks oom_killed. spec.image is used; the user is the image's `agent` (1000).
    # A background process that detached from the command's output keeps running until
    # the sandbox closes; one still holding the output is killed when the command exits.
    # Disk: the workdir, /tmp and the home dir are tmpfs of their own: the workdir gets
    # Limits.disk and Limits.inodes, /tmp and home a quarter each; tmpfs is RAM, so the
    # memory cgroup is Limits.memory plus their room (processes may use what is unused).
    "docker": {"oom_is_sigkill", "uses_image", "agent_user_1000",
               "detached_background_survives", "disk_split_per_path"},
    # bubblewrap: memory is RLIMIT_AS, so an allocation fails inside the process (Python:
    # MemoryError, exit 1) and oom_killed is inferred from the error text; the host's /usr
    # and /etc are the toolchain (spec.image ignored); a fresh uid per sandbox; CPU shares
    # are not limited; a timeout always reports 124 (the host kills the PID namespace).
    # Each exec is its own PID namespace, so background processes end with the exec.
    # Disk (as root): the workdir, /tmp, home and /dev/shm share one tmpfs of Limits.disk
    # and Limits.inodes.
    "bubblewrap": {"oom_is_allocation_failure", "host_toolchain", "random_uid",
                   "no_cpu_limit", "no_background_processes", "disk_shared"},
}

SandboxFactory = Callable[..., Sandbox]


def differs(backend: str, what: str) -> bool:
    """True if ``backend`` has the known difference ``what``."""
    return what in KNOWN_DIFFERENCES[backend]


def leftover_processes(sandbox: Sandbox, settle: bool = True) -> list[str]:
    """Commands still running in ``sandbox`` besides its own PID 1 / TTL process.

    Docker: ``ps`` in the container. bubblewrap: host processes of the sandbox's uid but
    its fork server (each exec has its own PID namespace, so nothing may survive the exec).
    ``settle`` waits a little for killed processes to go.
    """
    from cladist.sandbox.bubblewrap import BubblewrapSandbox

    if isinstance(sandbox, BubblewrapSandbox):
        for _ in range(100):  # the kernel tears a PID namespace down asynchronously
            server = sandbox._server
            found = _uid_processes(sandbox._uid, spare=server.pid if server else None)
            if not found or not settle:
                break
            time.sleep(0.02)
        return found
    for _ in range(20):  # killed processes may take a moment to go on a loaded host
        found = _container_processes(sandbox)
        if not found or not settle:
            break
        time.sleep(0.25)
    return found


def _container_processes(sandbox: Sandbox) -> list[str]:
    """``ps`` lines of the container minus docker-init, the TTL process and ps itself."""
    listing = sandbox.exec(["ps", "-eo", "pid=,args="]).out.splitlines()
    ttl = f"sleep {sandbox.spec.limits.ttl_s}"
    listing = [line for line in listing if line.split(None, 1)[-1].strip() != ttl]
    return [line for line in listing if "docker-init" not in line and "ps -eo" not in line]


def _uid_processes(uid: int, spare: int | None = None) -> list[str]:
    """Command lines of the host's live (non-zombie) processes owned by ``uid``, but the
    process ``spare``."""
    from cladist.sandbox.bubblewrap.exec_io import uid_processes

    found = []
    for entry in uid_processes(uid, spare):
        try:
            found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # it ended meanwhile
    return found


def host_rss_bytes() -> int:
    """Resident memory of this test process right now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def disk_room(backend: str, box: Sandbox, place: str) -> tuple[int, int]:
    """(bytes, inodes) the sandbox's ``place`` (``workdir``, ``tmp`` or ``home``) may hold
    by its limits (see the ``disk_*`` known differences)."""
    limits = box.spec.limits
    if differs(backend, "disk_split_per_path") and place != "workdir":
        return limits.disk_bytes // 4, limits.inodes // 4
    return limits.disk_bytes, limits.inodes


def host_free(path: str = "/") -> tuple[int, int]:
    """(free bytes, free inodes) of the host file system holding ``path``."""
    import os

    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize, st.f_favail
