"""The run overview of the web viewer: budgets used against the configured limits, the
progress curve (best-belief score over evaluations spent), the best-belief agent, costs by
purpose, expansions by outcome, recent events and the plots written by ``cladist plot``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from cladist.archive.liveness import shown_status
from cladist.archive.queries import overview_counts
from cladist.view.web.data import RunData

PLOT_NAMES = ("progress", "tree", "costs")
"""Plots ``cladist plot RUN`` writes into ``<run>/plots/`` as NAME.svg and NAME.png."""
MAX_POINTS = 400
"""Most points of the progress curve sent to the page."""


def overview(data: RunData) -> dict[str, Any]:
    """The overview page's data (see the module docstring)."""
    from cladist.archive.lineage import best_belief

    run, store = data.run, data.run.store
    record, totals = store.run_record(), store.totals()
    best_id = best_belief(store, run.config.archive.best_belief_epsilon)
    best = None
    if best_id is not None:
        n = store.node(best_id)
        best = {"id": n.id, "score": n.score, "passes": n.n_pass, "evaluations": n.evaluations,
                "summary": n.summary}
    counts = overview_counts(store)
    outcomes: dict[str, int] = counts["outcomes"]
    costs, sessions, recent = counts["costs"], counts["sessions"], counts["recent"]
    status = shown_status(record.id, record.status)  # "running" without its process: crashed
    budget = run.config.budget
    limits = {"task_evaluations": budget.task_evaluations, "expansions": budget.expansions,
              "dollars": budget.dollars, "wall_clock_s": budget.wall_clock_s}
    used = {"task_evaluations": totals["evaluations"],
            "expansions": sum(k for o, k in outcomes.items() if o not in ("running", "abandoned")),
            "dollars": totals["llm_cost_usd"],
            "wall_clock_s": _wall_clock(sessions, status)}
    return {
        "run": {"id": record.id, "name": record.name, "status": status,
                "stop_reason": record.stop_reason, "created_at": record.created_at,
                "cladist_version": record.cladist_version, "path": str(data.path),
                "policy": run.config.scheduler.policy, "workers": budget.workers,
                "model": f"{run.config.llm.provider}/{run.config.llm.model}"},
        "budget": [{"name": k, "limit": limits[k], "used": used[k]} for k in limits],
        "totals": totals,
        "best": best,
        "expansions": outcomes,
        "costs": costs,
        "progress": progress(data),
        "events": [{"ts": ts, "kind": kind, "node": node,
                    "data": json.loads(raw) if raw else {}} for ts, kind, node, raw in recent],
        "plots": plots(data),
        "version": data.version(),
    }


def _wall_clock(sessions: Sequence[Any], status: str) -> float:
    spent = 0.0
    open_since: float | None = None
    for ts, kind, raw in sessions:
        if kind == "session_started":
            open_since = ts
        else:
            spent += float(json.loads(raw or "{}").get("elapsed_s", 0))
            open_since = None
    if open_since is not None and status == "running":
        spent += max(time.time() - open_since, 0.0)
    return spent


def progress(data: RunData) -> list[dict[str, Any]]:
    """The curve of ``cladist plot``'s progress figure
    (:func:`cladist.view.plot_data.progress_series`) as points for the page: after each
    sampled count of scored evaluations, the best-belief agent then, its own pass rate and
    the mean pass rate of evaluated agents."""
    from cladist.view.plot_data import progress_series

    series = progress_series(data.run, MAX_POINTS)
    return [{"evaluations": k, "best": best, "best_score": score, "mean_score": mean}
            for k, best, score, mean in zip(series.evaluations, series.best_belief_node,
                                            series.best_belief_score, series.archive_mean,
                                            strict=True)]


def plots(data: RunData) -> list[dict[str, Any]]:
    """The SVG plots present in ``<run>/plots/``: name and URL path."""
    folder = data.path / "plots"
    return [{"name": name, "url": f"plots/{name}.svg"} for name in PLOT_NAMES
            if (folder / f"{name}.svg").is_file()]
