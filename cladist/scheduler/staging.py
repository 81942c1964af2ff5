"""DGM's staged evaluation, computed for every agent at once (numpy).

Stages are cumulative task counts taken from ``dgm_stages`` (default 10, then 50 more) and,
when those do not cover the suite, a last stage with the rest. An agent goes on from the
first stages when its pass rate is ≥ ``threshold`` (default 0.4); it goes on to the rest
only when its rate is strictly above the second-best rate among fully evaluated agents,
floored at ``threshold``. Stage tasks are taken in the suite's order, so every agent is
scored on the same first 10 and the same next 50 tasks (as the DGM reference does); a task
lost to an infra error is simply issued again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cladist.scheduler.contracts import Evaluate
from cladist.scheduler.state import VALID, TreeState


def boundaries(stages: Sequence[int], n_tasks: int) -> list[int]:
    """Cumulative task counts that end each stage, capped at ``n_tasks``; the last one is
    always ``n_tasks`` (the rest). Raises ValueError for a non-positive stage size."""
    if any(size <= 0 for size in stages):
        raise ValueError(f"stage sizes must be positive, got {list(stages)}")
    ends: list[int] = []
    for end in np.cumsum(list(stages) or [n_tasks]):
        end = min(int(end), n_tasks)
        if not ends or end > ends[-1]:
            ends.append(end)
    if ends[-1] < n_tasks:
        ends.append(n_tasks)
    return ends


def full_rates(state: TreeState) -> np.ndarray:
    """Pass rates of the valid agents evaluated on every task, best first."""
    done = state.col("occupied") - state.col("in_flight")
    full = np.flatnonzero((done >= len(state.task_ids)) & (state.col("status") == VALID))
    rates = state.col("n_s")[full] / np.maximum(done[full], 1)
    return np.sort(rates)[::-1]


def targets(state: TreeState, stages: Sequence[int], threshold: float) -> np.ndarray:
    """Number of scored tasks each agent is entitled to now (per the module's rules)."""
    n_tasks = len(state.task_ids)
    ends = boundaries(stages, n_tasks)
    done = state.col("occupied") - state.col("in_flight")
    rate = state.col("n_s") / np.maximum(done, 1)
    covers_all = int(np.sum(stages)) >= n_tasks
    best = full_rates(state)
    rest_bar = max(threshold, float(best[1]) if best.size > 1 else threshold)
    target = np.full(state.n, ends[0], np.int64)
    for k in range(len(ends) - 1):
        is_rest = not covers_all and k + 1 == len(ends) - 1
        goes_on = rate > rest_bar if is_rest else rate >= threshold
        target = np.where((done >= ends[k]) & goes_on, ends[k + 1], target)
    return target


def missing(state: TreeState, stages: Sequence[int], threshold: float) -> np.ndarray:
    """Tasks each agent still needs started to complete its entitled stage (≤ 0: none);
    only valid agents need any."""
    need = targets(state, stages, threshold) - state.col("occupied")
    return np.where(state.col("status") == VALID, need, 0)


def next_stage_work(state: TreeState, stages: Sequence[int],
                    threshold: float) -> Evaluate | None:
    """The missing tasks of the oldest agent that needs any, in suite order; or None."""
    need = missing(state, stages, threshold)
    waiting = np.flatnonzero(need > 0)
    if waiting.size == 0:
        return None
    i = int(waiting[0])
    agent = int(state.ids[i])
    tasks = state.free_tasks(agent)[: int(need[i])]
    return Evaluate(agent, tuple(tasks))


def settled(state: TreeState, stages: Sequence[int], threshold: float) -> np.ndarray:
    """Indices of valid agents with scored results, nothing in flight and no stage work
    owed: the ones whose score DGM may use."""
    need = missing(state, stages, threshold)
    ok = ((state.col("status") == VALID) & (need <= 0) & (state.col("in_flight") == 0)
          & (state.col("n_s") + state.col("n_f") > 0))
    return np.flatnonzero(ok)
