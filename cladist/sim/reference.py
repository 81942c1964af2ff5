"""A simulated run: a policy drives a :class:`TreeState` over a :class:`Landscape` with
asynchronous workers and event times, through the same interfaces the real loop uses.

``workers`` workers take work in order: queued tasks of an earlier ``Evaluate`` first (a
stage of DGM is split into one job per task), otherwise a fresh decision. Time advances to
the next finishing job (a heap of events), so results come back out of order: easy tasks
and passes are quicker, which is the asynchronous bias HGM suffers from. Work is committed
against the budget when it starts; no work starts once the budget is spent, and work in
flight is finished (``on_stop: finish``).
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cladist.archive.records import ExpansionOutcome, Verdict
from cladist.scheduler.contracts import Budget, Evaluate, Expand, Policy
from cladist.scheduler.state import TreeState
from cladist.sim.landscape import Landscape, LandscapeConfig
from cladist.sim.metrics import estimator_correlations

PolicyFactory = Callable[[Landscape, int], Policy]


@dataclass(frozen=True)
class SimResult:
    """The outcome of one simulated run (qualities are true expected pass rates)."""

    policy: str
    seed: int
    budget: float
    spent: float
    agents: int
    valid_agents: int
    evaluations: int
    expansions: int
    pick: int | None
    pick_quality: float
    best_quality: float
    regret: float
    budget_to_target: float
    corr_hgm: float
    corr_dgm: float
    decisions: int
    seconds: float


def simulate(make: PolicyFactory, budget: float, seed: int,
             config: LandscapeConfig | None = None, target: float = 0.6,
             checkpoints: int = 40) -> SimResult:
    """Run one simulation: ``make(landscape, seed)`` builds the policy. ``target`` is the
    true quality whose first reach by the policy's pick (checked at ``checkpoints`` evenly
    spaced budget points) gives ``budget_to_target`` (NaN if never). Raises ValueError
    for a non-positive budget."""
    if budget <= 0:
        raise ValueError(f"budget must be positive, got {budget}")
    cfg = config or LandscapeConfig()
    land = Landscape(cfg, seed)
    policy = make(land, seed)
    state = TreeState([f"t{k}" for k in range(cfg.n_tasks)])
    state.add_agent(0, None)
    infra_rng = np.random.default_rng([seed, 11])
    started = time.perf_counter()
    events: list[tuple[float, int, int, int, int]] = []  # (time, seq, kind, agent, task)
    queue: deque[tuple[int, int]] = deque()
    now, seq, spent, free, decisions, expansions = 0.0, 0, 0.0, cfg.workers, 0, 0
    next_check, reached = budget / checkpoints, math.nan

    while True:
        while free > 0:
            if queue:
                agent, task = queue.popleft()
                passed = land.passes(agent, task)
                heapq.heappush(events, (now + land.evaluation_time(agent, task, passed),
                                        seq, 1, agent, task))
                seq, free = seq + 1, free - 1
                continue
            if spent >= budget:
                break
            decision = policy.decide(state, Budget(budget, spent))
            decisions += 1
            if isinstance(decision, Expand):
                state.start_expansion(decision.parent_id)
                child = land.spawn(decision.parent_id)
                heapq.heappush(events, (now + land.expansion_time(child), seq, 0,
                                        decision.parent_id, child))
                seq, free, spent = seq + 1, free - 1, spent + cfg.expansion_cost
                expansions += 1
            elif isinstance(decision, Evaluate):
                room = max(1, math.ceil((budget - spent) / cfg.evaluation_cost))
                tasks = decision.task_ids[:room]
                state.start_evaluation(decision.agent_id, tasks)
                queue.extend((decision.agent_id, int(t[1:])) for t in tasks)
                spent += cfg.evaluation_cost * len(tasks)
            else:
                break
        if not events:
            break
        now, _, kind, agent, other = heapq.heappop(events)
        free += 1
        if kind == 0:
            outcome = ExpansionOutcome.VALID if land.valid[other] else ExpansionOutcome.INVALID
            state.finish_expansion(agent, outcome, other)
        else:
            if infra_rng.random() < cfg.infra_error_rate:
                verdict = Verdict.INFRA_ERROR
            else:
                verdict = Verdict.PASS if land.passes(agent, other) else Verdict.FAIL
            state.finish_evaluation(agent, f"t{other}", verdict)
        if spent >= next_check or not events:
            next_check = spent + budget / checkpoints
            if math.isnan(reached):
                pick = policy.final_pick(state)
                if pick is not None and land.quality([pick])[0] >= target:
                    reached = spent
    return result_of(policy, seed, budget, spent, land, state, expansions, reached,
                     decisions, time.perf_counter() - started)


def result_of(policy: Policy, seed: int, budget: float, spent: float, land: Landscape,
              state: TreeState, expansions: int, reached: float, decisions: int,
              seconds: float) -> SimResult:
    """The :class:`SimResult` of a finished run (``spent`` in budget units)."""
    quality = land.qualities()[state.ids]
    valid = np.asarray(land.valid)[state.ids]
    pick = policy.final_pick(state)
    pick_quality = float(land.quality([pick])[0] if pick is not None else quality[0])
    best = float(quality[valid].max())
    corr_hgm, corr_dgm = estimator_correlations(state, quality)
    return SimResult(policy.name, seed, budget, spent, state.n, int(valid.sum()),
                     state.evaluations, expansions, pick, pick_quality, best,
                     best - pick_quality, reached, corr_hgm, corr_dgm, decisions, seconds)
