"""The two kinds of work a worker runs, wrapped so that no exception escapes: a fault of
ours becomes a recorded infra_error or error outcome, never a dead run."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from cladist.archive.records import Verdict
from cladist.archive.run import Run
from cladist.evaluator.contracts import Task, TaskResult
from cladist.evaluator.evaluate import EvalContext, evaluate
from cladist.evolve.expand import ExpansionResult, expand


def evaluate_work(ctx: EvalContext, agent_dir: Path, node_id: int, task: Task
                  ) -> list[TaskResult]:
    """Evaluate one agent on one task (see :func:`cladist.evaluator.evaluate.evaluate`)."""
    try:
        return evaluate(ctx, agent_dir, node_id, task)
    except Exception as err:  # a bug or fault of ours, not of the agent
        reason = f"evaluator fault: {type(err).__name__}: {err}"
        return [TaskResult(task.id, Verdict.INFRA_ERROR, infra_reason=reason,
                           detail={"traceback": traceback.format_exc()[-4000:]})]


def expand_work(run: Run, parent_id: int, ctx: EvalContext, tasks: dict[str, Task],
                rng: Any) -> ExpansionResult:
    """One self-improvement step (see :func:`cladist.evolve.expand.expand`)."""
    return expand(run, parent_id, ctx, tasks, rng)
