"""The driver's side of the work: everything that reads or writes the archive.

:class:`RunArchive` is the real :class:`~cladist.evolve.loop.LoopArchive`. For an
evaluation it packs the node's code and the task into an
:class:`~cladist.evolve.jobs.EvaluationJob`; for a self-improvement step (DESIGN section
3, step 4) :func:`prepare_expansion` chooses the target, builds the diagnosis prompt, opens
the expansion row and packs the parent's code. The worker (:mod:`cladist.evolve.worker`)
does the work anywhere; :meth:`RunArchive.apply_evaluation` and :func:`finish_expansion`
import its LLM recordings, record the results, commit the child and store its rows.
:func:`expand` runs the three halves of an expansion in sequence, here.

Expansion outcomes: ``valid`` (a new valid node), ``invalid`` (a node stored with the
reason it was rejected: evidence about the parent), ``error`` (an infrastructure fault or a
refused LLM call: no node, never counted against the parent). Every attempt is an
``expansion`` row with its diagnosis, problem statement and cost.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from cladist import scratch
from cladist.archive.records import ExpansionOutcome, NodeStatus
from cladist.archive.run import Run
from cladist.archive.safetree import PatchRejected, UnsafeTreeError, extract_tree
from cladist.errors import ArchiveError
from cladist.evaluator.contracts import Task, TaskResult
from cladist.evaluator.evaluate import EvalContext
from cladist.evaluator.record import record_results
from cladist.evolve.diagnosis import build_prompt, code_digest
from cladist.evolve.jobs import (
    EvaluationJob,
    EvaluationRecorded,
    ExpansionJob,
    ExpansionResult,
    ExpansionWork,
    WorkDone,
)
from cladist.evolve.targets import choose_target
from cladist.evolve.worker import fault_results
from cladist.llm.transfer import import_into_run

REJECTED_PATCH = "rejected.patch"
"""Blob name (under ``expansions/<id>/``) of a child's patch that could not be committed."""


def prepare_expansion(run: Run, parent_id: int, ctx: EvalContext, tasks: dict[str, Task],
                      rng: Any) -> ExpansionJob:
    """Driver side: choose the target with ``rng`` (numpy Generator), build the diagnosis
    prompt, open the expansion row and pack the parent's code. Raises ArchiveError or
    NotFoundError when the archive cannot be read or written."""
    cfg = ctx.config
    target = choose_target(run, parent_id, cfg.evolve.meta_problems, rng)
    parent_sha = run.node_commit(parent_id)
    parent_tar = run.agents.archive_bytes(parent_sha)
    result = target.result
    task = tasks.get(result.task_id) if result is not None else None
    hidden = (_hidden_tests(task) if task and cfg.evaluator.diagnosis_sees_hidden_tests
              else None)
    with scratch.temporary("digest") as tmp:
        try:
            code = code_digest(extract_tree(parent_tar, Path(tmp) / "parent"),
                               cfg.evolve.diagnosis_max_chars)
        except UnsafeTreeError as err:  # archived before links were refused: never unpacked
            code = f"(the agent's code cannot be shown: {err})\n"
    prompt = build_prompt(
        target, code, task.problem if task else None,
        run.blobs.get_text(result.trajectory_ref) if result and result.trajectory_ref else "",
        run.blobs.get_text(result.test_output_ref) if result and result.test_output_ref else "",
        hidden, cfg.evolve.diagnosis_max_chars)
    expansion_id = run.store.start_expansion(parent_id, target=target.describe())
    run.event("expansion_started", node_id=parent_id, expansion=expansion_id,
              target=target.describe())
    return ExpansionJob(run.id, expansion_id, parent_id, parent_sha, target, prompt,
                        task.problem if task else None, parent_tar)


def finish_expansion(run: Run, job: ExpansionJob, work: ExpansionWork) -> ExpansionResult:
    """Driver side: store the diagnosis and self-edit trajectory, commit the child into
    agents.git, close the expansion row with the child in the same transaction, and point
    the child's node ref at its commit. A patch that does not apply, or that adds a
    symbolic link, a submodule or a special file, makes an invalid child (its commit is the
    parent's; the patch is kept as ``expansions/<id>/rejected.patch``). Raises ArchiveError
    when the archive cannot be written."""
    extra: dict[str, Any] = {}
    if work.diagnosis is not None:
        extra["diagnosis_ref"] = run.blobs.put(
            f"expansions/{job.expansion_id}/diagnosis.json", json.dumps(work.diagnosis,
                                                                        indent=1))
        extra["problem_statement"] = work.problem_statement
    if work.trajectory is not None:
        run.blobs.put(f"expansions/{job.expansion_id}/self_edit_trajectory.json",
                      work.trajectory)
    outcome, reason, child, infra = work.outcome, work.reason, None, work.infra
    if work.status is not None:
        sha = job.parent_sha
        status: NodeStatus | None = work.status
        if work.patch.strip():
            try:
                sha = run.agents.commit_patch(
                    job.parent_sha, work.patch,
                    f"child of node {job.parent_id} (expansion {job.expansion_id})")
            except (PatchRejected, UnsafeTreeError) as err:  # the child's fault: kept
                if status is NodeStatus.VALID or not reason:
                    reason = str(err)
                status = NodeStatus.INVALID
                run.blobs.put(f"expansions/{job.expansion_id}/{REJECTED_PATCH}", work.patch)
            except ArchiveError as err:  # ours: no child, never counted against the parent
                status, reason, infra = None, f"cannot commit the child: {err}", True
        if status is None:
            outcome = ExpansionOutcome.ERROR
        else:
            outcome = ExpansionOutcome(str(status))
            child = (sha, status, reason, work.summary)
    child_id = run.store.finish_expansion(job.expansion_id, outcome, reason=reason,
                                          tokens_in=work.tokens_in,
                                          tokens_out=work.tokens_out,
                                          cost_usd=work.cost_usd, new_child=child, **extra)
    if child is not None and child_id is not None:
        run.agents.set_node_ref(child_id, child[0])
    event = run.event("expansion_finished", node_id=job.parent_id,
                      expansion=job.expansion_id, outcome=outcome, child=child_id, reason=reason)
    return ExpansionResult(job.expansion_id, job.parent_id, child_id, outcome, reason,
                           work.cost_usd, infra=infra, event=event)


