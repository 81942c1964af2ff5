"""The two kinds of work, and how the driver folds a finished one into the archive.

A worker (a thread here, or a Ray task anywhere) returns a :class:`WorkDone`: the value
(task results, or the worker half of an expansion) plus, when it recorded its LLM calls
away from the run, those recordings. :func:`apply_evaluation` and :func:`apply_expansion`
run on the driver, which alone writes the archive: they import the recordings, then store
the results. No exception of a worker escapes: a fault of ours becomes a recorded
``infra_error`` or ``error`` outcome, never a dead run.
"""

from __future__ import annotations

import traceback
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cladist.archive.records import ExpansionOutcome, Verdict
from cladist.archive.run import Run
from cladist.evaluator.contracts import Task, TaskResult
from cladist.evaluator.evaluate import EvalContext, evaluate
from cladist.evaluator.record import record_results
from cladist.evolve.expand import ExpansionJob, ExpansionResult, ExpansionWork, finish_expansion
from cladist.llm.transfer import LlmExport, import_into_run


@dataclass
class WorkDone:
    """A finished piece of work: ``value`` is a list of TaskResult (evaluation) or an
    ExpansionWork (expansion); ``llm`` the recordings made outside the run, if any."""

    value: Any
    llm: LlmExport | None = None


def evaluate_work(ctx: EvalContext, agent_dir: Path, node_id: int, task: Task
                  ) -> list[TaskResult]:
    """Evaluate one agent on one task (see :func:`cladist.evaluator.evaluate.evaluate`);
    a fault of ours becomes one infra_error result."""
    try:
        return evaluate(ctx, agent_dir, node_id, task)
    except Exception as err:  # a bug or fault of ours, not of the agent
        return fault_results(task.id, f"evaluator fault: {type(err).__name__}: {err}")


def fault_results(task_id: str, reason: str) -> list[TaskResult]:
    """The results of an evaluation that failed for a reason of ours."""
    return [TaskResult(task_id, Verdict.INFRA_ERROR, infra_reason=reason[:2000],
                       detail={"traceback": traceback.format_exc()[-4000:]})]


def apply_evaluation(run: Run, ctx: EvalContext, node_id: int, task_id: str,
                     future: Future[WorkDone]) -> list[TaskResult]:
    """Driver side: import the evaluation's recordings and record its results; a failed
    future (a crashed or lost worker) is recorded as an infra_error. Raises ArchiveError
    when the archive cannot be written."""
    try:
        done = future.result()
    except Exception as err:
        results = fault_results(task_id, f"executor fault: {type(err).__name__}: {err}")
    else:
        if done.llm is not None:
            import_into_run(run, ctx.gateway, done.llm)
        results = done.value
    record_results(run, node_id, results)
    return results


def apply_expansion(run: Run, ctx: EvalContext, job: ExpansionJob,
                    future: Future[WorkDone]) -> ExpansionResult:
    """Driver side: import the expansion's recordings and finish it (see
    :func:`~cladist.evolve.expand.finish_expansion`); a failed future becomes an ``error``
    outcome. Raises ArchiveError when the archive cannot be written."""
    try:
        done = future.result()
    except Exception as err:
        work = ExpansionWork(ExpansionOutcome.ERROR,
                             f"executor fault: {type(err).__name__}: {err}"[:2000])
    else:
        if done.llm is not None:
            import_into_run(run, ctx.gateway, done.llm)
        work = done.value
    return finish_expansion(run, job, work)
