"""JSON-ready data of one run for the web viewer: the tree, a node's page, the comparison of
two nodes, blobs, and a cheap fingerprint that changes whenever the archive does.

:class:`RunData` opens the run read-only (never migrating or writing it), so it is safe
beside a run in progress; every call reads the archive afresh.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from cladist.archive.liveness import shown_status
from cladist.archive.queries import content_version, llm_costs
from cladist.archive.records import ResultRecord
from cladist.errors import UsageError

BLOB_FOLDERS = frozenset({"nodes", "expansions", "llm"})
"""Top folders of a run holding blobs; the viewer serves files from these only."""
BLOB_CAP = 1_000_000
"""Most bytes of one blob sent to the page (the rest is cut, and said so)."""
DIFF_CAP = 2_000_000
"""Most characters of one diff sent to the page."""
DIFF_CACHE = 256
"""Most diffs kept in memory by a running viewer."""
def _cut(text_: str, cap: int) -> dict[str, Any]:
    return {"text": text_[:cap], "truncated": len(text_) > cap, "size": len(text_)}


class RunData:
    """Read-only JSON views of one run folder.

    Raises NotFoundError when ``path`` holds no run, ArchiveError when its archive is
    unusable (see :meth:`cladist.archive.run.Run.open`).
    """

    def __init__(self, path: Path):
        from cladist.archive.run import Run

        self.run = Run.open(Path(path), read_only=True)
        self.path = self.run.path
        self._diffs: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the archive."""
        self.run.close()

    # -- change detection ----------------------------------------------------------
    def version(self) -> str:
        """A fingerprint of the archive's content that changes with every write the viewer
        shows (nodes, statuses, results, expansions, LLM calls, the run's status, plots)."""
        return str(self.state()["version"])

    def state(self) -> dict[str, Any]:
        """The fingerprint (:meth:`version`) with the run's status and number of nodes."""
        row = content_version(self.run.store)
        plots = self.path / "plots"
        stamp = max((p.stat().st_mtime_ns for p in plots.glob("*.svg")), default=0) if (
            plots.is_dir()) else 0
        status = shown_status(self.run.id, row[3])  # a dead process's "running" is crashed
        return {"version": "/".join(str(v) for v in row) + f"/{stamp}/{status}",
                "status": status,
                "nodes": int(str(row[0]).split(":")[0])}

    # -- tree ------------------------------------------------------------------------
    def tree(self) -> dict[str, Any]:
        """Every node (see :func:`cladist.view.text.tree_data`) plus the run's facts."""
        from cladist.view.text import tree_data

        data = tree_data(self.run)
        data["version"] = self.version()
        return data

    # -- one node ----------------------------------------------------------------------
    def diff(self, old_sha: str, new_sha: str) -> str:
        """Text diff between two agent commits (cached: commits never change)."""
        key = (old_sha, new_sha)
        with self._lock:
            if key in self._diffs:
                return self._diffs[key]
        found = self.run.agents.diff(old_sha, new_sha, binary=False)
        with self._lock:
            self._diffs[key] = found
            while len(self._diffs) > DIFF_CACHE:  # the oldest go first
                del self._diffs[next(iter(self._diffs))]
        return found

    def node(self, node_id: int, with_diff: bool = True) -> dict[str, Any]:
        """A node's page: lineage from the root, children, the expansion that produced it
        (diagnosis and problem statement), its attempts as a parent, the diff against its
        parent, per-task results with blob refs, and its tokens and dollars.

        Raises NotFoundError for an unknown node.
        """
        from cladist.archive.lineage import ancestors, best_belief, children

        store = self.run.store
        n = store.node(node_id)
        origin = next((e for e in store.expansions(n.parent_id) if e.child_id == node_id),
                      None) if n.parent_id is not None else None
        diff = ""
        if with_diff and n.parent_id is not None:
            diff = self.diff(store.node(n.parent_id).commit_sha, n.commit_sha)
        calls = llm_costs(store, node_id)
        return self._page(n, [store.node(i) for i in ancestors(store, node_id)],
                          [store.node(i) for i in children(store, node_id)], origin,
                          store.expansions(parent_id=node_id), store.results(node_id), diff,
                          best_belief(store, self.run.config.archive.best_belief_epsilon),
                          calls)

    def pages(self) -> Iterator[dict[str, Any]]:
        """Every node's page (as :meth:`node`), read in bulk: a few queries and one git
        process per thousand nodes, for the static export of big runs."""
        from cladist.archive.lineage import best_belief

        store = self.run.store
        nodes = {n.id: n for n in store.nodes()}
        kids: dict[int, list[Any]] = {i: [] for i in nodes}
        for n in nodes.values():
            if n.parent_id is not None:
                kids[n.parent_id].append(n)
        tried: dict[int, list[Any]] = {i: [] for i in nodes}
        origin: dict[int, Any] = {}
        for e in store.expansions():
            tried[e.parent_id].append(e)
            if e.child_id is not None:
                origin.setdefault(e.child_id, e)
        results: dict[int, list[ResultRecord]] = {i: [] for i in nodes}
        for r in store.results():
            results[r.node_id].append(r)
        calls: dict[int, list[Any]] = {}
        for row in llm_costs(store):
            calls.setdefault(row[0], []).append(row)
        diffs = self.run.agents.parent_diffs([n.commit_sha for n in nodes.values()])
        best = best_belief(store, self.run.config.archive.best_belief_epsilon)
        for n in nodes.values():
            lineage, up = [], n.parent_id
            while up is not None:
                lineage.append(nodes[up])
                up = nodes[up].parent_id
            diff = ""
            if n.parent_id is not None:
                parent_sha = nodes[n.parent_id].commit_sha
                first_parent, diff = diffs.get(n.commit_sha, (None, ""))
                if n.commit_sha == parent_sha:
                    diff = ""
                elif first_parent != parent_sha:  # not a direct child commit: ask git
                    diff = self.diff(parent_sha, n.commit_sha)
            yield self._page(n, lineage[::-1], kids[n.id], origin.get(n.id), tried[n.id],
                             results[n.id], diff, best, calls.get(n.id, []))

    def _page(self, n: Any, ancestry: list[Any], kids: list[Any], origin: Any,
              tried: list[Any], results: list[ResultRecord], diff: str, best: int | None,
              calls: Sequence[Any]) -> dict[str, Any]:
        return {
            "node": {**_brief(n), "commit": n.commit_sha, "created_at": n.created_at,
                     "depth": n.depth, "reason": n.reason, "infra_errors": n.n_infra,
                     "clade_passes": n.clade_pass, "clade_fails": n.clade_fail,
                     "clade_estimate": n.clade_estimate, "best": n.id == best},
            "lineage": [_brief(a) for a in ancestry] + [_brief(n)],
            "children": [_brief(k) for k in kids],
            "origin": self._expansion(origin) if origin is not None else None,
            "expansions": [self._expansion(e, detail=False) for e in tried],
            "diff": _cut(diff, DIFF_CAP),
            "results": [_result(r) for r in results],
            "tasks": task_counts(results),
            "costs": {
                "evaluation": {"tokens_in": sum(r.tokens_in for r in results),
                               "tokens_out": sum(r.tokens_out for r in results),
                               "cost_usd": sum(r.cost_usd for r in results)},
                "creation": None if origin is None else {
                    "tokens_in": origin.tokens_in, "tokens_out": origin.tokens_out,
                    "cost_usd": origin.cost_usd},
                "llm_calls": [{"purpose": p, "calls": k, "tokens_in": ti, "tokens_out": to,
                               "cost_usd": cost} for _n, p, k, ti, to, cost in calls]},
        }

    def _expansion(self, e: Any, detail: bool = True) -> dict[str, Any]:
        row = {"id": e.id, "parent": e.parent_id, "child": e.child_id, "outcome": e.outcome,
               "reason": e.reason, "target": e.target, "started_at": e.started_at,
               "finished_at": e.finished_at, "tokens_in": e.tokens_in,
               "tokens_out": e.tokens_out, "cost_usd": e.cost_usd,
               "problem_statement": e.problem_statement, "diagnosis_ref": e.diagnosis_ref}
        if detail:
            row["diagnosis"] = None
            if e.diagnosis_ref and self.run.blobs.exists(e.diagnosis_ref):
                raw = self.run.blobs.get_text(e.diagnosis_ref)
                try:
                    row["diagnosis"] = json.loads(raw)
                except ValueError:
                    row["diagnosis"] = raw
            for key, name in (("self_edit_trajectory_ref", "self_edit_trajectory.json"),
                              ("rejected_patch_ref", "rejected.patch")):
                ref = f"expansions/{e.id}/{name}"
                row[key] = ref if self.run.blobs.exists(ref) else None
        return row

    # -- comparison ----------------------------------------------------------------------
    def compare(self, a: int, b: int) -> dict[str, Any]:
        """Two nodes side by side: their common ancestor, the diff from ``a`` to ``b`` and
        the per-task differences. Raises NotFoundError for an unknown node."""
        from cladist.archive.lineage import ancestors

        store = self.run.store
        na, nb = store.node(a), store.node(b)
        path_a, path_b = [*ancestors(store, a), a], [*ancestors(store, b), b]
        common = [x for x, y in zip(path_a, path_b, strict=False) if x == y]
        ta, tb = task_counts(store.results(a)), task_counts(store.results(b))
        tasks = []
        for task in sorted(set(ta) | set(tb)):
            ca, cb = ta.get(task), tb.get(task)
            tasks.append({"task": task, "a": ca, "b": cb, "differs": _rate(ca) != _rate(cb)})
        return {"a": _brief(na), "b": _brief(nb),
                "common_ancestor": common[-1] if common else None,
                "diff": _cut(self.diff(na.commit_sha, nb.commit_sha), DIFF_CAP),
                "tasks": tasks}

    # -- blobs -------------------------------------------------------------------------
    def blob(self, ref: str) -> dict[str, Any]:
        """The text of a blob (a patch, test output, trajectory, diagnosis, recording),
        cut at :data:`BLOB_CAP` bytes. Raises UsageError for a ref outside the run's blob
        folders, NotFoundError when nothing is stored there."""
        parts = PurePosixPath(ref).parts
        if not parts or parts[0] not in BLOB_FOLDERS or ".." in parts:
            raise UsageError(f"{ref!r}: not a blob of this run")
        data = self.run.blobs.get(ref)
        return {"ref": ref, "text": data[:BLOB_CAP].decode("utf-8", errors="replace"),
                "truncated": len(data) > BLOB_CAP, "size": len(data)}


