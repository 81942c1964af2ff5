"""What the evolution loop needs from the archive, and nothing more.

:class:`~cladist.evolve.loop.Evolution` reads and writes the run only through a
:class:`LoopArchive`: :class:`RunArchive` is the real one (SQLite archive, agents.git,
blobs, the gateway's ledger); the simulator plugs in an in-memory one
(:class:`cladist.sim.world.SimArchive`) so that the very same loop, policies,
budget tracker and in-flight accounting drive simulated work at 10^5 nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from cladist.archive.records import NodeStatus
from cladist.archive.run import Run
from cladist.evaluator.contracts import Task, TaskResult
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.expand import ExpansionJob, ExpansionResult, prepare_expansion
from cladist.evolve.work import WorkDone, apply_evaluation, apply_expansion


class LoopArchive(Protocol):
    """The loop's view of the archive. ``run`` is what the executor receives as its run
    argument. Methods raise ArchiveError when the archive cannot be read or written."""

    run: Any

    def expansions_done(self) -> int:
        """Expansions that ended (not abandoned, not running), earlier sessions included."""
        ...

    def dollars(self) -> float:
        """Dollars the run has spent so far."""
        ...

    def prepare_expansion(self, parent_id: int, rng: Callable[[], Any]) -> ExpansionJob:
        """Driver half before the work: open the expansion of ``parent_id``; ``rng()``
        makes the numpy Generator for its random choices (called once, at once, if
        needed)."""
        ...

    def apply_expansion(self, job: ExpansionJob, future: Future[WorkDone]) -> ExpansionResult:
        """Driver half after the work: record the child (if any) and close the expansion."""
        ...

    def child_status(self, child_id: int) -> NodeStatus:
        """The recorded status of a child made by an expansion."""
        ...

    def apply_evaluation(self, node_id: int, task_id: str, future: Future[WorkDone]
                         ) -> list[TaskResult]:
        """Record the results of a finished evaluation; a failed future is an
        infra_error."""
        ...

    def abandon_expansion(self, job: ExpansionJob) -> None:
        """Close an in-flight expansion as abandoned (the run stopped)."""
        ...


class RunArchive:
    """The real archive of ``run``: see :mod:`cladist.evolve.expand` and
    :mod:`cladist.evolve.work` for what each step writes."""

    def __init__(self, run: Run, ctx: EvalContext, tasks: dict[str, Task]):
        self.run, self.ctx, self.tasks = run, ctx, tasks

    def expansions_done(self) -> int:
        """Expansions of the run that ended, from the archive."""
        return len([e for e in self.run.store.expansions()
                    if e.outcome not in ("abandoned", "running")])

    def dollars(self) -> float:
        """The run's dollars from the gateway's ledger."""
        return float(self.ctx.gateway.ledger.spent("run", self.run.id)[1])

    def prepare_expansion(self, parent_id: int, rng: Callable[[], Any]) -> ExpansionJob:
        """See :func:`cladist.evolve.expand.prepare_expansion`."""
        return prepare_expansion(self.run, parent_id, self.ctx, self.tasks, rng())

    def apply_expansion(self, job: ExpansionJob, future: Future[WorkDone]) -> ExpansionResult:
        """See :func:`cladist.evolve.work.apply_expansion`."""
        return apply_expansion(self.run, self.ctx, job, future)

    def child_status(self, child_id: int) -> NodeStatus:
        """The child's node status in the archive."""
        return self.run.store.node(child_id).status

    def apply_evaluation(self, node_id: int, task_id: str, future: Future[WorkDone]
                         ) -> list[TaskResult]:
        """See :func:`cladist.evolve.work.apply_evaluation`."""
        return apply_evaluation(self.run, self.ctx, node_id, task_id, future)

    def abandon_expansion(self, job: ExpansionJob) -> None:
        """Mark the expansion row abandoned."""
        self.run.store.finish_expansion(job.expansion_id, "abandoned",
                                        reason="abandoned when the run stopped")
