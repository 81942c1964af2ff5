"""A run folder: ``archive.db``, ``agents.git``, ``events.jsonl``, ``config.yaml``, blobs.

:class:`Run` ties the database, the agents' git repository and the blob files of one run
together; :func:`resolve_run` turns what a user typed (a run id or a path) into a folder.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cladist import __version__, scratch
from cladist.archive.blobs import BlobStore
from cladist.archive.codebase import AgentRepo
from cladist.archive.liveness import RunLiveError, RunLock, shown_status
from cladist.archive.records import NodeStatus, RunEvent
from cladist.archive.safetree import UnsafeTreeError, check_tree
from cladist.archive.store import ArchiveStore
from cladist.config import Config, load_config
from cladist.errors import ArchiveError, NotFoundError, UsageError

DB_NAME = "archive.db"
REPO_NAME = "agents.git"


@dataclass(frozen=True)
class RunSummary:
    """One line of ``cladist runs``."""

    id: str
    path: Path
    status: str
    nodes: int
    evaluations: int
    best_node: int | None
    best_score: float | None
    last_event_at: float | None = None


class Run:
    """An opened run folder. Use :meth:`create` or :meth:`open`; close it when done.

    Raises NotFoundError when the folder holds no run, ArchiveError when its parts are
    unusable.
    """

    def __init__(self, path: Path, store: ArchiveStore, agents: AgentRepo, config: Config):
        self.path = path
        self.store = store
        self.agents = agents
        self.config = config
        self.blobs = BlobStore(path)
        self.id = path.name
        self._lock: RunLock | None = None

    @classmethod
    def create(cls, config: Config, seed_dir: Path | None = None) -> Run:
        """Make a new run folder under ``config.run.runs_dir`` and commit the seed agent
        (``seed_dir``, or else ``config.run.seed_agent`` prepared by
        :func:`cladist.agents.prepare_agent`) as the root node (id 0, valid). The run is
        claimed by this process (see :meth:`claim`) until it is closed.

        Raises UnsafeTreeError (no run folder is made) when the seed's folder holds a
        symbolic link, a special file or a nested git repository."""
        if seed_dir is None:
            from cladist.agents import prepare_agent, seed_path

            _check_seed(seed_path(config.run.seed_agent))  # before anything is copied
            with scratch.temporary("seed") as tmp:
                return cls.create(config, prepare_agent(config.run.seed_agent,
                                                        Path(tmp) / "agent"))
        _check_seed(seed_dir)
        runs_dir = Path(config.run.runs_dir).resolve()
        runs_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = f"{stamp}-{config.run.name}"
        name, n = base, 1
        while True:  # the run is built in a hidden folder and renamed when complete
            staging = runs_dir / f".{name}.creating"
            if not (runs_dir / name).exists() and (lock := _try_lock(name, runs_dir)):
                try:  # claimed first: cleanup removes only .creating folders nobody holds
                    staging.mkdir()
                    break
                except FileExistsError:
                    lock.release()
            n += 1
            name = f"{base}-{n}"
        try:
            root, sha = _fill(staging, name, config, seed_dir)
            staging.rename(runs_dir / name)
            run = cls.open(runs_dir / name)
        except BaseException:
            lock.release()
            raise
        run.config = config
        run._lock = lock
        run.event("run_created", node_id=root, seed=config.run.seed_agent, commit=sha)
        return run

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> Run:
        """Open an existing run folder; ``read_only`` opens its archive without migrating
        or writing it (see :class:`ArchiveStore`)."""
        path = Path(path).resolve()
        if not (path / DB_NAME).is_file():
            raise NotFoundError(f"{path}: not a run folder (no {DB_NAME})")
        config_file = path / "config.yaml"
        config = load_config([str(config_file)]) if config_file.is_file() else Config()
        store = ArchiveStore(path / DB_NAME, synchronous=config.archive.sqlite_synchronous,
                             read_only=read_only)
        agents = AgentRepo(path / REPO_NAME)
        return cls(path, store, agents, config)

    @classmethod
    def resume(cls, path: Path, config: Config) -> Run:
        """Open the run folder ``path`` to go on with it under ``config``: claim it (see
        :meth:`claim`), then write ``config`` as its ``config.yaml`` and make it the run's
        :attr:`config`. A live run is refused before anything of it changes. Close the
        run when done.

        Raises NotFoundError when ``path`` holds no run, ArchiveError when its parts are
        unusable, RunLiveError when a live process has the run (nothing is written), and
        OSError when ``config.yaml`` cannot be written (the run is released)."""
        run = cls.open(path)
        try:
            run.claim()
            (run.path / "config.yaml").write_text(config.to_yaml())
        except BaseException:
            run.close()
            raise
        run.config = config
        return run

    def claim(self) -> None:
        """Mark the run as worked on by this process until :meth:`close` (a new run is
        claimed by :meth:`create`). Raises RunLiveError when a live process has it."""
        if self._lock is None:
            self._lock = RunLock(self.id).acquire(self.path)

    def close(self) -> None:
        """Release the database and the run's claim."""
        self.store.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def event(self, kind: str, node_id: int | None = None, **data: Any) -> RunEvent:
        """Record one :class:`RunEvent`: a line of ``events.jsonl`` (fsynced) and a row of
        the archive. Returns the event (the loop hands it on to the live panel)."""
        event = RunEvent(kind, node_id, data)
        with open(self.path / "events.jsonl", "a") as f:
            f.write(json.dumps(event.to_json(), default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.store.add_event(event)
        return event

    def node_commit(self, node_id: int) -> str:
        """The commit sha of a node; raises NotFoundError for an unknown node."""
        return self.store.node(node_id).commit_sha


def _try_lock(name: str, runs_dir: Path) -> RunLock | None:
    try:
        return RunLock(name).acquire(runs_dir / name)
    except RunLiveError:
        return None


def _fill(staging: Path, name: str, config: Config, seed_dir: Path) -> tuple[int, str]:
    """Write a new run's config, archive and agents repository (the seed as node 0) into
    ``staging``; returns the root's id and commit."""
    (staging / "config.yaml").write_text(config.to_yaml())
    store = ArchiveStore(staging / DB_NAME, synchronous=config.archive.sqlite_synchronous,
                         create=True)
    try:
        store.init_run(name, config.run.name, config.to_yaml(), __version__)
        agents = AgentRepo.init(staging / REPO_NAME)
        sha = agents.commit_dir(seed_dir, None, f"node 0: seed agent {config.run.seed_agent}")
        root = store.add_node(None, sha, status=NodeStatus.VALID, summary="seed agent")
        agents.set_node_ref(root, sha)
    finally:
        store.close()
    return root, sha


def _check_seed(folder: Path) -> None:
    try:
        check_tree(folder)
    except UnsafeTreeError as err:
        raise UnsafeTreeError(f"agent folder {folder}: {err}; remove it and try again"
                              ) from None


def resolve_node(run: Run, ref: str) -> int:
    """The node id ``ref`` names in ``run``: a node id, or ``best`` (the best-belief
    node). Raises NotFoundError for an unknown node or, for ``best``, when no node has been
    evaluated; UsageError when ``ref`` is neither."""
    from cladist.archive.lineage import best_belief

    if ref == "best":
        best = best_belief(run.store, run.config.archive.best_belief_epsilon)
        if best is None:
            raise NotFoundError(f"run {run.id}: no node has been evaluated yet, so no best "
                                "(give --node 0 for the seed)")
        return best
    try:
        node_id = int(ref)
    except ValueError:
        raise UsageError(f"node {ref!r}: expected a node id or 'best'") from None
    run.store.node(node_id)
    return node_id


def resolve_run(ref: str, runs_dir: Path = Path("runs")) -> Path:
    """The folder of the run named by ``ref``: a path to a run folder, a run id under
    ``runs_dir``, a unique part of one, or ``latest``. Raises NotFoundError otherwise."""
    as_path = Path(ref)
    if (as_path / DB_NAME).is_file():
        return as_path.resolve()
    candidate = Path(runs_dir) / ref
    if (candidate / DB_NAME).is_file():
        return candidate.resolve()
    if Path(runs_dir).is_dir():
        runs = sorted(p for p in Path(runs_dir).iterdir()
                      if (p / DB_NAME).is_file() and not p.name.startswith("."))
        if ref == "latest" and runs:
            return runs[-1].resolve()
        matches = [p for p in runs if ref in p.name]
        if len(matches) == 1:
            return matches[0].resolve()
        if len(matches) > 1:
            names = ", ".join(sorted(p.name for p in matches)[:5])
            raise NotFoundError(f"run {ref!r} is ambiguous: {names}")
    raise NotFoundError(f"run {ref!r}: no such run in {runs_dir}/ (see `cladist runs`)")


def list_runs(runs_dir: Path = Path("runs")) -> list[RunSummary]:
    """Summaries of every run folder under ``runs_dir``, oldest first."""
    from cladist.archive.lineage import best_belief

    summaries: list[RunSummary] = []
    if not Path(runs_dir).is_dir():
        return summaries
    for path in sorted(Path(runs_dir).iterdir()):
        if not (path / DB_NAME).is_file() or path.name.startswith("."):
            continue
        try:
            store = ArchiveStore(path / DB_NAME)
            try:
                record, totals = store.run_record(), store.totals()
                best = best_belief(store)
                score = store.node(best).score if best is not None else None
                last = store.last_event_at()
            finally:
                store.close()
        except ArchiveError as err:
            summaries.append(RunSummary(path.name, path, f"unreadable: {err}", 0, 0, None, None))
            continue
        summaries.append(RunSummary(record.id, path, shown_status(record.id, record.status),
                                    int(totals["nodes"]), int(totals["evaluations"]), best,
                                    score, last))
    return summaries
