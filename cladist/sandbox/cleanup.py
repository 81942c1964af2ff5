"""Finding and removing what crashed runs left behind: containers, networks, temp dirs.

Docker leftovers are found by the ``cladist.run`` label (every cladist container carries
it, so nothing else is touched); bubblewrap leftovers are ``cladist-*`` dirs holding a
labels file in the sandbox temp root, their tmpfs (bubblewrap as root) unmounted first;
scratch dirs (:mod:`cladist.scratch`) are removed
once the process named in them is gone, whatever the run. A run calls :func:`cleanup` with
its id on resume.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cladist.sandbox.bwrap_dirs import LABELS_FILE, sandbox_tmp_root, unmount
from cladist.sandbox.contract import LABEL_RUN, NAME_PREFIX
from cladist.scratch import orphans

if TYPE_CHECKING:
    import docker

LeftoverKind = Literal["container", "network", "tempdir", "scratch"]


@dataclass(frozen=True)
class Leftover:
    """One thing a sandbox left behind, and whether it was removed."""

    kind: LeftoverKind
    name: str
    run_id: str
    removed: bool


def cleanup(run_id: str | None = None, *, dry_run: bool = False,
            client: docker.DockerClient | None = None, docker_too: bool = True
            ) -> list[Leftover]:
    """Remove (or with ``dry_run`` only list) the leftovers of ``run_id`` (all runs if None).

    ``client`` None connects to the engine; when no engine answers, Docker is skipped and
    only temp dirs are handled. Never raises for a leftover that vanishes meanwhile.
    """
    found = _tempdirs(run_id, dry_run) + _scratch(dry_run)
    if docker_too:
        if client is None:
            from cladist.sandbox.contract import SandboxUnavailable
            from cladist.sandbox.docker import docker_client

            try:
                client = docker_client(timeout=30)
            except SandboxUnavailable:
                return found
        found = _docker(client, run_id, dry_run) + found
    return found


def _docker(client: docker.DockerClient, run_id: str | None, dry_run: bool) -> list[Leftover]:
    import docker as docker_sdk

    label = f"{LABEL_RUN}={run_id}" if run_id is not None else LABEL_RUN
    found: list[Leftover] = []
    for container in client.containers.list(all=True, filters={"label": label}):
        removed = False
        if not dry_run:
            try:
                container.remove(force=True, v=True)
                removed = True
            except docker_sdk.errors.NotFound:
                removed = True
            except docker_sdk.errors.APIError:
                removed = False
        found.append(Leftover("container", container.name,
                              container.labels.get(LABEL_RUN, ""), removed))
    for network in client.networks.list(filters={"label": label}):
        removed = False
        if not dry_run:
            try:
                network.remove()
                removed = True
            except docker_sdk.errors.APIError:
                removed = False
        found.append(Leftover("network", network.name,
                              (network.attrs.get("Labels") or {}).get(LABEL_RUN, ""), removed))
    return found


def _tempdirs(run_id: str | None, dry_run: bool) -> list[Leftover]:
    root = sandbox_tmp_root()
    found: list[Leftover] = []
    if not root.is_dir():
        return found
    for folder in sorted(root.glob(f"{NAME_PREFIX}*")):
        try:
            labels = json.loads((folder / LABELS_FILE).read_text())
        except (OSError, ValueError):
            continue  # not a sandbox dir (or not ours)
        owner = str(labels.get(LABEL_RUN, ""))
        if run_id is not None and owner != run_id:
            continue
        if not dry_run:
            unmount(str(folder))
            shutil.rmtree(folder, ignore_errors=True)
        found.append(Leftover("tempdir", str(folder), owner,
                              removed=not dry_run and not folder.exists()))
    return found


def _scratch(dry_run: bool) -> list[Leftover]:
    """Scratch dirs of processes that died before removing them."""
    found: list[Leftover] = []
    for folder in orphans():
        if not dry_run:
            shutil.rmtree(folder, ignore_errors=True)
        found.append(Leftover("scratch", str(folder), "",
                              removed=not dry_run and not folder.exists()))
    return found
