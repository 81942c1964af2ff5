"""Choosing a backend: one function that opens a sandbox from a spec and a backend name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from cladist.errors import UsageError
from cladist.sandbox.contract import Sandbox, SandboxSpec

if TYPE_CHECKING:
    import docker

Backend = Literal["docker", "bubblewrap"]
BACKENDS: tuple[Backend, ...] = ("docker", "bubblewrap")


def open_sandbox(spec: SandboxSpec, backend: str = "docker",
                 client: docker.DockerClient | None = None) -> Sandbox:
    """Start a sandbox of ``backend`` ("docker" or "bubblewrap") for ``spec``.

    ``client`` (Docker only) reuses a connection. Raises UsageError (unknown backend),
    SandboxUnavailable (engine, image or bwrap missing).
    """
    if backend == "docker":
        from cladist.sandbox.docker import DockerSandbox

        return DockerSandbox(spec, client=client)
    if backend == "bubblewrap":
        from cladist.sandbox.bubblewrap import BubblewrapSandbox

        return BubblewrapSandbox(spec)
    raise UsageError(f"unknown sandbox backend {backend!r} (use one of: {', '.join(BACKENDS)})")
