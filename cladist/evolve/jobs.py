"""The two kinds of work as plain data, and what each gives back.

The driver (:mod:`cladist.evolve.driver`) reads the archive and packs a job: an
:class:`EvaluationJob` (an agent's code and one task) or an :class:`ExpansionJob` (the
parent's code, the target and the diagnosis prompt). An executor hands it to a worker
(:mod:`cladist.evolve.worker`, a thread here or a Ray task anywhere), which never sees the
archive and returns a :class:`WorkDone`. The driver alone folds that back into the archive.
Everything here pickles, so a job crosses processes and machines as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cladist.archive.records import ExpansionOutcome, NodeStatus, ResultRecord, RunEvent

if TYPE_CHECKING:
    from cladist.evaluator.contracts import Task, TaskResult
    from cladist.llm.transfer import LlmExport


@dataclass(frozen=True)
class Target:
    """What to fix: ``kind`` is ``task``, ``empty_patches``, ``context_length``,
    ``stochasticity`` or ``general``; ``result`` is the failed evaluation shown to the
    diagnosis (None for ``general``); ``direction`` what a ``general`` target works on."""

    kind: str
    result: ResultRecord | None = None
    direction: str | None = None

    def describe(self) -> str:
        """One line for logs and the archive's ``target`` column."""
        if self.result is None:
            return f"{self.kind}: {self.direction}" if self.direction else self.kind
        return f"{self.kind}:{self.result.task_id}"


@dataclass(frozen=True)
class EvaluationJob:
    """Evaluate node ``node_id`` (its code: ``agent_tar``, a plain tar of commit
    ``agent_sha``) on ``task``."""

    run_id: str
    node_id: int
    agent_sha: str
    agent_tar: bytes = field(repr=False)
    task: Task


@dataclass(frozen=True)
class ExpansionJob:
    """The worker half of an expansion: the target, the diagnosis prompt and the parent's
    code as a plain tar (``parent_tar``, commit ``parent_sha``)."""

    run_id: str
    expansion_id: int
    parent_id: int
    parent_sha: str
    target: Target
    prompt: str
    task_problem: str | None
    parent_tar: bytes = field(repr=False)


@dataclass(frozen=True)
class ExpansionWork:
    """What the worker half of an expansion produced. ``status`` is None when no child is
    to be created (outcome ``error``: ``infra`` says whether the fault is ours, or the
    model's, such as a refused request or an exhausted budget); otherwise ``patch`` is the
    child's diff against the parent."""

    outcome: ExpansionOutcome
    reason: str | None
    status: NodeStatus | None = None
    patch: str = ""
    summary: str = ""
    problem_statement: str | None = None
    diagnosis: dict[str, Any] | None = None
    trajectory: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    infra: bool = True


@dataclass(frozen=True)
class ExpansionResult:
    """What one expansion came to once the driver stored it."""

    expansion_id: int
    parent_id: int
    child_id: int | None
    outcome: ExpansionOutcome
    reason: str | None
    cost_usd: float
    infra: bool = True  # for outcome ``error``: our fault (False: the model refused or failed)
    event: RunEvent | None = None  # the ``expansion_finished`` event the driver recorded


@dataclass(frozen=True)
class EvaluationRecorded:
    """What one evaluation came to once the driver stored it: its results (a second
    attempt too, when there was one) and the ``task_result`` events it recorded."""

    results: list[TaskResult]
    events: tuple[RunEvent, ...] = ()


@dataclass
class WorkDone:
    """A finished job: ``value`` is the list of TaskResult (evaluation) or the
    ExpansionWork (expansion); ``llm`` the LLM recordings made away from the run (a Ray
    worker's), None when the driver's gateway recorded them."""

    value: list[TaskResult] | ExpansionWork
    llm: LlmExport | None = None
