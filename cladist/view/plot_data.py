"""The numbers behind ``cladist plot``, computed from a run's archive (no matplotlib here).

- :func:`progress_series`: after each scored evaluation (sampled to at most ``max_points``),
  the own score of the agent the best-belief rule would pick then, and the mean own score of
  the evaluated agents.
- :func:`cost_series`: cumulative dollars (or tokens, when the run spent no dollars) of the
  metered LLM calls over minutes since the run started, one series per purpose.
- :func:`tree_layout`: a tidy layout of the lineage tree (leaves side by side, parents
  centred over their children, depth downwards) with each node's own score.
"""

from __future__ import annotations

from dataclasses import dataclass

from cladist.archive.lineage import lower_quantiles
from cladist.archive.queries import calls_timeline, scored_verdicts
from cladist.archive.records import NodeStatus
from cladist.archive.run import Run


@dataclass(frozen=True)
class ProgressSeries:
    """Best-belief score and archive mean after ``evaluations[i]`` scored evaluations."""

    evaluations: list[int]
    best_belief_score: list[float]
    archive_mean: list[float]
    best_belief_node: list[int]


@dataclass(frozen=True)
class CostSeries:
    """Cumulative spending per purpose: ``points[purpose]`` = [(minutes, cumulative)]."""

    unit: str  # "USD" or "tokens"
    points: dict[str, list[tuple[float, float]]]


@dataclass(frozen=True)
class TreeLayout:
    """Positions of the tree's nodes: ``x[id]``, ``y[id]`` (= -depth), own score or None,
    status, edges (parent, child) and the best-belief node."""

    x: dict[int, float]
    y: dict[int, float]
    score: dict[int, float | None]
    status: dict[int, str]
    edges: list[tuple[int, int]]
    best: int | None


def progress_series(run: Run, max_points: int = 400) -> ProgressSeries:
    """The progress curve of ``run``; empty lists before any scored evaluation. Quantiles
    are recomputed only for agents whose counts changed since the last point, so the
    curve of a big run stays cheap (the viewer's overview draws it on every change)."""
    import numpy as np

    rows, statuses = scored_verdicts(run.store)
    out = ProgressSeries([], [], [], [])
    total = len(rows)
    if not total:
        return out
    stride = max(1, -(-total // max_points))
    marks = set(range(stride, total + 1, stride)) | {total}
    ids = np.array(sorted({r[0] for r in rows}))
    index = {int(node_id): k for k, node_id in enumerate(ids)}
    eligible = np.array([statuses.get(int(i)) in (NodeStatus.VALID, NodeStatus.EVALUATING)
                         for i in ids])
    n_s, n_f = np.zeros(len(ids)), np.zeros(len(ids))
    quantile = np.zeros(len(ids))
    seen = np.zeros(len(ids), dtype=bool)
    dirty: set[int] = set()
    epsilon = run.config.archive.best_belief_epsilon
    for k, (node_id, verdict) in enumerate(rows, start=1):
        i = index[node_id]
        (n_s if verdict == "pass" else n_f)[i] += 1
        seen[i] = True
        dirty.add(i)
        if k not in marks:
            continue
        changed = np.fromiter(dirty, dtype=int)
        quantile[changed] = lower_quantiles(n_s[changed], n_f[changed], epsilon)
        dirty.clear()
        pick = eligible & seen if (eligible & seen).any() else seen
        # the best-belief rule (lineage.best_belief) among ``pick``; the others rank last
        key = np.where(pick, quantile, np.where(seen, -1.0, -2.0))
        best = int(np.lexsort((ids, -(n_s + n_f), -key))[0])
        scores = n_s[seen] / (n_s[seen] + n_f[seen])
        out.evaluations.append(k)
        out.best_belief_score.append(float(n_s[best] / (n_s[best] + n_f[best])))
        out.archive_mean.append(float(scores.mean()))
        out.best_belief_node.append(int(ids[best]))
    return out


def cost_series(run: Run) -> CostSeries:
    """Cumulative cost per purpose over minutes since the run was created."""
    start = run.store.run_record().created_at
    rows = calls_timeline(run.store)
    use_dollars = any(r[2] for r in rows)
    points: dict[str, list[tuple[float, float]]] = {}
    totals: dict[str, float] = {}
    for created, purpose, dollars, tokens in rows:
        totals[purpose] = totals.get(purpose, 0.0) + float(dollars if use_dollars else tokens)
        points.setdefault(purpose, [(0.0, 0.0)]).append(
            (max(0.0, (created - start) / 60), totals[purpose]))
    return CostSeries("USD" if use_dollars else "tokens", points)


def tree_layout(run: Run) -> TreeLayout:
    """A tidy layout of the whole tree (iterative: deep trees do not hit recursion limits)."""
    from cladist.archive.lineage import best_belief

    nodes = run.store.nodes()
    kids: dict[int, list[int]] = {n.id: [] for n in nodes}
    for n in nodes:
        if n.parent_id is not None:
            kids[n.parent_id].append(n.id)
    x: dict[int, float] = {}
    next_leaf = 0.0
    roots = [n.id for n in nodes if n.parent_id is None]
    stack: list[tuple[int, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        node_id, children_done = stack.pop()
        if not kids[node_id]:
            x[node_id], next_leaf = next_leaf, next_leaf + 1
        elif children_done:
            x[node_id] = (x[kids[node_id][0]] + x[kids[node_id][-1]]) / 2
        else:
            stack.append((node_id, True))
            stack.extend((k, False) for k in reversed(kids[node_id]))
    return TreeLayout(
        x=x, y={n.id: -float(n.depth) for n in nodes}, score={n.id: n.score for n in nodes},
        status={n.id: str(n.status) for n in nodes},
        edges=[(n.parent_id, n.id) for n in nodes if n.parent_id is not None],
        best=best_belief(run.store, run.config.archive.best_belief_epsilon))
