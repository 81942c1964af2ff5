"""Simulated work for the real evolution loop: no LLM, no sandbox, no git, no database.

:class:`SimulatedExecutor` implements :class:`cladist.evolve.executors.Executor` over a
:class:`~cladist.sim.landscape.Landscape`, and :class:`SimArchive` implements
:class:`cladist.evolve.loop.LoopArchive` in memory, so that
:class:`cladist.evolve.loop.Evolution` (its policy calls, budget tracker and in-flight
accounting) drives simulated runs unchanged.

Time is simulated: the executor has ``workers`` workers; submitted work starts on a free
worker (else waits in a FIFO queue) and finishes at the landscape's simulated time, so
results come back out of order (easy tasks and passes first). The loop's ``wait`` pops the
next finishing piece of work and advances the clock to it: no real waiting, ever.

Costs: the simulated provider bills a piece of work when it starts (``evaluation_cost`` per
task evaluation, ``expansion_cost`` per expansion) and that is the run's dollars, so a
``dollars`` budget is a budget in task-evaluation units where an expansion costs
``expansion_cost``.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np

from cladist.archive.records import ExpansionOutcome, NodeStatus, RunEvent, Verdict
from cladist.evaluator.contracts import Task, TaskResult
from cladist.evolve.jobs import (
    EvaluationJob,
    EvaluationRecorded,
    ExpansionJob,
    ExpansionResult,
    ExpansionWork,
    Target,
    WorkDone,
)
from cladist.evolve.worker import fault_results
from cladist.sim.landscape import Landscape

_EVALUATE, _EXPAND = 1, 0


def sim_tasks(n_tasks: int) -> list[Task]:
    """The simulated suite: tasks ``t0`` .. ``t{n-1}`` (task ``tk`` is landscape task k)."""
    return [Task(f"t{k}", "simulated", "python", "", "", "") for k in range(n_tasks)]


class SimWorld:
    """What the executor and the archive share: the landscape, the dollars committed, and
    the child each expansion produced (keyed by expansion id)."""

    def __init__(self, land: Landscape):
        self.land = land
        self.committed = 0.0
        self.children: dict[int, int] = {}
        self.expansions_started = 0
        self.evaluations_started = 0
        self.now = 0.0  # the simulated clock (the executor's), the time of the events


class SimulatedExecutor:
    """An Executor whose work is drawn from the landscape; see the module docstring.
    ``seed`` drives the infrastructure faults (``infra_error_rate`` of the landscape)."""

    def __init__(self, world: SimWorld, workers: int, seed: int = 0):
        self.world, self.workers = world, workers
        self.now = 0.0
        self._events: list[tuple[float, int, Future[WorkDone], int, int, int]] = []
        self._queue: deque[tuple[Future[WorkDone], int, int, int]] = deque()
        self._running = 0
        self._seq = 0
        self._infra = np.random.default_rng([seed, 11])

    def submit_evaluation(self, ctx: Any, job: EvaluationJob) -> Future[WorkDone]:
        """Queue an evaluation of agent ``job.node_id`` on ``job.task`` (``tk``)."""
        self.world.committed += self.world.land.config.evaluation_cost
        self.world.evaluations_started += 1
        return self._submit(_EVALUATE, job.node_id, int(job.task.id[1:]))

    def submit_expansion(self, ctx: Any, job: ExpansionJob) -> Future[WorkDone]:
        """Queue an expansion; it creates the parent's next landscape child when it
        starts."""
        self.world.committed += self.world.land.config.expansion_cost
        self.world.expansions_started += 1
        return self._submit(_EXPAND, job.parent_id, job.expansion_id)

    def wait(self, futures: list[Future[WorkDone]], timeout: float) -> set[Future[WorkDone]]:
        """Advance the clock to the next piece of work to finish and return its future
        (empty when nothing runs). ``futures`` and ``timeout`` are not needed: every
        submitted future is the loop's."""
        while self._events:
            self.now, _, future, kind, agent, other = heapq.heappop(self._events)
            self.world.now = self.now
            self._running -= 1
            self._start_queued()
            if future.cancelled():
                continue
            future.set_result(self._outcome(kind, agent, other))
            return {future}
        return set()

    def shutdown(self, wait: bool) -> None:
        """Drop what is queued or running (nothing runs outside the loop's ``wait``)."""
        for future, *_ in self._queue:
            future.cancel()
        self._queue.clear()

    # -- internals -----------------------------------------------------------------
    def _submit(self, kind: int, agent: int, other: int) -> Future[WorkDone]:
        future: Future[WorkDone] = Future()
        self._queue.append((future, kind, agent, other))
        self._start_queued()
        return future

    def _start_queued(self) -> None:
        land = self.world.land
        while self._queue and self._running < self.workers:
            future, kind, agent, other = self._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            if kind == _EVALUATE:
                took = land.evaluation_time(agent, other, land.passes(agent, other))
            else:
                child = land.spawn(agent)
                self.world.children[other] = child
                took = land.expansion_time(child)
            heapq.heappush(self._events, (self.now + took, self._seq, future, kind, agent,
                                          other))
            self._seq += 1
            self._running += 1

    def _outcome(self, kind: int, agent: int, other: int) -> WorkDone:
        land = self.world.land
        if kind == _EXPAND:
            child = self.world.children[other]
            valid = land.valid[child]
            return WorkDone(ExpansionWork(
                ExpansionOutcome.VALID if valid else ExpansionOutcome.INVALID,
                None if valid else "the simulated child is invalid",
                NodeStatus.VALID if valid else NodeStatus.INVALID,
                cost_usd=land.config.expansion_cost))
        task = f"t{other}"
        if self._infra.random() < land.config.infra_error_rate:
            return WorkDone(fault_results(task, "simulated infrastructure fault"))
        verdict = Verdict.PASS if land.passes(agent, other) else Verdict.FAIL
        return WorkDone([TaskResult(task, verdict, cost_usd=land.config.evaluation_cost)])