def _brief(n: Any) -> dict[str, Any]:
    return {"id": n.id, "parent": n.parent_id, "status": str(n.status), "passes": n.n_pass,
            "fails": n.n_fail, "evaluations": n.evaluations, "score": n.score,
            "summary": n.summary}


def _result(r: ResultRecord) -> dict[str, Any]:
    return {"id": r.id, "task": r.task_id, "attempt": r.attempt, "verdict": str(r.verdict),
            "created_at": r.created_at, "agent_seconds": r.agent_seconds,
            "grade_seconds": r.grade_seconds, "tokens_in": r.tokens_in,
            "tokens_out": r.tokens_out, "cost_usd": r.cost_usd, "detail": r.detail,
            "refs": {"patch": r.patch_ref, "test_output": r.test_output_ref,
                     "trajectory": r.trajectory_ref, "log": r.log_ref}}


def task_counts(results: list[ResultRecord]) -> dict[str, dict[str, int]]:
    """{task: {"pass": n, "fail": n, "infra_error": n}} of a node's results."""
    counts: dict[str, Counter[str]] = {}
    for r in results:
        counts.setdefault(r.task_id, Counter())[str(r.verdict)] += 1
    return {task: {k: c[k] for k in ("pass", "fail", "infra_error")}
            for task, c in sorted(counts.items())}


def _rate(c: dict[str, int] | None) -> float | None:
    if not c or not (c["pass"] + c["fail"]):
        return None
    return c["pass"] / (c["pass"] + c["fail"])

