"""What an agent's tree may hold on the host: regular files and folders, nothing else.

An agent controls every byte of its codebase and of the folders it leaves in a sandbox. A
symbolic link (to ``/proc/self/environ``, to a host file), a hard link, a device, a FIFO, a
path with ``..`` or an absolute one, or a ``.git`` folder with hooks and config would make
the host read, write or run something the agent chose. So trees are checked before they are
committed (:func:`check_tree`), patches before they are applied (:func:`check_patch`), and
tar streams before anything is written (:func:`safe_extract`). Every refusal raises
:class:`UnsafeTreeError` naming the first offending path. :func:`extract_tree` (an archived
tree into a folder) and :func:`apply_patch` (a child's patch onto a folder) are how the host
unpacks and changes agents' trees; the workers use them without the archive's storage.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tarfile
from pathlib import Path, PurePosixPath

from cladist import safegit, scratch
from cladist.archive.safetext import to_bytes
from cladist.errors import ArchiveError

GIT_DIR_NAME = ".git"
_LINK_MODES = re.compile(r"^(new file mode|new mode) (120000|160000)\s*$", re.M)
_DIFF_PATH = re.compile(r"^diff --git a/(.*) b/(.*)$")


class UnsafeTreeError(ArchiveError):
    """A tree, patch or tar stream holds something other than regular files and folders
    (a symbolic or hard link, a device, a FIFO, a socket, a nested git repository) or a
    path outside its target; the message names the first such path."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device")):
        if test(mode):
            return name
    return "special file"


def check_tree(root: Path) -> None:
    """Raise UnsafeTreeError unless everything under ``root`` (links never followed) is a
    regular file or a folder. A ``.git`` entry directly in ``root`` is skipped (git never
    stores it); one deeper down is a nested repository and refused."""
    root = Path(root)

    def failed(err: OSError) -> None:
        raise ArchiveError(f"{root}: cannot read {err.filename}: {err.strerror}")

    for folder, dirs, files in os.walk(root, onerror=failed):
        here = Path(folder)
        if here == root and GIT_DIR_NAME in dirs + files:
            (dirs if GIT_DIR_NAME in dirs else files).remove(GIT_DIR_NAME)
        for name in sorted(dirs + files):
            path = here / name
            rel = path.relative_to(root).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                raise UnsafeTreeError(f"{rel} -> {os.readlink(path)}: a symbolic link "
                                      "(agent codebases may hold only regular files and "
                                      "folders)")
            if name == GIT_DIR_NAME:
                raise UnsafeTreeError(f"{rel}: a nested git repository (agent codebases "
                                      "may not hold .git folders)")
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise UnsafeTreeError(f"{rel}: a {_kind(mode)} (agent codebases may hold "
                                      "only regular files and folders)")


def check_patch(patch: str) -> None:
    """Raise UnsafeTreeError when the unified diff ``patch`` creates a symbolic link or a
    submodule (git modes 120000 and 160000), before anything is applied."""
    for match in _LINK_MODES.finditer(patch):
        header = patch.rfind("\ndiff --git ", 0, match.start()) + 1
        line = patch[header:patch.find("\n", header)]
        found = _DIFF_PATH.match(line)
        where = found.group(2) if found else "a file"
        what = "symbolic link" if match.group(2) == "120000" else "submodule (gitlink)"
        raise UnsafeTreeError(f"the patch makes {where} a {what} (agent codebases may "
                              "hold only regular files and folders)")


def _member_path(member: tarfile.TarInfo) -> PurePosixPath | None:
    """The member's path relative to the target (None for the target itself); raises
    UnsafeTreeError for an absolute path or one with ``..``."""
    rel = PurePosixPath(member.name)
    if rel.is_absolute() or ".." in rel.parts or "\\" in member.name or "\0" in member.name:
        raise UnsafeTreeError(f"{member.name!r}: a path outside the target folder")
    parts = [p for p in rel.parts if p != "."]
    return PurePosixPath(*parts) if parts else None


def _check_member(member: tarfile.TarInfo, rel: PurePosixPath) -> None:
    if member.issym():
        raise UnsafeTreeError(f"{rel} -> {member.linkname}: a symbolic link (refused: only "
                              "regular files and folders are copied)")
    if member.islnk():
        raise UnsafeTreeError(f"{rel} => {member.linkname}: a hard link (refused: only "
                              "regular files and folders are copied)")
    if not (member.isreg() or member.isdir()):
        kind = {tarfile.CHRTYPE: "character device", tarfile.BLKTYPE: "block device",
                tarfile.FIFOTYPE: "FIFO"}.get(member.type, f"tar entry of type {member.type!r}")
        raise UnsafeTreeError(f"{rel}: a {kind} (refused: only regular files and folders "
                              "are copied)")


def safe_extract(data: bytes, dest: Path, *, skip_git: bool = False) -> Path:
    """Write the plain tar ``data`` into the folder ``dest`` (created) after checking every
    member: only regular files and folders, every path inside ``dest``. Nothing is written
    when a member is refused. ``skip_git`` leaves out every path with a ``.git`` component
    (a sandbox's repository, its hooks and config never reach the host).

    Raises UnsafeTreeError for a refused member or an unreadable stream.
    """
    dest = Path(dest)
    chosen: list[tarfile.TarInfo] = []
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except tarfile.TarError as err:
        raise UnsafeTreeError(f"not a readable tar stream: {err}") from None
    with tar:
        try:
            members = tar.getmembers()
        except tarfile.TarError as err:
            raise UnsafeTreeError(f"not a readable tar stream: {err}") from None
        for member in members:
            rel = _member_path(member)
            if rel is None or (skip_git and GIT_DIR_NAME in rel.parts):
                continue
            _check_member(member, rel)
            member.name = rel.as_posix()
            chosen.append(member)
        dest.mkdir(parents=True, exist_ok=True)
        try:
            tar.extractall(dest, members=chosen, filter="data")
        except (tarfile.TarError, OSError) as err:
            raise UnsafeTreeError(f"cannot unpack into {dest}: {err}") from None
    return dest


class PatchRejected(ArchiveError):
    """A patch does not apply to the tree it was meant for (git's reason in the message)."""


def extract_tree(data: bytes, dest: Path) -> Path:
    """Write a tree packed by :meth:`AgentRepo.archive_bytes` (plain tar) into ``dest``
    (created; must be empty if it exists), refusing links, devices, FIFOs and paths outside
    ``dest`` before anything is written. Raises ArchiveError for a non-empty ``dest``,
    UnsafeTreeError for a refused member."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ArchiveError(f"{dest}: destination is not empty")
    return safe_extract(data, dest)


def apply_patch(work: Path, patch: str) -> None:
    """Apply a unified diff to the files under ``work`` with a hardened ``git apply`` (no
    repository needed). Raises UnsafeTreeError when the patch would create a symbolic link
    or a submodule (nothing is applied), PatchRejected with git's reason when it does not
    apply."""
    check_patch(patch)
    with scratch.temporary("patch") as tmp:
        patch_file = Path(tmp) / "change.patch"
        patch_file.write_bytes(to_bytes(patch))
        try:
            safegit.run(["apply", "--whitespace=nowarn", str(patch_file)], git_dir=None,
                        cwd=work)
        except safegit.GitFailed as err:
            why = str(err).removeprefix("git apply failed: ")
            raise PatchRejected(f"patch does not apply: {why[:500]}") from None
