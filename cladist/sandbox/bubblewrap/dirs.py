"""The host dir of a bubblewrap sandbox: where it goes, its tmpfs, making it, removing it.

``<root>/cladist-<run>-<role>-<random>/`` holds the labels file (JSON, read by
``cladist sandbox cleanup``) and the sandbox's own ``workspace/``, ``tmp/``, ``home/`` and
``shm/``. Run as root, the dir is the mount point of a tmpfs of its own (source name
:data:`TMPFS_SOURCE`) with the sandbox's size and inode limits, so everything the sandbox
can write shares one bounded file system in RAM; the labels file is written both under
and inside it, so cleanup knows the dir whether or not the tmpfs is still mounted.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from cladist.sandbox.contract import SandboxUnavailable
from cladist.sandbox.disk import tmpfs_options

LABELS_FILE = ".cladist-labels.json"
SUBDIRS = ("workspace", "tmp", "home", "shm")
TMPFS_SOURCE = "cladist-sandbox"
"""The source name of every sandbox tmpfs (the second field after `` - `` in mountinfo)."""
_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2


def sandbox_tmp_root() -> Path:
    """Where bubblewrap sandboxes keep their dirs: ``$CLADIST_SANDBOX_TMP`` or the temp dir."""
    return Path(os.environ.get("CLADIST_SANDBOX_TMP") or tempfile.gettempdir())


def make_dirs(root: str, labels: bytes, owner: tuple[int, int] | None,
              tmpfs: tuple[int, int] | None = None) -> None:
    """Create the sandbox dir ``root`` (0711, parents as needed) with its labels file and
    the sandbox's own subdirs (0755, owned by ``owner``). ``tmpfs`` (bytes, inodes) first
    mounts a tmpfs of that size on ``root``. Raises OSError."""
    try:
        os.mkdir(root, 0o711)
    except FileNotFoundError:
        os.makedirs(root, 0o711)
    _write_labels(root, labels)
    if tmpfs is not None:
        mount_tmpfs(root, tmpfs_options(*tmpfs, 0o711))
        _write_labels(root, labels)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for sub in SUBDIRS:
            os.mkdir(sub, 0o755, dir_fd=fd)
            if owner is not None:
                os.chown(sub, *owner, dir_fd=fd, follow_symlinks=False)
    finally:
        os.close(fd)


def _write_labels(root: str, labels: bytes) -> None:
    fd = os.open(f"{root}/{LABELS_FILE}", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                 0o644)
    try:
        os.write(fd, labels)
    finally:
        os.close(fd)


def remove_dirs(root: str) -> None:
    """Remove the sandbox dir ``root``: unmount its tmpfs if it has one, then remove the
    empty subdirs one by one (the common, cheap case), anything else recursively. Never
    raises."""
    unmount(root)
    try:
        for sub in SUBDIRS:
            os.rmdir(f"{root}/{sub}")
    except FileNotFoundError:
        pass  # the tmpfs held them
    except OSError:
        shutil.rmtree(root, ignore_errors=True)
        return
    try:
        os.unlink(f"{root}/{LABELS_FILE}")
        os.rmdir(root)
    except OSError:
        shutil.rmtree(root, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return libc


def mount_tmpfs(target: str, options: str) -> None:
    """Mount a tmpfs (nosuid, nodev) with ``options`` on ``target``. Raises OSError."""
    import ctypes

    if _libc().mount(TMPFS_SOURCE.encode(), os.fsencode(target), b"tmpfs",
                     _MS_NOSUID | _MS_NODEV, options.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot mount a tmpfs on {target}: {os.strerror(err)}")


def unmount(target: str) -> None:
    """Detach the file system mounted on ``target`` (nothing if none). Never raises."""
    try:
        if os.path.ismount(target):
            _libc().umount2(os.fsencode(target), _MNT_DETACH)
    except OSError:
        pass


def sandbox_mounts() -> list[str]:
    """Mount points of this mount namespace's sandbox tmpfs (``/proc/self/mountinfo``)."""
    found = []
    with open("/proc/self/mountinfo", "rb") as info:
        for line in info:
            mine, _, theirs = line.partition(b" - ")
            fields = mine.split()
            if len(fields) > 4 and theirs.split()[:2] == [b"tmpfs", TMPFS_SOURCE.encode()]:
                path = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]),
                              fields[4])
                found.append(os.fsdecode(path))
    return found


def check_traversable(folder: Path) -> None:
    """Raise SandboxUnavailable unless an unprivileged uid can reach ``folder``."""
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise SandboxUnavailable(
                f"{parent} is not traversable by other users, so the sandbox uid cannot "
                "reach it: use folders like /tmp (for the workspace: CLADIST_SANDBOX_TMP)")
