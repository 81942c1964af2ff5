"""Health checks of this machine for running sandboxes, each with what to do if it fails
(one :class:`Check` per line of ``cladist doctor``)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cladist.sandbox.contract import SandboxUnavailable

if TYPE_CHECKING:
    import docker

MIN_FREE_BYTES = 10 << 30


@dataclass(frozen=True)
class Check:
    """One check: its name, whether it passed, what was seen and what to do if not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(base: str | None = None, data_dir: Path = Path(".")) -> list[Check]:
    """Check the Docker engine, the images, bubblewrap and the free disk space (the local
    models: :func:`cladist.llm.models.local_model_checks`).

    Never raises: every problem becomes a failed :class:`Check` with a one-line fix.
    """
    from cladist.sandbox.images import DEFAULT_BASE

    base = base or DEFAULT_BASE
    checks: list[Check] = []
    client = _engine(checks)
    if client is not None:
        try:
            checks += _images(client, base)
        finally:
            client.close()
    checks.append(_bubblewrap())
    checks.append(_disk(data_dir))
    return checks


def _engine(checks: list[Check]) -> docker.DockerClient | None:
    from cladist.sandbox.docker import docker_client

    try:
        client = docker_client(timeout=20)
    except SandboxUnavailable as exc:
        checks.append(Check("docker engine", False, str(exc).split(":")[0],
                            "start dockerd (scripts/provision) or use sandbox.backend=bubblewrap"))
        return None
    version = client.version().get("Version", "?")
    checks.append(Check("docker engine", True, f"reachable, version {version}"))
    return client


def _images(client: docker.DockerClient, base: str) -> list[Check]:
    import docker as docker_sdk

    from cladist.sandbox.images import image_status

    try:
        client.images.get(base)
    except docker_sdk.errors.ImageNotFound:
        return [Check("base image", False, f"{base} is missing",
                      "build it: scripts/build-base-image (or pass --base IMAGE)")]
    checks = [Check("base image", True, f"{base} present")]
    for info in image_status(client, base):
        fix = "" if info.state == "present" else f"cladist images build --only {info.name}"
        checks.append(Check(f"image {info.name}", info.state == "present",
                            f"{info.tag} {info.state}", fix))
    return checks


def _bubblewrap() -> Check:
    path = shutil.which("bwrap")
    if not path:
        return Check("bubblewrap", False, "bwrap not found", "apt-get install bubblewrap")
    probe = subprocess.run([path, "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev",
                            "--proc", "/proc", "true"], capture_output=True, text=True,
                           timeout=30, check=False)
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or ["unknown error"])[-1]
        return Check("bubblewrap", False, f"bwrap fails: {why}",
                     "allow unprivileged user namespaces (sysctl "
                     "kernel.unprivileged_userns_clone=1) or use the docker backend")
    return Check("bubblewrap", True, f"{path} works")


def _disk(folder: Path) -> Check:
    target = folder if folder.exists() else Path(".")
    free = shutil.disk_usage(target).free
    ok = free >= MIN_FREE_BYTES
    return Check("disk space", ok, f"{free / (1 << 30):.1f} GiB free at {target.resolve()}",
                 "" if ok else "free space (docker system prune, remove old runs): "
                 f"at least {MIN_FREE_BYTES >> 30} GiB is advised")
