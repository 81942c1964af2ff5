"""The archive database: one SQLite file per run, reached through SQLAlchemy Core.

The store owns every write to ``archive.db``. Each public write is one transaction, so a
process killed at any instant leaves either all of a write or none of it. Pooled clade
counts (``clade_pass``/``clade_fail``) are kept incrementally: recording a scored result adds
to the node and to each ancestor on its stored path, O(depth) rows per result.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from cladist.archive import schema as t
from cladist.archive.db import WRITE_OPTION, connect_and_migrate
from cladist.archive.records import (
    ExpansionRecord,
    NewLlmCall,
    NewResult,
    NodeRecord,
    NodeStatus,
    ResultRecord,
    RunRecord,
    Verdict,
)
from cladist.errors import ArchiveError, NotFoundError


class ArchiveStore:
    """Read and write one run's ``archive.db``.

    Raises ArchiveError when the file is not a usable archive (corrupt, or a newer schema).
    """

    def __init__(self, path: Path, *, synchronous: str = "FULL", create: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise NotFoundError(f"{self.path}: no archive database here")
        self.engine = connect_and_migrate(self.path, synchronous)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction holding SQLite's write lock from its start."""
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

    # -- results ---------------------------------------------------------------------
    def record_result(self, result: NewResult) -> int:
        """Record one task evaluation and update clade counts; returns the row id.

        Recording the same scored (node, task, attempt) twice is a no-op that returns the
        first row's id, so a resumed run cannot double count. Raises NotFoundError for an
        unknown node.
        """
        return self.record_results([result])[0]

    def record_results(self, results: Iterable[NewResult]) -> list[int]:
        """Record many evaluations in one transaction (see :meth:`record_result`)."""
        results = list(results)
        now = time.time()
        ids: list[int | None] = [None] * len(results)
        with self._write() as c:
            known = self._scored_keys(c, {r.node_id for r in results})
            fresh: list[dict[str, Any]] = []
            # (position in results, -1 - position in fresh): negative ids mark rows of
            # this batch, whose real ids come back from the insert.
            slots: list[tuple[int, int]] = []
            own: dict[int, Counter[str]] = {}
            for k, r in enumerate(results):
                key = (r.node_id, r.task_id, r.attempt)
                scored = r.verdict != Verdict.INFRA_ERROR
                if scored and key in known:
                    prior = known[key]
                    if prior >= 0:
                        ids[k] = prior  # recorded by an earlier transaction
                    else:
                        slots.append((k, prior))  # same as a row inserted by this batch
                    continue
                if scored:
                    known[key] = -1 - len(fresh)  # a duplicate within this batch
                slots.append((k, -1 - len(fresh)))
                fresh.append(_result_row(r, now))
                own.setdefault(r.node_id, Counter())[str(r.verdict)] += 1
            if fresh:
                try:
                    new_ids = [row[0] for row in c.execute(
                        insert(t.task_result).returning(t.task_result.c.id,
                                                        sort_by_parameter_order=True), fresh)]
                except IntegrityError:
                    raise NotFoundError(f"node {self._first_unknown(c, own)}: no such node"
                                        ) from None
                for k, slot in slots:
                    ids[k] = new_ids[-1 - slot]
            self._apply_counts(c, own)
        return [int(i) for i in ids if i is not None]

    def _scored_keys(self, c: Any, node_ids: set[int]) -> dict[tuple[int, str, int], int]:
        found: dict[tuple[int, str, int], int] = {}
        listed = sorted(node_ids)
        for i in range(0, len(listed), 500):
            q = select(t.task_result.c.id, t.task_result.c.node_id, t.task_result.c.task_id,
                       t.task_result.c.attempt).where(
                t.task_result.c.node_id.in_(listed[i:i + 500]),
                t.task_result.c.verdict != "infra_error")
            found.update({(n, task, a): rid for rid, n, task, a in c.execute(q)})
        return found

    def _first_unknown(self, c: Any, node_ids: Iterable[int]) -> int:
        listed = sorted(node_ids)
        present = set(c.execute(select(t.node.c.id).where(t.node.c.id.in_(listed))).scalars())
        return next(i for i in listed if i not in present)

    def _apply_counts(self, c: Any, own: dict[int, Counter[str]]) -> None:
        if not own:
            return
        listed = list(own)
        paths: dict[int, str] = {}
        for i in range(0, len(listed), 500):
            paths.update(c.execute(select(t.node.c.id, t.node.c.path)
                                   .where(t.node.c.id.in_(listed[i:i + 500]))).all())
        clade: dict[int, list[int]] = {}
        own_rows = []
        for node_id, counts in own.items():
            own_rows.append(dict(i=node_id, p=counts["pass"], f=counts["fail"],
                                 x=counts["infra_error"]))
            if counts["pass"] or counts["fail"]:
                for anc in paths[node_id].rstrip("/").split("/"):
                    acc = clade.setdefault(int(anc), [0, 0])
                    acc[0] += counts["pass"]
                    acc[1] += counts["fail"]
        c.execute(text("UPDATE node SET n_pass = n_pass + :p, n_fail = n_fail + :f, "
                       "n_infra = n_infra + :x WHERE id = :i"), own_rows)
        if clade:
            c.execute(text("UPDATE node SET clade_pass = clade_pass + :p, "
                           "clade_fail = clade_fail + :f WHERE id = :i"),
                      [dict(i=i, p=p, f=f) for i, (p, f) in clade.items()])

    def results(self, node_id: int | None = None) -> list[ResultRecord]:
        """Recorded evaluations, of one node or of all, in recording order."""
        q = select(t.task_result).order_by(t.task_result.c.id)
        if node_id is not None:
            q = q.where(t.task_result.c.node_id == node_id)
        with self.engine.connect() as c:
            return [_result(r._mapping) for r in c.execute(q)]

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

    def add_event(self, kind: str, node_id: int | None = None, **data: Any) -> int:
        """Append an event row (the run also appends it to events.jsonl)."""
        with self._write() as c:
            return _insert_id(c, insert(t.event).values(
                ts=time.time(), kind=kind, node_id=node_id,
                data=json.dumps(data, default=str)))

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


def _result_row(r: NewResult, now: float) -> dict[str, Any]:
    row = {k: v for k, v in r.__dict__.items()}
    row["verdict"] = str(Verdict(r.verdict))
    row["detail"] = json.dumps(r.detail) if r.detail else None
    row["created_at"] = now
    return row


def _result(m: Any) -> ResultRecord:
    values = dict(m)
    values["verdict"] = Verdict(values["verdict"])
    values["detail"] = json.loads(values["detail"]) if values["detail"] else {}
    return ResultRecord(**values)
