"""Recording task results: rows, idempotence, and the incremental clade counts.

Mixed into :class:`cladist.archive.store.ArchiveStore`, which provides the engine and the
write transactions.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import IntegrityError

from cladist.archive import schema as t
from cladist.archive.records import NewResult, ResultRecord, Verdict
from cladist.errors import NotFoundError

if TYPE_CHECKING:
    from sqlalchemy import Engine


class ResultsMixin:
    """Task results of an archive store (see the module docstring)."""

    if TYPE_CHECKING:
        engine: Engine

        def _write(self) -> AbstractContextManager[Connection]: ...

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
