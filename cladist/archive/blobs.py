"""Large blobs (patches, test output, trajectories) as files under the run folder.

Rows in the archive hold refs: paths relative to the run folder. Every write goes to a
temporary file in the same folder, is flushed to disk, then renamed over the target, so a
reader sees either nothing or the whole blob, even after a crash.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from cladist.archive.safetext import decode, to_bytes
from cladist.errors import ArchiveError, NotFoundError


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename), readable by all
    (mode 0644, like a file written the ordinary way; mkstemp alone would give 0600).
    Text is written as UTF-8 (see :func:`cladist.archive.safetext.to_bytes`: never raises
    for text an agent produced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = to_bytes(data) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class BlobStore:
    """Files under one run folder, addressed by refs relative to it.

    Raises ArchiveError for a ref that leaves the run folder, NotFoundError for a ref with
    no file behind it.
    """

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def _path(self, ref: str) -> Path:
        rel = PurePosixPath(ref)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ArchiveError(f"{ref!r}: blob refs must be relative paths inside the run")
        return self.root / rel

    def put(self, ref: str, data: bytes | str) -> str:
        """Store ``data`` at ``ref`` atomically and return the ref."""
        write_atomic(self._path(ref), data)
        return ref

    def get(self, ref: str) -> bytes:
        """The bytes stored at ``ref``; a symbolic link there is refused, never followed
        (ArchiveError)."""
        try:
            fd = os.open(self._path(ref), os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise NotFoundError(f"{ref}: no such blob in {self.root}") from None
        except OSError as err:
            raise ArchiveError(f"{ref}: cannot read this blob ({err.strerror})") from None
        with os.fdopen(fd, "rb") as f:
            return f.read()

    def get_text(self, ref: str) -> str:
        """The text stored at ``ref`` (UTF-8, undecodable bytes replaced by U+FFFD)."""
        return decode(self.get(ref))

    def exists(self, ref: str) -> bool:
        """Whether a blob is stored at ``ref``."""
        return self._path(ref).is_file()
