"""The evolution loop: N asynchronous workers, no generation barrier.

The driver asks the policy for the next piece of work whenever a worker is free, hands it to
the executor, and folds each finished piece back into the tree state and the archive. A
decision to evaluate several tasks (a stage) is handed over one task per free worker, so
the budget is checked before each starts. It stops at the first budget spent, when nothing
is left to do, or when asked to (Ctrl-C): tasks decided but not started are dropped,
in-flight work is finished or abandoned as configured, and the reason is recorded.
The archive is reached only through a :class:`LoopArchive` (the real run:
:class:`~cladist.evolve.driver.RunArchive`; or the simulator's in-memory one,
:class:`cladist.sim.world.SimArchive`, so that the very same loop, policies, budget
tracker and in-flight accounting drive simulated work at 10^5 nodes), and work only through
an :class:`~cladist.evolve.executors.Executor`, whose ``wait`` also lets a simulated
executor advance simulated time.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from cladist.archive.records import ExpansionOutcome, NodeStatus, RunEvent, Verdict
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.budget import BudgetTracker, InfraStreak, Usage
from cladist.evolve.executors import Executor
from cladist.evolve.jobs import (
    EvaluationJob,
    EvaluationRecorded,
    ExpansionJob,
    ExpansionResult,
    WorkDone,
)
from cladist.llm.outage import PROVIDER_DOWN_LIMIT, is_provider_down
from cladist.scheduler.contracts import Budget, Evaluate, Expand, Policy, Wait
from cladist.scheduler.state import TreeState

INFRA_STREAK_LIMIT = 10
"""Infrastructure faults in a row (across agents) that stop a run (see InfraStreak)."""


class LoopArchive(Protocol):
    """What the loop needs from the archive, and nothing more. Methods raise ArchiveError
    when the archive cannot be read or written."""

    def expansions_done(self) -> int:
        """Expansions that ended (not abandoned, not running), earlier sessions included."""
        ...

    def dollars(self) -> float:
        """Dollars the run has spent so far."""
        ...

    def prepare_evaluation(self, node_id: int, task: Task) -> EvaluationJob:
        """The job evaluating node ``node_id`` on ``task``."""
        ...

    def prepare_expansion(self, parent_id: int, rng: Callable[[], Any]) -> ExpansionJob:
        """Open the expansion of ``parent_id``; ``rng()`` makes the numpy Generator for its
        random choices (called once, at once, if needed)."""
        ...

    def apply_evaluation(self, job: EvaluationJob, future: Future[WorkDone]
                         ) -> EvaluationRecorded:
        """Record the results of a finished evaluation (a failed future is an
        infra_error) and their events."""
        ...

    def apply_expansion(self, job: ExpansionJob, future: Future[WorkDone]) -> ExpansionResult:
        """Record the child (if any), close the expansion and record its event."""
        ...

    def child_status(self, child_id: int) -> NodeStatus:
        """The recorded status of a child made by an expansion."""
        ...

    def abandon_expansion(self, job: ExpansionJob) -> None:
        """Close an in-flight expansion as abandoned (the run stopped)."""
        ...


@dataclass(frozen=True)
class InFlight:
    """A job handed to the executor: an expansion of ``node`` or an evaluation of ``node``
    on ``task``."""

    node: int
    task: str | None = None
    expansion: ExpansionJob | None = None
    evaluation: EvaluationJob | None = None

    @property
    def kind(self) -> str:
        """``expand`` or ``evaluate``."""
        return "expand" if self.expansion is not None else "evaluate"


class Evolution:
    """One session of an evolution run (a fresh run or a resumed one) on ``archive``.

    ``on_event`` is told the events the archive recorded for each finished job
    (``task_result``, ``expansion_finished``: the very events of ``events.jsonl``) once the
    tree state holds the job. Raises nothing for what agents or sandboxes do; a bug in the
    loop itself propagates after the run's status is recorded by the caller.
    """

    def __init__(self, archive: LoopArchive, ctx: EvalContext, tasks: list[Task],
                 policy: Policy, state: TreeState, executor: Executor, budget: BudgetTracker,
                 on_event: Callable[[RunEvent], None] | None = None):
        self.ctx, self.policy, self.state = ctx, policy, state
        self.tasks = {t.id: t for t in tasks}
        self.archive = archive
        self.executor, self.budget = executor, budget
        self.on_event = on_event or (lambda event: None)
        self.inflight: dict[Future[WorkDone], InFlight] = {}
        self.backlog: deque[tuple[int, str]] = deque()  # (node, task) decided, not started
        self.stop_requested = threading.Event()
        self.expansions_done = self.archive.expansions_done()
        self.infra = InfraStreak(INFRA_STREAK_LIMIT, PROVIDER_DOWN_LIMIT)
        self.stop_reason: str | None = None
        self._seeds = np.random.SeedSequence([ctx.config.run.random_seed,
                                              state.n, self.expansions_done])

    # -- what the budget sees ------------------------------------------------------------
    def usage(self, in_flight: bool = True) -> Usage:
        """Finished (plus, with ``in_flight``, started) work, dollars and seconds."""
        spent = self.archive.dollars()
        if not in_flight:
            return Usage(self.state.evaluations, self.expansions_done, spent,
                         self.budget.seconds())
        return Usage(self.state.evaluations + self.state.in_flight_total,
                     self.expansions_done + self.state.pending_total, spent,
                     self.budget.seconds())

    def run_loop(self) -> str:
        """Work until a stop; returns the stop reason (also recorded in the archive)."""
        workers = self.ctx.config.budget.workers
        while self.stop_reason is None:
            if self.stop_requested.is_set():
                self.stop_reason = "stopped by the user"
                break
            while len(self.inflight) < workers and self.stop_reason is None:
                if not self._dispatch_one():
                    break
            if self.stop_reason is not None:
                break
            if not self.inflight:
                self.stop_reason = "nothing left to do: no task to evaluate, no agent to expand"
                break
            self._collect(timeout=0.5)
            self._budget_spent()
        self._drop_backlog()
        if self.ctx.config.budget.on_stop == "finish":
            while self.inflight:
                self._collect(timeout=0.5)
        else:
            self.abandon()
        return self.stop_reason

    def abandon(self) -> None:
        """Give up on in-flight work (``budget.on_stop: abandon``): expansions are closed as
        abandoned, evaluations are not recorded (a resumed run redoes them)."""
        for future, job in list(self.inflight.items()):
            future.cancel()
            if job.expansion is not None:
                self.archive.abandon_expansion(job.expansion)
        self.inflight.clear()

    def _budget_spent(self) -> bool:
        """True (and the stop reason set) once finished work has spent a budget."""
        spent = self.budget.spent(self.usage(in_flight=False))
        if spent is not None and self.stop_reason is None:
            self.stop_reason = f"budget spent: {spent}"
        return spent is not None

    def _drop_backlog(self) -> None:
        """Forget tasks decided but never started (the run stopped first): the state frees
        them (an infra_error result counts nothing) and the archive never sees them."""
        while self.backlog:
            node, task = self.backlog.popleft()
            self.state.finish_evaluation(node, task, Verdict.INFRA_ERROR)

    def _dispatch_one(self) -> bool:
        # The run stops when finished work has spent a budget; work in flight only keeps
        # more of its kind from starting (so workers never overshoot a budget).
        if self._budget_spent():
            return False
        if self.backlog:
            self._start_evaluation(*self.backlog.popleft())
            return True
        usage = self.usage()
        decision = self.policy.decide(self.state, Budget(1.0, min(
            self.budget.fraction(usage), 0.999)))
        if isinstance(decision, Wait):
            return False
        if isinstance(decision, Expand):
            if not self.budget.can_expand(usage):
                return False  # the last expansions allowed are in flight
            self.state.start_expansion(decision.parent_id)
            job = self.archive.prepare_expansion(
                decision.parent_id, lambda: np.random.default_rng(self._seeds.spawn(1)[0]))
            future = self.executor.submit_expansion(self.ctx, job)
            self.inflight[future] = InFlight(decision.parent_id, expansion=job)
            return True
        assert isinstance(decision, Evaluate)
        task_ids = list(decision.task_ids)
        if not self.budget.can_evaluate(usage, len(task_ids)):
            task_ids = task_ids[:max(0, int((self.budget.config.task_evaluations or 0)
                                            - usage.evaluations))]
            if not task_ids:
                return False  # the last evaluations allowed are in flight
        self.state.start_evaluation(decision.agent_id, task_ids)
        self.backlog.extend((decision.agent_id, task_id) for task_id in task_ids)
        self._start_evaluation(*self.backlog.popleft())
        return True

    def _start_evaluation(self, node: int, task_id: str) -> None:
        job = self.archive.prepare_evaluation(node, self.tasks[task_id])
        future = self.executor.submit_evaluation(self.ctx, job)
        self.inflight[future] = InFlight(node, task_id, evaluation=job)

    def _collect(self, timeout: float) -> None:
        done = self.executor.wait(list(self.inflight), timeout)
        for future in done:
            job = self.inflight.pop(future)
            if job.expansion is not None:
                self._expansion_done(job, self.archive.apply_expansion(job.expansion, future))
            else:
                assert job.evaluation is not None
                self._evaluation_done(job, self.archive.apply_evaluation(job.evaluation,
                                                                         future))

    def _expansion_done(self, job: InFlight, result: ExpansionResult) -> None:
        child_status = None
        if result.child_id is not None:
            child_status = self.archive.child_status(result.child_id)
        self.state.finish_expansion(job.node, result.outcome, result.child_id, child_status)
        if result.outcome != ExpansionOutcome.ABANDONED:
            self.expansions_done += 1
        if result.outcome == ExpansionOutcome.ERROR and result.infra:
            self.infra.fault(job.node, f"expansion: {result.reason}",
                             provider_down=is_provider_down(result.reason))
        elif result.outcome != ExpansionOutcome.ERROR:  # a model-side failure proves nothing
            self.infra.success()
        self.stop_reason = self.stop_reason or self.infra.stop_reason()
        if result.event is not None:
            self.on_event(result.event)

    def _evaluation_done(self, job: InFlight, recorded: EvaluationRecorded) -> None:
        assert job.task is not None
        results = recorded.results
        scored = [r for r in results if r.verdict != Verdict.INFRA_ERROR]
        first = next((r for r in scored if r.attempt == 1), None)
        self.state.finish_evaluation(job.node, job.task,
                                     first.verdict if first else Verdict.INFRA_ERROR)
        for later in (r for r in scored if r.attempt > 1):
            self.state.finish_evaluation(job.node, job.task, later.verdict, later.attempt)
        if scored:
            self.infra.success()
        else:
            self.infra.fault(job.node, results[-1].infra_reason,
                             provider_down=is_provider_down(results[-1].infra_reason))
        self.stop_reason = self.stop_reason or self.infra.stop_reason()
        for event in recorded.events:
            self.on_event(event)
