"""Behaviour shared by every backend: file operations built on ``exec``, output capping.

Backends implement :meth:`BaseSandbox._run` (run an argv with a cap and a deadline) and
:meth:`BaseSandbox._close`; reading, writing and copying files go through small shell
scripts run *as the sandbox user*, so permissions, read-only mounts and missing paths
behave the same on every backend.
"""

from __future__ import annotations

import io
import posixpath
import shlex
import tarfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from cladist.sandbox.contract import (
    Command,
    ExecResult,
    SandboxBadCwd,
    SandboxClosed,
    SandboxDiskFull,
    SandboxError,
    SandboxFileNotFound,
    SandboxFileTooLarge,
    SandboxIsADirectory,
    SandboxNotADirectory,
    SandboxPermissionError,
    SandboxSpec,
    SandboxTimeout,
)

# Exit codes of the helper scripts below (sysexits-like).
_NOT_FOUND, _IS_DIR, _DENIED = 66, 67, 77
_READ = ('p="$1"; [ -e "$p" ] || exit 66; [ -d "$p" ] && exit 67; [ -r "$p" ] || exit 77; '
         'exec cat -- "$p"')
_WRITE = ('p="$1"; d=$(dirname -- "$p"); mkdir -p -- "$d" 2>/dev/null || exit 77; '
          '[ -d "$p" ] && exit 67; { [ -e "$p" ] && [ ! -w "$p" ]; } && exit 77; '
          'cat > "$p" 2>/dev/null || exit 77')
_UNTAR = ('d="$1"; { [ -e "$d" ] && [ ! -d "$d" ]; } && exit 67; '
          'mkdir -p -- "$d" 2>/dev/null || exit 77; [ -w "$d" ] || exit 77; '
          'exec tar -x --no-same-owner -f - -C "$d"')
_TAR = ('d="$1"; [ -e "$d" ] || exit 66; [ -d "$d" ] || exit 67; [ -r "$d" ] || exit 77; '
        'exec tar -c -f - -C "$d" .')
_TAR_TREE = ('d="$1"; [ -e "$d" ] || exit 66; [ -d "$d" ] || exit 67; [ -r "$d" ] || exit 77; '
             'exec tar -c -f - --exclude=.git --ignore-failed-read -C "$d" .')
FILE_OP_TIMEOUT_S = 300.0


class UnsafeSandboxContent(SandboxError):
    """``copy_out`` found something other than regular files and folders (a link, a
    device, a FIFO) or a path outside the target; nothing was copied."""


