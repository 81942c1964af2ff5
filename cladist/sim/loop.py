"""Simulated runs through the real loop: :class:`cladist.evolve.loop.Evolution` drives a
policy over a :class:`~cladist.sim.landscape.Landscape` with a
:class:`~cladist.sim.world.SimulatedExecutor` and an in-memory
:class:`~cladist.sim.world.SimArchive` (no LLM, no sandbox, no git, no database).

The budget is the real :class:`~cladist.evolve.budget.BudgetTracker` on a ``dollars`` limit
of ``budget`` (the simulated provider bills each piece of work when it starts: a task
evaluation costs ``evaluation_cost``, an expansion ``expansion_cost``), so the policy sees
the run's budget fraction exactly as in a real run, and the loop's in-flight accounting and
stop rules apply unchanged (``on_stop: finish``). Every policy gives the same figures as
the reference event loop of :mod:`cladist.sim.reference` on the same seed: the loop
starts a stage of tasks one per free worker and checks the budget before each, which ends
a stage where the reference loop cuts it.
"""

from __future__ import annotations

import math
import time
from typing import Any

from cladist.archive.records import RunEvent
from cladist.config import BudgetConfig, Config, RunConfig
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.budget import BudgetTracker
from cladist.evolve.loop import Evolution
from cladist.scheduler.contracts import Budget, Decision, Policy
from cladist.scheduler.state import TreeState
from cladist.sim.landscape import Landscape, LandscapeConfig
from cladist.sim.reference import PolicyFactory, SimResult, result_of
from cladist.sim.world import SimArchive, SimulatedExecutor, SimWorld, sim_tasks


class CountingPolicy:
    """Passes every call through to ``policy``, counting ``decide`` calls."""

    def __init__(self, policy: Policy):
        self.policy, self.name, self.decisions = policy, policy.name, 0

    def decide(self, state: TreeState, budget: Budget) -> Decision:
        """The wrapped policy's decision."""
        self.decisions += 1
        return self.policy.decide(state, budget)

    def final_pick(self, state: TreeState) -> int | None:
        """The wrapped policy's pick."""
        return self.policy.final_pick(state)


class SimRun:
    """One simulated run set up for the real loop (see the module docstring); ``run()``
    drives it and returns the :class:`SimResult`. ``budget_config`` replaces the default
    dollars budget (e.g. a ``task_evaluations`` limit) for tests of the loop itself.
    Raises ValueError for a non-positive budget."""

    def __init__(self, make: PolicyFactory, budget: float, seed: int,
                 config: LandscapeConfig | None = None, target: float = 0.6,
                 checkpoints: int = 40, budget_config: BudgetConfig | None = None):
        if budget <= 0:
            raise ValueError(f"budget must be positive, got {budget}")
        self.cfg = config or LandscapeConfig()
        self.budget, self.seed, self.target = budget, seed, target
        self.land = Landscape(self.cfg, seed)
        self.policy = CountingPolicy(make(self.land, seed))
        self.world = SimWorld(self.land)
        self.archive = SimArchive(self.world)
        self.executor = SimulatedExecutor(self.world, self.cfg.workers, seed)
        tasks = sim_tasks(self.cfg.n_tasks)
        self.state = TreeState([t.id for t in tasks])
        self.state.add_agent(0, None)
        limits = budget_config or BudgetConfig(task_evaluations=None, dollars=budget,
                                               workers=self.cfg.workers)
        config_ = Config(run=RunConfig(random_seed=seed), budget=limits)
        ctx = EvalContext(config_, None, _no_sandbox, str, "sim")
        self.loop = Evolution(self.archive, ctx, tasks, self.policy, self.state,
                              self.executor, BudgetTracker(limits), self._on_event)
        self.events: list[RunEvent] | None = None
        self._step = self._next_check = budget / checkpoints
        self.reached = math.nan

    def _on_event(self, event: RunEvent) -> None:
        if self.events is not None:
            self.events.append(event)
        if self.world.committed >= self._next_check:
            self._next_check = self.world.committed + self._step
            self._check_target()

    def _check_target(self) -> None:
        if math.isnan(self.reached):
            pick = self.policy.final_pick(self.state)
            if pick is not None and self.land.quality([pick])[0] >= self.target:
                self.reached = self.world.committed

    def run(self) -> SimResult:
        """Drive the loop to its stop; the result (``stop_reason`` is on ``self.loop``)."""
        started = time.perf_counter()
        self.loop.run_loop()
        self.executor.shutdown(wait=False)
        self._check_target()
        return result_of(self.policy, self.seed, self.budget, self.world.committed, self.land,
                         self.state, self.world.expansions_started, self.reached,
                         self.policy.decisions, time.perf_counter() - started)


def simulate_loop(make: PolicyFactory, budget: float, seed: int,
                  config: LandscapeConfig | None = None, target: float = 0.6,
                  checkpoints: int = 40) -> SimResult:
    """One simulated run through the real loop; arguments as
    :func:`cladist.sim.reference.simulate`."""
    return SimRun(make, budget, seed, config, target, checkpoints).run()


def _no_sandbox(spec: Any) -> Any:
    raise RuntimeError("a simulated run opens no sandbox")
