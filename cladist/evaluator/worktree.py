"""Work trees an agent produced, handled on the host as hostile data.

The agent's workspace leaves its sandbox as a tar stream (made inside the sandbox, so any
stream at all: absolute names, ``..``, links to host files, devices, a billion entries).
:func:`extract_untrusted` writes it into a fresh host folder under copy-back caps, dropping
every ``.git`` and every special file, and creating symlinks only as inert entries, never
following one. :func:`protect` then makes the task's protected files (tests, harness
files) what the trusted copy says, without following the agent's symlinks. Everything
after that (the patch, the graded tree) is computed from these folders by git with
cladist's own configuration (:mod:`cladist.evaluator.treepatch`).
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cladist.evaluator.patches import is_test_path


class TreeTooLarge(Exception):
    """The agent's work tree exceeds the copy-back caps (bytes or files): the agent's
    failure, recorded with this message."""


@dataclass(frozen=True)
class TreeCaps:
    """Copy-back caps of one attempt: total bytes of file content and number of entries."""

    max_bytes: int = 256 << 20
    max_files: int = 100_000


@dataclass(frozen=True)
class TreeStats:
    """What :func:`extract_untrusted` wrote and what it dropped (name and why)."""

    files: int
    bytes: int
    dropped: tuple[tuple[str, str], ...] = ()


def _clean_name(name: str) -> str | None:
    """The member name relative to the tree, or None when it is unsafe or git's own."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or name.startswith("/") or ".." in parts or ".git" in parts:
        return None
    return "/".join(parts)


def extract_untrusted(data: bytes, dest: Path, caps: TreeCaps = TreeCaps()) -> TreeStats:
    """Write the tar ``data`` into ``dest`` (created, must be empty): directories and
    regular files as such, hard links as copies of a file already written, symlinks as
    links created last (deepest first, never through another link), everything else
    dropped. Raises TreeTooLarge past ``caps``; never raises for what a member holds."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise FileExistsError(f"{dest}: not empty")
    files = size = 0
    dropped: list[tuple[str, str]] = []
    links: list[tuple[str, str]] = []
    written: dict[str, str] = {}  # tar name -> relative path, for hard links
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except tarfile.TarError as err:
        raise TreeTooLarge(f"the work tree is not a readable tar ({err})") from None
    with tar:
        for member in _members(tar, dropped):
            rel = _clean_name(member.name)
            if rel is None:
                if member.name.strip("./"):
                    dropped.append((member.name[:200], "unsafe or .git path"))
                continue
            files += 1
            if files > caps.max_files:
                raise TreeTooLarge(f"the work tree has more than {caps.max_files} entries")
            target = dest / rel
            if member.isdir():
                _mkdirs(dest, rel, dropped)
            elif member.issym():
                links.append((rel, member.linkname))
            elif member.isreg() or member.islnk():
                source = member
                if member.islnk():
                    linked = written.get(member.linkname)
                    if linked is None:
                        dropped.append((rel, "hard link to an unknown file"))
                        continue
                    source = tar.getmember(member.linkname)
                size += source.size
                if size > caps.max_bytes:
                    raise TreeTooLarge(f"the work tree holds more than {caps.max_bytes} bytes")
                if not _mkdirs(dest, str(Path(rel).parent), dropped):
                    continue
                stream = tar.extractfile(source)
                content = stream.read() if stream is not None else b""
                if _write_file(target, content, source.mode & 0o111 != 0):
                    written[member.name] = rel
                else:
                    dropped.append((rel, "a directory is in the way"))
            else:
                dropped.append((rel, "special file (device, fifo)"))
    for rel, linkname in sorted(links, key=lambda item: -item[0].count("/")):
        if not _make_link(dest, rel, linkname):
            dropped.append((rel, "symlink in the way of another entry"))
    return TreeStats(files, size, tuple(dropped[:200]))


def _members(tar: tarfile.TarFile, dropped: list[tuple[str, str]]) -> Iterator[tarfile.TarInfo]:
    """The archive's members; a corrupt tail ends the listing (what came before stays)."""
    while True:
        try:
            member = tar.next()
        except tarfile.TarError as err:
            dropped.append(("(archive)", f"corrupt tail: {err}"))
            return
        if member is None:
            return
        yield member


