"""The Docker sandbox's disk: size- and inode-limited tmpfs mounts, the memory they need,
copying an image's files into them, and telling when one is full.

The container's root file system is read-only. What the sandbox user can write:

- the workdir: a tmpfs of ``Limits.disk`` bytes and ``Limits.inodes`` inodes, owned by
  the user;
- ``/tmp`` (mode 1777) and the user's home dir (``/root`` or a dir under ``/home``, owned
  by the user; other homes stay read-only): a tmpfs of a quarter of both each;
- ``/dev/shm`` (mode 1777, no programs run from it): a tmpfs of 64 MiB and 4096 inodes;
- the spec's writable bind mounts (the gateway's socket);
- special file systems that hold no data (``/proc``, ``/dev/mqueue`` within kernel limits);
- run as root (SWE-bench's tasks), also Docker's own ``/dev`` tmpfs: 64 MiB, but files
  without an inode limit, so only the memory cgroup bounds them (a known gap: a non-root
  user, which the tmpfs copy of ``/testbed`` now allows, closes it).

tmpfs pages are RAM charged to the container's memory cgroup, so its limit is
``Limits.memory`` plus the size of every tmpfs plus :data:`INODE_BYTES` per inode they allow:
filling them is ENOSPC, never an OOM kill, and the processes keep their ``memory``. The host
RAM one sandbox can take is that sum (defaults: memory 2 GiB + disk 1.5 x 2 GiB + 150,000
inodes x 2 KiB + 72 MiB, about 5.4 GiB); it takes no host disk. (One tmpfs shared by the
three paths, as bubblewrap has, cannot be made from Docker's API: it mounts each apart.)

Images without the ``cladist.workdir`` label (SWE-bench's: the repository is in the image at
``/testbed``, owned by root) get the image's files under the workdir and the home dir
copied into their tmpfs when the sandbox starts: the engine's archive API reads them from
the image (it never sees a tmpfs) and ``tar -x`` running as the sandbox user writes them,
so they count against the limit, and an image whose files do not fit makes the sandbox
unavailable (raise ``sandbox.disk``). Caches of the home (``.cache``) are left out; files
the image keeps elsewhere (a conda env in ``/opt``) stay read-only.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cladist.sandbox.common import OutputCollector
from cladist.sandbox.contract import Limits, SandboxUnavailable
from cladist.sandbox.disk import STAT_FORMAT, parse_stat, space_of, tmpfs_options
from cladist.sandbox.docker.exec_io import exec_exit_code, pump

if TYPE_CHECKING:
    import docker

INODE_BYTES = 2048
"""Kernel memory one tmpfs inode may take (measured: about 1 KiB), charged to the cgroup."""
SHM_TARGET, SHM_BYTES, SHM_INODES = "/dev/shm", 64 << 20, 4096
SMALL_SHARE = 4
"""``/tmp`` and the home dir each get 1/SMALL_SHARE of the disk and inode limits."""
COPY_TIMEOUT_S = 600.0
_SMALL = 1 << 16  # an archive this small may hold nothing but the dir itself
_EMPTY: set[tuple[str, str]] = set()  # (image id, path): nothing there to copy


@dataclass(frozen=True)
class DiskPlan:
    """The tmpfs mounts of one container (target -> options, as ``HostConfig.Tmpfs``), the
    size of each, the memory limit that holds them, and the targets to copy from the image."""

    tmpfs: dict[str, str]
    sizes: dict[str, int]
    memory_bytes: int
    copied: tuple[str, ...]


def disk_plan(limits: Limits, workdir: str, home: str | None, uid: int, gid: int, *,
              copy_from_image: bool) -> DiskPlan:
    """The plan for a sandbox whose user is ``uid``:``gid`` with ``home`` (None: no
    writable home; see :func:`cladist.sandbox.docker.image.writable_home`): the workdir
    gets ``Limits.disk`` and ``Limits.inodes``, ``/tmp`` and the home a quarter each."""
    size, inodes = limits.disk_bytes, limits.inodes
    room: dict[str, tuple[int, int, int, bool]] = {  # target -> size, inodes, mode, owned
        workdir: (size, inodes, 0o755, True)}
    room.setdefault("/tmp", (size // SMALL_SHARE, inodes // SMALL_SHARE, 0o1777, False))
    if home is not None:
        room.setdefault(home, (size // SMALL_SHARE, inodes // SMALL_SHARE, 0o755, True))
    room[SHM_TARGET] = (SHM_BYTES, SHM_INODES, 0o1777, False)
    tmpfs = {}
    for target, (bytes_, files, mode, owned) in room.items():
        options = tmpfs_options(bytes_, files, mode, uid=uid if owned else None,
                                gid=gid if owned else None)
        tmpfs[target] = options + (",noexec" if target == SHM_TARGET else ",exec")
    slack = sum(bytes_ + files * INODE_BYTES for bytes_, files, _, _ in room.values())
    copied = [t for t in dict.fromkeys((workdir, home)) if t is not None and t != "/tmp"]
    return DiskPlan(tmpfs, {target: r[0] for target, r in room.items()},
                    limits.memory_bytes + slack, tuple(copied) if copy_from_image else ())


def full_on_host(pid: int, sizes: dict[str, int]) -> bool | None:
    """Whether a tmpfs of ``sizes`` (target -> size) is full, read through
    ``/proc/<pid>/root`` (``pid``: the container's init on this host; needs root). None
    when that cannot be read, or what it reads is not the tmpfs mounted there."""
    full = False
    for target, size in sizes.items():
        try:
            space = space_of(f"/proc/{pid}/root{target}")
        except OSError:
            return None
        if abs(space.total_bytes - size) >= 4096:
            return None
        full = full or space.full
    return full


def probe_command(targets: list[str]) -> list[str]:
    """The command that prints the space of ``targets`` from inside the container (the
    read-only image's ``stat``; see :func:`cladist.sandbox.disk.parse_stat`)."""
    return ["stat", "-f", "-c", STAT_FORMAT, "--", *targets]


def probe_says_full(output: str) -> bool:
    """True if the output of :func:`probe_command` shows a full file system."""
    return any(space.full for space in parse_stat(output))


def copy_image_dir(api: docker.APIClient, container_id: str, image_id: str, path: str,
                   user: str, *, skip_caches: bool) -> None:
    """Copy the image's files under ``path`` into the same path (a tmpfs) of the running
    container, as ``user``. Raises SandboxUnavailable (they do not fit or the copy
    failed) and the engine's errors.

    The engine locks the container while an archive streams, so ``tar -x`` is started
    first; a dir found missing or empty is remembered per image and skipped next time.
    """
    if (image_id, path) in _EMPTY:
        return
    argv = ["tar", "-x", "--no-same-owner", "--strip-components=1", "-C", path, "-f", "-",
            *(["--exclude=.cache"] if skip_caches else [])]
    exec_id = api.exec_create(container_id, argv, stdin=True, stdout=True, stderr=True,
                              user=user, workdir="/")["Id"]
    raw = api.exec_start(exec_id, socket=True)
    sock: socket.socket = getattr(raw, "_sock", raw)
    out, sent = OutputCollector(1 << 16), _Sent()
    feeder = threading.Thread(target=_feed, args=(api, container_id, path, sock, sent),
                              daemon=True, name="cladist-image-copy")
    feeder.start()
    try:
        ending = pump(sock, out, time.monotonic() + COPY_TIMEOUT_S,
                      lambda: not api.exec_inspect(exec_id).get("Running", False))
    finally:
        sock.close()
        raw.close()
    feeder.join(timeout=30)
    if sent.missing or sent.only_the_dir:
        _EMPTY.add((image_id, path))
        return
    code = exec_exit_code(api, exec_id)
    if ending == "deadline" or code != 0 or sent.error:
        why = (out.streams[2].decode("utf-8", "replace").strip()[-300:] or sent.error
               or f"exit {code}")
        raise SandboxUnavailable(f"cannot copy the image's {path} into the sandbox ({why}); "
                                 "if it does not fit, raise sandbox.disk")


class _Sent:
    """What :func:`_feed` found: the dir missing, holding nothing, or an engine error."""

    missing = False
    only_the_dir = False
    error = ""


def _feed(api: docker.APIClient, container_id: str, path: str, sock: socket.socket,
          sent: _Sent) -> None:
    """Stream the image's ``path`` as a tar into the exec's stdin, then half-close it."""
    import docker as docker_sdk

    head = bytearray()
    try:
        stream, _ = api.get_archive(container_id, path)
        for chunk in stream:
            if len(head) <= _SMALL:
                head += chunk
            sock.sendall(chunk)
        sent.only_the_dir = len(head) <= _SMALL and _only_the_dir(bytes(head))
    except docker_sdk.errors.NotFound:
        sent.missing = True
    except Exception as exc:  # noqa: BLE001 - reported by the caller
        sent.error = f"{type(exc).__name__}: {exc}"
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _only_the_dir(data: bytes) -> bool:
    """True if the tar ``data`` holds at most the directory itself."""
    import io
    import tarfile

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            return len(tar.getmembers()) <= 1
    except tarfile.TarError:
        return False
