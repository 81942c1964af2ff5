"""Health checks of this machine for running sandboxes and the embedded models, each with
what to do if it fails."""

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


def run_checks(base: str | None = None, data_dir: Path = Path("."),
               model_cache: Path | None = None) -> list[Check]:
    """Check the Docker engine, the images, bubblewrap, the free disk space and the local
    models (``model_cache``: where assembled ones live, default the model cache).

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
    checks += local_model_checks(model_cache)
    return checks


def local_model_checks(cache_dir: Path | None = None) -> list[Check]:
    """One check per shipped local model: verified, installed (assembled on first use),
    missing (a failure only for the default model) or corrupted (a failure). Assembles
    nothing; may hash a present model file once. Never raises."""
    from cladist.llm.models import DEFAULT_LOCAL_MODEL, SHIPPED, model_status

    checks = []
    for model in SHIPPED.values():
        status, name = model_status(model, cache_dir), f"local model {model.name}"
        if status.state == "missing" and model.name != DEFAULT_LOCAL_MODEL:
            checks.append(Check(name, True, f"not installed, optional ({status.fix})"))
            continue
        ok = status.state in ("verified", "installed")
        default = " (the default llm.local_model)" if model.name == DEFAULT_LOCAL_MODEL else ""
        checks.append(Check(name, ok, f"{status.state}: {status.detail}{default}",
                            "" if ok else status.fix))
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
