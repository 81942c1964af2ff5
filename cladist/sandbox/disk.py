"""The disk limit of a sandbox, backend-neutral: tmpfs options and when a file system is full.

Both backends keep what the sandbox user can write on size- and inode-limited tmpfs file
systems. Whether a command ran into the limit is decided from the file system itself after
the command ended (``statvfs``: free blocks and inodes), never from anything the command
printed or returned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

BYTES_MARGIN = 1 << 20
"""Free bytes at or below which a file system counts as full (or 1/64 of a small one)."""
INODES_MARGIN = 8
"""Free inodes at or below which a file system counts as full (or 1/64 of a small one)."""


@dataclass(frozen=True)
class Space:
    """Free and total bytes and inodes of one file system."""

    free_bytes: int
    total_bytes: int
    free_inodes: int
    total_inodes: int

    @property
    def full(self) -> bool:
        """True when (almost) no byte or no inode is left: a write would fail.

        A file system that reports no inode count (0) is judged on bytes only.
        """
        byte_margin = min(BYTES_MARGIN, self.total_bytes // 64)
        inode_margin = min(INODES_MARGIN, self.total_inodes // 64)
        return ((self.total_bytes > 0 and self.free_bytes <= byte_margin)
                or (self.total_inodes > 0 and self.free_inodes <= inode_margin))


def space_of(path: str) -> Space:
    """The :class:`Space` of the file system holding ``path``; raises OSError."""
    st = os.statvfs(path)
    return Space(st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize, st.f_favail, st.f_files)


STAT_FORMAT = "%a %b %S %d %c"
"""``stat -f -c`` format giving what :func:`parse_stat` reads: free blocks, blocks, block
size, free inodes, inodes."""


def parse_stat(text: str) -> list[Space]:
    """The spaces in ``stat -f -c STAT_FORMAT`` output, one per well-formed line."""
    found = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5 and all(p.isdigit() for p in parts):
            free, blocks, size, ifree, inodes = map(int, parts)
            found.append(Space(free * size, blocks * size, ifree, inodes))
    return found


def tmpfs_options(size: int, inodes: int, mode: int, *, uid: int | None = None,
                  gid: int | None = None) -> str:
    """tmpfs's own mount options (the kernel's, no flags) for ``size`` bytes and ``inodes``
    inodes, root dir mode ``mode`` owned by ``uid``:``gid`` (the mounter if None)."""
    options = [f"size={size}", f"nr_inodes={inodes}", f"mode={mode:04o}"]
    if uid is not None:
        options += [f"uid={uid}", f"gid={gid if gid is not None else uid}"]
    return ",".join(options)