def expand(run: Run, parent_id: int, ctx: EvalContext, tasks: dict[str, Task], rng: Any
           ) -> ExpansionResult:
    """Run one self-improvement step on ``parent_id`` here, with ``ctx.gateway`` recording
    into the run; never raises for what the model, the child or the sandbox does.
    ``tasks`` maps task ids to tasks (for problem statements)."""
    from cladist.evolve.worker import perform_expansion

    job = prepare_expansion(run, parent_id, ctx, tasks, rng)
    return finish_expansion(run, job, perform_expansion(job, ctx))


def _hidden_tests(task: Task) -> str | None:
    if task.hidden_tests is None:
        return None
    files = sorted(p for p in task.hidden_tests.rglob("*") if p.is_file())
    return "\n".join(f"--- {p.relative_to(task.hidden_tests)}\n{p.read_text(errors='replace')}"
                     for p in files)


def _work_of(future: Future[WorkDone], run: Run, ctx: EvalContext) -> Any:
    """The value of a finished job, its recordings imported into ``run`` first. Raises what
    the future raises (a crashed or lost worker)."""
    done = future.result()
    if done.llm is not None:
        import_into_run(run, ctx.gateway, done.llm)
    return done.value


class RunArchive:
    """The real archive of ``run`` as the loop sees it (see the module docstring). Methods
    raise ArchiveError or NotFoundError when the archive cannot be read or written."""

    CODE_CACHE = 32
    """How many nodes' packed code an instance keeps for the evaluations to come."""

    def __init__(self, run: Run, ctx: EvalContext, tasks: dict[str, Task]):
        self.run, self.ctx, self.tasks = run, ctx, tasks
        self._code: OrderedDict[int, tuple[str, bytes]] = OrderedDict()

    def expansions_done(self) -> int:
        """Expansions of the run that ended, from the archive."""
        return len([e for e in self.run.store.expansions()
                    if e.outcome not in ("abandoned", "running")])

    def dollars(self) -> float:
        """The run's dollars from the gateway's ledger."""
        assert self.ctx.gateway is not None  # a run's driver always has its gateway
        return float(self.ctx.gateway.ledger.spent("run", self.run.id)[1])

    def prepare_evaluation(self, node_id: int, task: Task) -> EvaluationJob:
        """The job evaluating node ``node_id`` on ``task``: its code packed once per node
        (the last :attr:`CODE_CACHE` nodes are kept)."""
        if node_id not in self._code:
            sha = self.run.node_commit(node_id)
            self._code[node_id] = (sha, self.run.agents.archive_bytes(sha))
            while len(self._code) > self.CODE_CACHE:
                self._code.popitem(last=False)
        self._code.move_to_end(node_id)
        sha, tar = self._code[node_id]
        return EvaluationJob(self.run.id, node_id, sha, tar, task)

    def prepare_expansion(self, parent_id: int, rng: Callable[[], Any]) -> ExpansionJob:
        """See :func:`prepare_expansion`; ``rng()`` makes its numpy Generator."""
        return prepare_expansion(self.run, parent_id, self.ctx, self.tasks, rng())

    def apply_evaluation(self, job: EvaluationJob, future: Future[WorkDone]
                         ) -> EvaluationRecorded:
        """Import the evaluation's recordings and record its results; a failed future (a
        crashed or lost worker) is recorded as an infra_error."""
        try:
            results: list[TaskResult] = _work_of(future, self.run, self.ctx)
        except Exception as err:
            results = fault_results(job.task.id,
                                    f"executor fault: {type(err).__name__}: {err}")
        events = record_results(self.run, job.node_id, results)
        return EvaluationRecorded(results, tuple(events))

    def apply_expansion(self, job: ExpansionJob, future: Future[WorkDone]) -> ExpansionResult:
        """Import the expansion's recordings and finish it (see :func:`finish_expansion`);
        a failed future becomes an ``error`` outcome."""
        try:
            work: ExpansionWork = _work_of(future, self.run, self.ctx)
        except Exception as err:
            work = ExpansionWork(ExpansionOutcome.ERROR,
                                 f"executor fault: {type(err).__name__}: {err}"[:2000])
        return finish_expansion(self.run, job, work)

    def child_status(self, child_id: int) -> NodeStatus:
        """The child's node status in the archive."""
        return self.run.store.node(child_id).status

    def abandon_expansion(self, job: ExpansionJob) -> None:
        """Mark the expansion row abandoned."""
        self.run.store.finish_expansion(job.expansion_id, "abandoned",
                                        reason="abandoned when the run stopped")
