"""Sandboxes for untrusted code: the protocol, Docker and bubblewrap backends, images.

Start one with :func:`open_sandbox` (a context manager); the contract is in
:mod:`cladist.sandbox.contract`. Backends import their heavy dependencies lazily.
"""

from cladist.sandbox.contract import (
    GATEWAY_SOCKET_PATH,
    ExecResult,
    Limits,
    Mount,
    Sandbox,
    SandboxBadCwd,
    SandboxClosed,
    SandboxDiskFull,
    SandboxError,
    SandboxFileNotFound,
    SandboxFileTooLarge,
    SandboxIsADirectory,
    SandboxNotADirectory,
    SandboxPermissionError,
    SandboxRemoved,
    SandboxSpec,
    SandboxTimeout,
    SandboxUnavailable,
)
from cladist.sandbox.factory import BACKENDS, open_sandbox

__all__ = [
    "BACKENDS", "GATEWAY_SOCKET_PATH", "ExecResult", "Limits", "Mount", "Sandbox",
    "SandboxBadCwd", "SandboxClosed", "SandboxDiskFull", "SandboxError",
    "SandboxFileNotFound", "SandboxFileTooLarge", "SandboxIsADirectory",
    "SandboxNotADirectory", "SandboxPermissionError", "SandboxRemoved", "SandboxSpec",
    "SandboxTimeout", "SandboxUnavailable", "open_sandbox",
]
