"""The sandbox contract: the ``Sandbox`` protocol, its spec, its result type and its errors.

Every backend (:mod:`cladist.sandbox.docker`, :mod:`cladist.sandbox.bubblewrap`) honours
the same rules:

- ``exec`` never raises because of what the command did: a non-zero exit code, a timeout
  (``timed_out=True``, partial output kept), output past the cap (``truncated=True``, the
  command is killed), an out-of-memory kill (``oom_killed=True``) and a full disk
  (``disk_full=True``) are all *data*.
- Everything the sandbox user can write is bounded: the workdir, ``/tmp`` and the home dir
  hold at most ``Limits.disk`` bytes and ``Limits.inodes`` files (per backend details in
  :mod:`cladist.sandbox.docker` and :mod:`cladist.sandbox.bubblewrap`); every other path is
  read-only, or a bounded special file system, but for the spec's writable mounts (only
  the gateway's socket), which the caller chose. (The exception: bubblewrap run as an
  ordinary user, which may not mount, bounds each file's size only.)
- A sandbox whose engine or container is gone raises :class:`SandboxUnavailable`.
- File operations raise :class:`SandboxFileNotFound`, :class:`SandboxPermissionError`,
  :class:`SandboxIsADirectory`, :class:`SandboxNotADirectory`,
  :class:`SandboxFileTooLarge`, :class:`SandboxDiskFull` or :class:`SandboxTimeout`; all
  derive from :class:`SandboxError`. A relative path is relative to the sandbox's working
  directory (``SandboxSpec.workdir``), where commands run by default.
- ``exec``'s ``cwd`` must be an absolute path to a directory that exists when the command
  starts; otherwise :class:`SandboxBadCwd` is raised and nothing runs. A command line may
  be as long as the kernel lets a program start with (each argument under 128 KiB, all of
  them with the environment at most 1.5 MiB): past that nothing runs and the result says
  so (exit code 126), on every backend.
- After ``close()`` (idempotent) every other method raises :class:`SandboxClosed`.
- An exec ends when its command exits; whether background processes outlive it is backend
  specific (Docker: only those detached from the output; bubblewrap: none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol, runtime_checkable

from cladist.errors import CladistError
from cladist.sandbox.limits import Limits, parse_size  # noqa: F401 - part of the contract

NAME_PREFIX = "cladist-"
"""Every container and temporary directory a sandbox creates starts with this."""
LABEL_RUN, LABEL_NODE, LABEL_ROLE = "cladist.run", "cladist.node", "cladist.role"
GATEWAY_SOCKET_PATH = "/run/cladist/llm.sock"
"""Where the LLM gateway's Unix socket appears inside a sandbox."""
DEFAULT_IMAGE = "cladist-base:trixie"


class SandboxError(Exception):
    """Base class of everything a sandbox raises."""


class SandboxUnavailable(SandboxError, CladistError):
    """The engine, container or bubblewrap is missing or died; the sandbox cannot be used."""


class SandboxRemoved(SandboxUnavailable):
    """The sandbox was removed from outside while in use (its container deleted on the
    engine): nothing the code inside can do, so never the fault of that code."""


class SandboxClosed(SandboxUnavailable):
    """A method was called after ``close()``."""


class SandboxTimeout(SandboxError):
    """A file operation (never ``exec``) did not finish in time."""


class SandboxFileNotFound(SandboxError, FileNotFoundError):
    """The path does not exist inside the sandbox (or its parent cannot be created)."""


class SandboxPermissionError(SandboxError, PermissionError):
    """The sandbox user may not read or write that path (including read-only mounts)."""


class SandboxIsADirectory(SandboxError, IsADirectoryError):
    """A file was to be read or written where the sandbox holds a directory."""


class SandboxNotADirectory(SandboxError, NotADirectoryError):
    """A directory was to be read or copied where the sandbox holds something else."""


class SandboxBadCwd(SandboxError, ValueError):
    """``exec``'s ``cwd`` is relative, or no directory of that name exists in the sandbox
    when the command is to start (nothing was run)."""


class SandboxFileTooLarge(SandboxError):
    """A file or directory read out of the sandbox exceeds ``Limits.file_cap_bytes``."""


class SandboxDiskFull(SandboxError):
    """A write into the sandbox failed because its disk or inode limit is reached (what
    the sandbox's own commands stored there: not an infrastructure fault)."""


@dataclass(frozen=True)
class ExecResult:
    """What a command did: exit code, captured output and how it ended.

    ``returncode`` is the command's exit status (124 or 137 after a timeout, 137 after a
    kill); ``stdout``/``stderr`` are capped at ``Limits.output_cap_bytes`` each.
    ``disk_full`` says that when the command ended a writable file system of the sandbox
    had (almost) no space or no inodes left, as the host measured it from the file system
    itself (never from what the command printed or returned); a command that filled the
    disk and then freed it again is not seen. It marks the sandbox's state, so it stays set
    for every later command until files are removed. (Docker, where this process cannot
    read the container's mounts through ``/proc``, i.e. not as root on the engine's host,
    probes only after a command that failed; bubblewrap as an ordinary user, where no file
    system is the sandbox's own, sets it when the kernel stopped a file growing past
    ``Limits.disk``: see :mod:`cladist.sandbox.docker` and :mod:`cladist.sandbox.bubblewrap`.)
    """

    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    truncated: bool = False
    duration: float = 0.0
    oom_killed: bool = False
    disk_full: bool = False

    @property
    def ok(self) -> bool:
        """True when the command exited 0 without timeout, truncation or OOM (``disk_full``
    describes the sandbox, not the command: it does not count)."""
        return self.returncode == 0 and not (self.timed_out or self.truncated or self.oom_killed)

    @property
    def out(self) -> str:
        """stdout decoded as UTF-8 (undecodable bytes replaced)."""
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        """stderr decoded as UTF-8 (undecodable bytes replaced)."""
        return self.stderr.decode("utf-8", "replace")