def _real_dir(dest: Path, rel: str) -> bool:
    """True when ``dest/rel`` is a directory reached through no symlink."""
    path = dest / rel
    return path.is_dir() and os.path.realpath(path) == os.path.abspath(path)


def _mkdirs(dest: Path, rel: str, dropped: list[tuple[str, str]]) -> bool:
    if rel in ("", "."):
        return True
    try:
        (dest / rel).mkdir(parents=True, exist_ok=True)
    except OSError:
        dropped.append((rel, "a file is in the way of a directory"))
        return False
    return _real_dir(dest, rel)


def _write_file(path: Path, content: bytes, executable: bool) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                     0o755 if executable else 0o644)
    except OSError:
        return False
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    os.chmod(path, 0o755 if executable else 0o644, follow_symlinks=False)
    return True


def _make_link(dest: Path, rel: str, linkname: str) -> bool:
    path = dest / rel
    parent = str(Path(rel).parent)
    if os.path.lexists(path) or not _real_dir(dest, parent if parent != "." else ""):
        return False
    os.symlink(linkname, path)
    return True


def walk(root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry under ``root`` as (relative path, entry), never following a symlink."""
    stack = [("", Path(root))]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = f"{prefix}{entry.name}"
                yield rel, entry
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel + "/", Path(entry.path)))


def trusted_files(root: Path | None, patterns: Iterable[str] | None = None
                  ) -> dict[str, Path]:
    """{relative path: host path} of the regular files under the trusted folder ``root``
    (only those matching ``patterns`` when given)."""
    if root is None or not Path(root).is_dir():
        return {}
    wanted = tuple(patterns) if patterns is not None else None
    return {rel: Path(entry.path) for rel, entry in walk(root)
            if entry.is_file(follow_symlinks=False)
            and (wanted is None or is_test_path(rel, wanted))}


def protect(tree: Path, patterns: tuple[str, ...], trusted: dict[str, Path]) -> list[str]:
    """Make ``tree`` hold exactly the trusted version of every protected file: each path
    of ``trusted`` gets the trusted bytes and mode (a symlink or file in the way of its
    folders is replaced by a folder), and every other entry matching ``patterns`` is
    deleted. Returns the relative paths that changed, sorted. Never follows a symlink."""
    tree = Path(tree)
    changed: set[str] = set()
    folders = _protected_folders(patterns, trusted)
    for rel, entry in list(walk(tree)):
        in_the_way = rel in folders and not entry.is_dir(follow_symlinks=False)
        if not in_the_way and (rel in trusted or not is_test_path(rel, patterns)):
            continue
        if os.path.lexists(entry.path):
            _remove(Path(entry.path))
            changed.add(rel)
    for rel, source in sorted(trusted.items()):
        content = source.read_bytes()
        executable = bool(source.stat().st_mode & 0o111)
        if _place(tree, rel, content, executable):
            changed.add(rel)
    return sorted(changed)


def _protected_folders(patterns: tuple[str, ...], trusted: dict[str, Path]) -> set[str]:
    """Folders that hold protected paths (``tests`` of ``tests/*``, the folders of trusted
    files): anything but a real folder there (a symlink, a file) is removed."""
    folders = set()
    for path in (*patterns, *trusted):
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if any(c in prefix for c in "*?["):
                break
            folders.add(prefix)
    return folders


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _place(tree: Path, rel: str, content: bytes, executable: bool) -> bool:
    """Write ``content`` at ``tree/rel`` through real folders only; True if it changed."""
    parts = rel.split("/")
    folder = tree
    changed = False
    for part in parts[:-1]:
        folder = folder / part
        info = _lstat(folder)
        if info is not None and not stat.S_ISDIR(info.st_mode):
            folder.unlink()
            info, changed = None, True
        if info is None:
            folder.mkdir()
            changed = True
    path = folder / parts[-1]
    info = _lstat(path)
    mode = 0o755 if executable else 0o644
    if info is not None and stat.S_ISREG(info.st_mode) and (info.st_mode & 0o111 != 0) == \
            executable and path.read_bytes() == content:
        return changed
    if info is not None:
        _remove(path)
    _write_file(path, content, executable)
    os.chmod(path, mode, follow_symlinks=False)
    return True


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
