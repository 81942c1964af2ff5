"""Images a task names that cladist does not build (SWE-bench's instance images): made
present before agents run, pulled when missing after checking the disk has room."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cladist.sandbox.contract import SandboxUnavailable

GIB_PER_IMAGE = 3.0
"""Disk such an image needs, roughly (SWE-bench's weigh 1 to 3 GB)."""


def disk_problem(free_bytes: int, missing: int, where: str) -> str | None:
    """The one-line complaint when ``missing`` images would not fit in ``free_bytes``."""
    need = missing * GIB_PER_IMAGE
    free = free_bytes / (1 << 30)
    if free >= need:
        return None
    return (f"low disk space for the tasks' images: {free:.1f} GiB free at {where}, "
            f"the {missing} missing image(s) need about {need:.0f} GiB; free space (docker "
            "image prune) or evaluate fewer instances (--tasks, --count, --sample)")


def pull_missing(client: Any, images: Sequence[str]) -> list[str]:
    """Make every image of ``images`` present: pull the missing ones after checking the
    disk has room. Returns the images pulled. Raises SandboxUnavailable (one line) when an
    image is missing and cannot be pulled (no registry reachable) or the disk is too full.
    """
    import docker

    wanted = list(dict.fromkeys(images))
    missing = []
    for image in wanted:
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            missing.append(image)
    if not missing:
        return []
    root = Path(str(client.info().get("DockerRootDir") or "/var/lib/docker"))
    if root.exists():
        problem = disk_problem(shutil.disk_usage(root).free, len(missing), str(root))
        if problem:
            raise SandboxUnavailable(problem)
    for image in missing:
        try:
            client.images.pull(image)
        except docker.errors.DockerException as err:
            why = str(getattr(err, "explanation", None) or err or type(err).__name__)
            why = " ".join(why.split())[:200]
            raise SandboxUnavailable(
                f"image {image} is not here and cannot be pulled ({why}); "
                f"{len(missing)} of {len(wanted)} task images are missing: pull or build "
                "them where a registry is reachable and `docker load` them here") from None
    return missing
