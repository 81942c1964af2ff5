"""The archive database: one SQLite file per run, reached through SQLAlchemy Core.

The store owns every write to ``archive.db``. Each public write is one transaction, so a
process killed at any instant leaves either all of a write or none of it. Pooled clade
counts (``clade_pass``/``clade_fail``) are kept incrementally: recording a scored result adds
to the node and to each ancestor on its stored path, O(depth) rows per result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from cladist.archive import schema as t
from cladist.archive.db import WRITE_OPTION, connect_and_migrate, connect_read_only
from cladist.archive.records import (
    ExpansionRecord,
    NewLlmCall,
    NodeRecord,
    NodeStatus,
    RunEvent,
    RunRecord,
)
from cladist.archive.results import ResultsMixin
from cladist.errors import ArchiveError, NotFoundError


class ArchiveStore(ResultsMixin):
    """Read and write one run's ``archive.db``.

    Raises ArchiveError when the file is not a usable archive (corrupt, or a newer schema).
    With ``read_only`` nothing is migrated or written (every write raises ArchiveError):
    for viewers reading a run that another process is writing.
    """

    def __init__(self, path: Path, *, synchronous: str = "FULL", create: bool = False,
                 read_only: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise NotFoundError(f"{self.path}: no archive database here")
        self.read_only = read_only
        self.engine = (connect_read_only(self.path) if read_only
                       else connect_and_migrate(self.path, synchronous))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction holding SQLite's write lock from its start."""
        if self.read_only:
            raise ArchiveError(f"{self.path}: opened read-only")
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    # -- run -------------------------------------------------------------------------
    def init_run(self, run_id: str, name: str, config_yaml: str, version: str) -> None:
        """Write the run's row (once, at creation)."""
        with self._write() as c:
            c.execute(insert(t.run).values(id=run_id, name=name, created_at=time.time(),
                                           status="created", config_yaml=config_yaml,
                                           cladist_version=version))

    def run_record(self) -> RunRecord:
        """The run's row; raises ArchiveError if the archive has none."""
        with self.engine.connect() as c:
            row = c.execute(select(t.run)).first()
        if row is None:
            raise ArchiveError(f"{self.path}: archive has no run row")
        m = row._mapping
        return RunRecord(m["id"], m["name"], m["created_at"], m["status"], m["stop_reason"],
                         m["cladist_version"])

    def set_run_status(self, status: str, stop_reason: str | None = None) -> None:
        """Record the run's status (running, stopped, finished, crashed) and why it stopped."""
        with self._write() as c:
            c.execute(update(t.run).values(status=status, stop_reason=stop_reason))

    # -- nodes -----------------------------------------------------------------------
    def add_node(self, parent_id: int | None, commit_sha: str, *,
                 status: NodeStatus = NodeStatus.PENDING, reason: str | None = None,
                 summary: str | None = None) -> int:
        """Create a node under ``parent_id`` (None: the root) and return its id.

        Raises NotFoundError for an unknown parent, ArchiveError for a second root.
        """
        return self.add_nodes([(parent_id, commit_sha, status, reason, summary)])[0]

    def add_nodes(self, specs: Sequence[tuple[int | None, str, NodeStatus, str | None,
                                              str | None]]) -> list[int]:
        """Create many nodes in one transaction; a spec may name a parent created earlier
        in the same batch. Returns the new ids in order."""
        with self._write() as c:
            return self._insert_nodes(c, specs)

    def _insert_nodes(self, c: Any, specs: Sequence[tuple[int | None, str, NodeStatus,
                                                          str | None, str | None]]) -> list[int]:
        now = time.time()
        next_id = c.execute(select(func.coalesce(func.max(t.node.c.id) + 1, 0))).scalar_one()
        wanted = sorted({p for p, *_ in specs if p is not None})
        paths: dict[int, tuple[str, int]] = {}
        for i in range(0, len(wanted), 500):
            paths.update({row[0]: (row[1], row[2]) for row in c.execute(
                select(t.node.c.id, t.node.c.path, t.node.c.depth)
                .where(t.node.c.id.in_(wanted[i:i + 500])))})
        rows: list[dict[str, Any]] = []
        ids: list[int] = []
        for parent_id, sha, status, reason, summary in specs:
            if parent_id is None:
                if next_id != 0 or rows:
                    raise ArchiveError(f"{self.path}: the tree already has a root")
                path, depth = f"{next_id}/", 0
            else:
                if parent_id not in paths:
                    raise NotFoundError(f"node {parent_id}: no such node")
                parent_path, parent_depth = paths[parent_id]
                path, depth = f"{parent_path}{next_id}/", parent_depth + 1
            paths[next_id] = (path, depth)
            rows.append(dict(id=next_id, parent_id=parent_id, commit_sha=sha,
                             status=str(status), created_at=now, reason=reason,
                             summary=summary, depth=depth, path=path))
            ids.append(next_id)
            next_id += 1
        c.execute(insert(t.node), rows)
        return ids

    def set_status(self, node_id: int, status: NodeStatus, reason: str | None = None) -> None:
        """Change a node's status (and reason); raises NotFoundError for an unknown node."""
        values: dict[str, Any] = {"status": str(status)}
        if reason is not None:
            values["reason"] = reason
        with self._write() as c:
            if c.execute(update(t.node).where(t.node.c.id == node_id).values(**values)
                         ).rowcount == 0:
                raise NotFoundError(f"node {node_id}: no such node")

    def node(self, node_id: int) -> NodeRecord:
        """One node; raises NotFoundError if there is none with that id."""
        with self.engine.connect() as c:
            row = c.execute(select(t.node).where(t.node.c.id == node_id)).first()
        if row is None:
            raise NotFoundError(f"node {node_id}: no such node in {self.path.parent.name}")
        return _node(row._mapping)

    def nodes(self) -> list[NodeRecord]:
        """Every node, ordered by id."""
        with self.engine.connect() as c:
            return [_node(r._mapping) for r in c.execute(select(t.node).order_by(t.node.c.id))]

    def node_paths(self) -> list[tuple[int, int | None, str]]:
        """(id, parent_id, path) of every node: the cheap shape of the tree."""
        with self.engine.connect() as c:
            q = select(t.node.c.id, t.node.c.parent_id, t.node.c.path).order_by(t.node.c.id)
            return [(r[0], r[1], r[2]) for r in c.execute(q)]

    # -- expansions, llm calls, events -------------------------------------------------
    def start_expansion(self, parent_id: int, target: str | None = None) -> int:
        """Open an expansion attempt on ``parent_id``; returns its id."""
        with self._write() as c:
            return _insert_id(c, insert(t.expansion).values(
                parent_id=parent_id, started_at=time.time(), target=target,
                outcome="running"))

    def finish_expansion(self, expansion_id: int, outcome: str, *, child_id: int | None = None,
                         reason: str | None = None, problem_statement: str | None = None,
                         diagnosis_ref: str | None = None, tokens_in: int = 0,
                         tokens_out: int = 0, cost_usd: float = 0.0,
                         new_child: tuple[str, NodeStatus, str | None, str | None] | None = None
                         ) -> int | None:
        """Close an expansion attempt with its outcome (valid, invalid, error, abandoned).

        ``new_child`` (commit sha, status, reason, summary) creates the child node under the
        expansion's parent in the same transaction, so a crash never leaves a child without
        its expansion; returns the child's id (or ``child_id``).
        """
        with self._write() as c:
            if new_child is not None:
                parent = c.execute(select(t.expansion.c.parent_id).where(
                    t.expansion.c.id == expansion_id)).scalar()
                if parent is None:
                    raise NotFoundError(f"expansion {expansion_id}: no such expansion")
                sha, status, why, summary = new_child
                (child_id,) = self._insert_nodes(c, [(parent, sha, status, why, summary)])
            c.execute(update(t.expansion).where(t.expansion.c.id == expansion_id).values(
                outcome=outcome, child_id=child_id, reason=reason, finished_at=time.time(),
                problem_statement=problem_statement, diagnosis_ref=diagnosis_ref,
                tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost_usd))
        return child_id

    def expansions(self, parent_id: int | None = None) -> list[ExpansionRecord]:
        """Expansion attempts, of one parent or of all."""
        q = select(t.expansion).order_by(t.expansion.c.id)
        if parent_id is not None:
            q = q.where(t.expansion.c.parent_id == parent_id)
        with self.engine.connect() as c:
            return [ExpansionRecord(**{k: v for k, v in r._mapping.items()})
                    for r in c.execute(q)]

    def record_llm_call(self, call: NewLlmCall) -> int:
        """Record one metered LLM exchange; returns its id."""
        with self._write() as c:
            return _insert_id(c, insert(t.llm_call).values(
                created_at=time.time(), **call.__dict__))

    def add_event(self, event: RunEvent) -> int:
        """Append an event row (the run also appends it to events.jsonl)."""
        with self._write() as c:
            return _insert_id(c, insert(t.event).values(
                ts=event.ts, kind=event.kind, node_id=event.node_id,
                data=json.dumps(dict(event.data), default=str)))

    def last_event_at(self) -> float | None:
        """When the run's last event was recorded (None before any)."""
        with self.engine.connect() as c:
            return c.execute(select(func.max(t.event.c.ts))).scalar()

    def totals(self) -> dict[str, float]:
        """Run-wide sums: nodes, scored evaluations, infra errors, tokens and dollars."""
        with self.engine.connect() as c:
            n = c.execute(select(func.count(), func.coalesce(func.sum(t.node.c.n_pass), 0),
                                 func.coalesce(func.sum(t.node.c.n_fail), 0),
                                 func.coalesce(func.sum(t.node.c.n_infra), 0))
                          .select_from(t.node)).one()
            llm = c.execute(select(func.coalesce(func.sum(t.llm_call.c.cost_usd), 0.0),
                                   func.coalesce(func.sum(t.llm_call.c.tokens_in
                                                          + t.llm_call.c.tokens_out), 0))
                            ).one()
        return {"nodes": n[0], "passes": n[1], "fails": n[2], "infra_errors": n[3],
                "evaluations": n[1] + n[2], "llm_cost_usd": llm[0], "llm_tokens": llm[1]}

    def integrity_check(self) -> str:
        """SQLite's own integrity check: 'ok' or the first problem it reports."""
        with self.engine.connect() as c:
            return str(c.execute(text("PRAGMA integrity_check")).scalar())


def _insert_id(c: Any, statement: Any) -> int:
    key = c.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


def _node(m: Any) -> NodeRecord:
    return NodeRecord(id=m["id"], parent_id=m["parent_id"], commit_sha=m["commit_sha"],
                      status=NodeStatus(m["status"]), created_at=m["created_at"],
                      depth=m["depth"], n_pass=m["n_pass"], n_fail=m["n_fail"],
                      n_infra=m["n_infra"], clade_pass=m["clade_pass"],
                      clade_fail=m["clade_fail"], reason=m["reason"], summary=m["summary"])
