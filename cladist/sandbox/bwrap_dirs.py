"""The host dir of a bubblewrap sandbox: where it goes, making it, removing it.

``<root>/cladist-<run>-<role>-<random>/`` holds the labels file (JSON, read by
``cladist sandbox cleanup``) and the sandbox's own ``workspace/``, ``tmp/`` and ``home/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cladist.sandbox.contract import SandboxUnavailable

LABELS_FILE = ".cladist-labels.json"
SUBDIRS = ("workspace", "tmp", "home")


def sandbox_tmp_root() -> Path:
    """Where bubblewrap sandboxes keep their dirs: ``$CLADIST_SANDBOX_TMP`` or the temp dir."""
    return Path(os.environ.get("CLADIST_SANDBOX_TMP") or tempfile.gettempdir())


def make_dirs(root: str, labels: bytes, owner: tuple[int, int] | None) -> None:
    """Create the sandbox dir ``root`` (0711, parents as needed) with its labels file and
    the sandbox's own ``workspace``, ``tmp`` and ``home`` (0755, owned by ``owner``)."""
    try:
        os.mkdir(root, 0o711)
    except FileNotFoundError:
        os.makedirs(root, 0o711)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        out = os.open(LABELS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
        try:
            os.write(out, labels)
        finally:
            os.close(out)
        for sub in SUBDIRS:
            os.mkdir(sub, 0o755, dir_fd=fd)
            if owner is not None:
                os.chown(sub, *owner, dir_fd=fd, follow_symlinks=False)
    finally:
        os.close(fd)


def remove_dirs(root: str) -> None:
    """Remove the sandbox dir ``root``: empty subdirs one by one (the common, cheap
    case), anything else recursively. Never raises."""
    try:
        for sub in SUBDIRS:
            os.rmdir(f"{root}/{sub}")
        os.unlink(f"{root}/{LABELS_FILE}")
        os.rmdir(root)
    except OSError:
        shutil.rmtree(root, ignore_errors=True)


def check_traversable(folder: Path) -> None:
    """Raise SandboxUnavailable unless an unprivileged uid can reach ``folder``."""
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise SandboxUnavailable(
                f"{parent} is not traversable by other users, so the sandbox uid cannot "
                "reach it: use folders like /tmp (for the workspace: CLADIST_SANDBOX_TMP)")
