"""Finding and removing what crashed runs left behind: containers, networks, temp dirs,
half-made run folders.

Docker leftovers are found by the ``cladist.run`` label (every cladist container carries
it, so nothing else is touched); bubblewrap leftovers are ``cladist-*`` dirs holding a
labels file in the sandbox temp root, their tmpfs (bubblewrap as root) unmounted first;
scratch dirs (:mod:`cladist.scratch`) are removed once the process named in them is gone,
whatever the run; ``.<run>.creating`` folders in a runs folder once nobody is creating
them. What belongs to a live run (:mod:`cladist.archive.liveness`) is left alone unless
``include_live`` asks to stop it: a resumed run calls :func:`cleanup` with its own id and
``include_live`` (it holds that run itself).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cladist.archive.liveness import is_live
from cladist.sandbox.bubblewrap.dirs import LABELS_FILE, sandbox_tmp_root, unmount
from cladist.sandbox.contract import LABEL_RUN, NAME_PREFIX
from cladist.scratch import orphans

if TYPE_CHECKING:
    import docker

LeftoverKind = Literal["container", "network", "tempdir", "scratch", "creating"]


@dataclass(frozen=True)
class Leftover:
    """One thing a sandbox (or a run's creation) left behind, and whether it was removed;
    ``live``: kept because its run is still going."""

    kind: LeftoverKind
    name: str
    run_id: str
    removed: bool
    live: bool = False


def cleanup(run_id: str | None = None, *, dry_run: bool = False,
            client: docker.DockerClient | None = None, docker_too: bool = True,
            include_live: bool = False, runs_dir: Path | None = None) -> list[Leftover]:
    """Remove (or with ``dry_run`` only list) the leftovers of ``run_id`` (all runs if None).

    A live run's containers, networks and temp dirs are listed as ``live`` and kept,
    unless ``include_live``. ``runs_dir`` also removes the ``.<run>.creating`` folders in
    it that no live process is making. ``client`` None connects to the engine; when no
    engine answers, Docker is skipped and only temp dirs are handled. Never raises for a
    leftover that vanishes meanwhile.
    """
    keep = _LiveRuns(include_live)
    found = _tempdirs(run_id, dry_run, keep) + _scratch(dry_run)
    if runs_dir is not None:
        found += _creating(Path(runs_dir), dry_run)
    if docker_too:
        if client is None:
            from cladist.sandbox.contract import SandboxUnavailable
            from cladist.sandbox.docker import docker_client

            try:
                client = docker_client(timeout=30)
            except SandboxUnavailable:
                return found
        found = _docker(client, run_id, dry_run, keep) + found
    return found


class _LiveRuns:
    """Which run ids are live (each checked once per cleanup); none when ``ignore``."""

    def __init__(self, ignore: bool):
        self.ignore = ignore
        self.known: dict[str, bool] = {}

    def __call__(self, run_id: str) -> bool:
        if self.ignore or not run_id:
            return False
        if run_id not in self.known:
            self.known[run_id] = is_live(run_id)
        return self.known[run_id]


def _docker(client: docker.DockerClient, run_id: str | None, dry_run: bool,
            live: _LiveRuns) -> list[Leftover]:
    import docker as docker_sdk

    label = f"{LABEL_RUN}={run_id}" if run_id is not None else LABEL_RUN
    found: list[Leftover] = []
    for container in client.containers.list(all=True, filters={"label": label}):
        owner = container.labels.get(LABEL_RUN, "")
        if live(owner):
            found.append(Leftover("container", container.name, owner, False, live=True))
            continue
        removed = False
        if not dry_run:
            try:
                container.remove(force=True, v=True)
                removed = True
            except docker_sdk.errors.NotFound:
                removed = True
            except docker_sdk.errors.APIError:
                removed = False
        found.append(Leftover("container", container.name, owner, removed))
    for network in client.networks.list(filters={"label": label}):
        owner = (network.attrs.get("Labels") or {}).get(LABEL_RUN, "")
        if live(owner):
            found.append(Leftover("network", network.name, owner, False, live=True))
            continue
        removed = False
        if not dry_run:
            try:
                network.remove()
                removed = True
            except docker_sdk.errors.APIError:
                removed = False
        found.append(Leftover("network", network.name, owner, removed))
    return found


def _tempdirs(run_id: str | None, dry_run: bool, live: _LiveRuns) -> list[Leftover]:
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
        if live(owner):
            found.append(Leftover("tempdir", str(folder), owner, False, live=True))
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


def _creating(runs_dir: Path, dry_run: bool) -> list[Leftover]:
    """Run folders whose creation was killed: ``.<run>.creating`` with nobody making it."""
    found: list[Leftover] = []
    if not runs_dir.is_dir():
        return found
    for folder in sorted(runs_dir.glob(".*.creating")):
        name = folder.name[1:-len(".creating")]
        if not folder.is_dir() or folder.is_symlink() or is_live(name):
            continue
        if not dry_run:
            shutil.rmtree(folder, ignore_errors=True)
        found.append(Leftover("creating", str(folder), name,
                              removed=not dry_run and not folder.exists()))
    return found