class SimArchive:
    """A LoopArchive in memory: node ids are landscape agent ids (the root is 0). Keeps
    each node's parent and status and counts results; nothing is written anywhere."""

    def __init__(self, world: SimWorld):
        self.world = world
        self.nodes: dict[int, tuple[int | None, NodeStatus]] = {0: (None, NodeStatus.VALID)}
        self.results: dict[str, int] = {}
        self.outcomes: dict[str, int] = {}
        self._next_expansion = 1
        self._open: set[int] = set()

    def expansions_done(self) -> int:
        """Expansions that ended."""
        return sum(n for outcome, n in self.outcomes.items() if outcome != "abandoned")

    def dollars(self) -> float:
        """Dollars committed (see the module docstring)."""
        return self.world.committed

    def prepare_evaluation(self, node_id: int, task: Task) -> EvaluationJob:
        """The evaluation of agent ``node_id`` on ``task`` (no code: none is used)."""
        return EvaluationJob("sim", node_id, "", b"", task)

    def prepare_expansion(self, parent_id: int, rng: Callable[[], Any]) -> ExpansionJob:
        """Open an expansion of ``parent_id`` (no target, prompt or code: none is used,
        nor any random choice)."""
        eid = self._next_expansion
        self._next_expansion += 1
        self._open.add(eid)
        return ExpansionJob("sim", eid, parent_id, "", Target("general"), "", None, b"")

    def apply_expansion(self, job: ExpansionJob, future: Future[WorkDone]) -> ExpansionResult:
        """Record the child the executor made (or an ``error`` for a failed future)."""
        self._open.discard(job.expansion_id)
        child = self.world.children.pop(job.expansion_id, None)
        try:
            work = future.result().value
            assert isinstance(work, ExpansionWork)
        except Exception as err:
            work = ExpansionWork(ExpansionOutcome.ERROR, f"executor fault: {err}")
        if work.status is None or child is None:
            self._count(self.outcomes, "error")
            return ExpansionResult(job.expansion_id, job.parent_id, None, ExpansionOutcome.ERROR,
                                   work.reason, work.cost_usd,
                                   event=self._finished(job, ExpansionOutcome.ERROR, None,
                                                        work.reason))
        self.nodes[child] = (job.parent_id, work.status)
        self._count(self.outcomes, str(work.status))
        outcome = ExpansionOutcome(str(work.status))
        return ExpansionResult(job.expansion_id, job.parent_id, child, outcome,
                               work.reason, work.cost_usd,
                               event=self._finished(job, outcome, child, work.reason))

    def _finished(self, job: ExpansionJob, outcome: ExpansionOutcome, child: int | None,
                  reason: str | None) -> RunEvent:
        return RunEvent("expansion_finished", job.parent_id,
                        {"expansion": job.expansion_id, "outcome": outcome, "child": child,
                         "reason": reason}, self.world.now)

    def child_status(self, child_id: int) -> NodeStatus:
        """The recorded status of the child."""
        return self.nodes[child_id][1]

    def apply_evaluation(self, job: EvaluationJob, future: Future[WorkDone]
                         ) -> EvaluationRecorded:
        """Count the results (a failed future counts as one infra_error)."""
        try:
            results = future.result().value
            assert isinstance(results, list)
        except Exception as err:
            results = fault_results(job.task.id, f"executor fault: {err}")
        for r in results:
            self._count(self.results, str(r.verdict))
        return EvaluationRecorded(results, tuple(
            RunEvent("task_result", job.node_id,
                     {"task": r.task_id, "attempt": r.attempt, "verdict": str(r.verdict),
                      "infra_reason": r.infra_reason}, self.world.now) for r in results))

    def abandon_expansion(self, job: ExpansionJob) -> None:
        """Close the expansion as abandoned."""
        self._open.discard(job.expansion_id)
        self.world.children.pop(job.expansion_id, None)
        self._count(self.outcomes, "abandoned")

    @staticmethod
    def _count(table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1