@dataclass(frozen=True)
class Mount:
    """A host path bind-mounted into the sandbox; read-only unless said otherwise."""

    source: Path
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class SandboxSpec:
    """Everything needed to start a sandbox.

    ``image`` is ignored by bubblewrap (it runs the host's toolchain). ``agent_code`` is
    mounted read-only at ``/agent``; ``gateway_socket`` (the LLM gateway's Unix socket)
    at :data:`GATEWAY_SOCKET_PATH`. ``user`` None means: a non-root user of the image
    (``agent`` if it exists) for Docker, an unprivileged uid for bubblewrap.
    """

    image: str = DEFAULT_IMAGE
    mounts: tuple[Mount, ...] = ()
    agent_code: Path | None = None
    gateway_socket: Path | None = None
    limits: Limits = field(default_factory=Limits)
    env: Mapping[str, str] = field(default_factory=dict)
    run_id: str = ""
    node_id: str = ""
    role: str = "sandbox"
    labels: Mapping[str, str] = field(default_factory=dict)
    workdir: str = "/workspace"
    user: str | None = None

    def all_mounts(self) -> tuple[Mount, ...]:
        """The explicit mounts plus the agent code and gateway socket ones."""
        extra: list[Mount] = []
        if self.agent_code is not None:
            extra.append(Mount(Path(self.agent_code), "/agent", read_only=True))
        if self.gateway_socket is not None:
            extra.append(Mount(Path(self.gateway_socket), GATEWAY_SOCKET_PATH, read_only=False))
        return (*self.mounts, *extra)

    def all_labels(self) -> dict[str, str]:
        """The ``cladist.*`` labels plus the extra ones."""
        return {LABEL_RUN: self.run_id, LABEL_NODE: str(self.node_id), LABEL_ROLE: self.role,
                **self.labels}


Command = str | Sequence[str]
"""A shell command line (run by ``/bin/sh -c``) or an argv list."""


@runtime_checkable
class Sandbox(Protocol):
    """An isolated place to run untrusted commands; use it as a context manager."""

    spec: SandboxSpec

    def __enter__(self) -> Sandbox: ...

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def exec(self, cmd: Command, *, cwd: str | None = None, env: Mapping[str, str] | None = None,
             timeout: float | None = None, input: bytes | str | None = None) -> ExecResult:
        """Run ``cmd`` in ``cwd`` (default ``spec.workdir``); a failure, timeout, cap, OOM,
        full disk or over-long command line is data in the result.

        Raises SandboxBadCwd, SandboxUnavailable (engine/container gone), SandboxClosed,
        ValueError (an empty command).
        """
        ...

    def read_file(self, path: str, text: bool = True, limit: int | None = None
                  ) -> str | bytes:
        """Content of ``path`` (str decoded as UTF-8, or bytes), at most ``limit`` bytes
        (default ``Limits.file_cap_bytes``).

        Raises SandboxFileNotFound, SandboxPermissionError, SandboxIsADirectory,
        SandboxFileTooLarge, SandboxTimeout, SandboxUnavailable, SandboxClosed,
        UnicodeDecodeError (``text`` and not UTF-8).
        """
        ...

    def read_tree(self, path: str, limit: int) -> bytes:
        """The directory ``path`` as a tar stream (every ``.git`` left out), made inside
        the sandbox: whatever it holds is the sandbox's word, for the caller to treat as
        hostile data (see :mod:`cladist.evaluator.worktree`).

        Raises SandboxFileTooLarge past ``limit`` bytes, SandboxFileNotFound,
        SandboxPermissionError, SandboxNotADirectory, SandboxTimeout, SandboxUnavailable,
        SandboxClosed.
        """
        ...

    def write_file(self, path: str, data: bytes | str) -> None:
        """Write ``data`` to ``path`` as the sandbox user, creating parent directories.

        Raises SandboxPermissionError, SandboxFileNotFound, SandboxIsADirectory,
        SandboxDiskFull, SandboxTimeout, SandboxUnavailable, SandboxClosed.
        """
        ...

    def copy_in(self, host_dir: Path, path: str) -> None:
        """Copy the contents of ``host_dir`` into directory ``path`` (created if needed).

        Raises NotADirectoryError (host side), SandboxPermissionError, SandboxNotADirectory,
        SandboxDiskFull, SandboxTimeout, SandboxUnavailable, SandboxClosed.
        """
        ...

    def copy_out(self, path: str, host_dir: Path) -> None:
        """Copy the contents of directory ``path`` into ``host_dir`` (created if needed).

        Links pointing outside ``host_dir`` and device files are refused.
        Raises SandboxFileNotFound, SandboxPermissionError, SandboxNotADirectory,
        SandboxFileTooLarge, SandboxTimeout, SandboxUnavailable, SandboxClosed.
        """
        ...

    def close(self) -> None:
        """Stop and remove the sandbox; calling it again does nothing. Never raises."""
        ...