class OutputCollector:
    """Accumulates stdout and stderr, each up to ``cap`` bytes; remembers overflow."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.streams = {1: bytearray(), 2: bytearray()}
        self.truncated = False

    def add(self, stream: int, data: bytes) -> bool:
        """Keep what fits of ``data``; return True once a stream went past the cap."""
        buf = self.streams.get(stream)
        if buf is None:
            return self.truncated
        room = self.cap - len(buf)
        if len(data) > room:
            buf += data[:max(room, 0)]
            self.truncated = True
        else:
            buf += data
        return self.truncated

    def result(self, returncode: int, started: float, *, timed_out: bool = False,
               oom_killed: bool = False, disk_full: bool = False) -> ExecResult:
        """The :class:`ExecResult` of what was collected."""
        return ExecResult(returncode=returncode, stdout=bytes(self.streams[1]),
                          stderr=bytes(self.streams[2]), timed_out=timed_out,
                          truncated=self.truncated, duration=time.monotonic() - started,
                          oom_killed=oom_killed, disk_full=disk_full)


def to_argv(cmd: Command) -> list[str]:
    """``cmd`` as an argv: a string runs through ``/bin/sh -c``; raises ValueError if empty."""
    argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else [str(a) for a in cmd]
    if not argv or (isinstance(cmd, str) and not cmd.strip()):
        raise ValueError("empty command")
    return argv


MAX_ARGUMENT = 128 * 1024
"""Bytes of one argument the kernel starts a program with, at most (``MAX_ARG_STRLEN``)."""
MAX_COMMAND_LINE = 1536 * 1024
"""Bytes of all arguments and environment a sandbox starts a command with, at most (below
the kernel's limit for an 8 MiB stack, with room for what the backend adds)."""


def too_long(argv: list[str], env: Mapping[str, str] | None) -> bool:
    """Whether ``argv`` with ``env`` is past :data:`MAX_ARGUMENT` or
    :data:`MAX_COMMAND_LINE`."""
    sizes = [len(a.encode()) + 1 for a in argv]
    total = sum(sizes) + sum(len(k.encode()) + len(v.encode()) + 2
                             for k, v in (env or {}).items())
    return max(sizes) >= MAX_ARGUMENT or total > MAX_COMMAND_LINE


def new_exec_id() -> str:
    """A unique marker put in each command's environment, used to find and kill it."""
    return uuid.uuid4().hex[:16]


class BaseSandbox:
    """Context-manager plumbing, closed-state checks and file operations over ``_run``."""

    spec: SandboxSpec
    _closed: bool = False

    # -- to implement -------------------------------------------------------------------
    def _run(self, argv: list[str], *, cwd: str | None, env: Mapping[str, str] | None,
             timeout: float, input: bytes | None, cap: int) -> ExecResult:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> BaseSandbox:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop and remove the sandbox; idempotent; never raises."""
        if self._closed:
            return
        self._closed = True
        try:
            self._close()
        except Exception:  # noqa: BLE001 - close must not raise; cleanup finds leftovers
            pass

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxClosed(f"sandbox {self!r} is closed")

    # -- the contract ------------------------------------------------------------------------
    def exec(self, cmd: Command, *, cwd: str | None = None, env: Mapping[str, str] | None = None,
             timeout: float | None = None, input: bytes | str | None = None) -> ExecResult:
        """Run ``cmd`` (see :class:`cladist.sandbox.contract.Sandbox`).

        Raises SandboxBadCwd, SandboxUnavailable, SandboxClosed, ValueError (empty command).
        """
        self._check_open()
        argv = to_argv(cmd)
        if cwd is not None:
            self._check_cwd(cwd)
        if too_long(argv, env):  # what execve would refuse, the same on every backend
            return ExecResult(126, b"", b"cladist: argument list too long\n")
        data = input.encode() if isinstance(input, str) else input
        limit = self.spec.limits.exec_timeout_s if timeout is None else float(timeout)
        return self._run(argv, cwd=cwd, env=env, timeout=limit, input=data,
                         cap=self.spec.limits.output_cap_bytes)

    def _check_cwd(self, cwd: str) -> None:
        """Raise SandboxBadCwd unless ``cwd`` is an absolute path to a directory (checked
        by a command of ours, before the caller's runs)."""
        if not posixpath.isabs(cwd):
            raise SandboxBadCwd(f"cwd {cwd!r}: not an absolute path")
        found = self._run(["/bin/sh", "-c", '[ -d "$1" ]', "cladist-cwd", cwd], cwd="/",
                          env=None, timeout=FILE_OP_TIMEOUT_S, input=None, cap=4096)
        if found.returncode != 0:
            raise SandboxBadCwd(f"cwd {cwd!r}: no such directory in the sandbox")

    def _file_op(self, script: str, path: str, *, input: bytes | None = None,
                 cap: int | None = None, writes: bool = False,
                 wrong_kind: type[SandboxError] = SandboxIsADirectory) -> ExecResult:
        """Run a file script on ``path`` (relative: to the workdir); ``wrong_kind`` is
        raised when the path is a directory where a file belongs, or the other way."""
        self._check_open()
        cap = self.spec.limits.file_cap_bytes if cap is None else cap
        path = posixpath.join(self.spec.workdir, path)  # an absolute path stays as it is
        result = self._run(["/bin/sh", "-c", script, "cladist-file-op", path], cwd="/", env=None,
                           timeout=FILE_OP_TIMEOUT_S, input=input, cap=cap)
        if result.timed_out:
            raise SandboxTimeout(f"{path}: file operation timed out")
        if result.truncated:
            raise SandboxFileTooLarge(f"{path}: larger than the cap of {cap} bytes")
        code = result.returncode
        if code != 0 and writes and result.disk_full:
            raise SandboxDiskFull(f"{path}: the sandbox's disk or inode limit is reached")
        if code == _NOT_FOUND:
            raise SandboxFileNotFound(f"{path}: no such file or directory in the sandbox")
        if code == _DENIED:
            raise SandboxPermissionError(f"{path}: permission denied in the sandbox")
        if code == _IS_DIR:
            raise wrong_kind(f"{path}: is a directory" if wrong_kind is SandboxIsADirectory
                             else f"{path}: not a directory")
        if code != 0:
            raise SandboxError(f"{path}: file operation failed ({code}): {result.err.strip()}")
        return result

    def read_file(self, path: str, text: bool = True, limit: int | None = None
                  ) -> str | bytes:
        """Content of ``path`` (see the protocol for what it raises)."""
        data = self._file_op(_READ, path, cap=limit).stdout
        return data.decode("utf-8") if text else data

    def read_tree(self, path: str, limit: int) -> bytes:
        """A tar of directory ``path`` without any ``.git`` (see the protocol)."""
        return self._file_op(_TAR_TREE, path, cap=limit,
                             wrong_kind=SandboxNotADirectory).stdout

    def write_file(self, path: str, data: bytes | str) -> None:
        """Write ``data`` to ``path`` (see the protocol for what it raises)."""
        self._file_op(_WRITE, path, input=data.encode() if isinstance(data, str) else data,
                      writes=True)

    def copy_in(self, host_dir: Path, path: str) -> None:
        """Copy ``host_dir``'s contents into ``path`` (see the protocol for what it raises)."""
        host_dir = Path(host_dir)
        if not host_dir.is_dir():
            raise NotADirectoryError(f"{host_dir}: not a directory")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for child in sorted(host_dir.iterdir()):
                tar.add(child, arcname=child.name)
        self._file_op(_UNTAR, path, input=buf.getvalue(), cap=1 << 20, writes=True,
                      wrong_kind=SandboxNotADirectory)

    def copy_out(self, path: str, host_dir: Path) -> None:
        """Copy ``path``'s contents into ``host_dir`` (see the protocol for what it raises).

        Only regular files and folders come out, and never a ``.git`` (its config and
        hooks would run on the host): a symbolic or hard link, a device, a FIFO or a path
        outside ``host_dir`` raises UnsafeSandboxContent before anything is written."""
        from cladist.archive.safetree import UnsafeTreeError, safe_extract

        data = self._file_op(_TAR, path, wrong_kind=SandboxNotADirectory).stdout
        try:
            safe_extract(data, Path(host_dir), skip_git=True)
        except UnsafeTreeError as exc:
            raise UnsafeSandboxContent(f"{path}: refused to copy out: {exc}") from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {shlex.quote(self.name)}>"

    @property
    def name(self) -> str:
        """The sandbox's name (container name or temp dir name)."""
        return getattr(self, "_name", "?")
