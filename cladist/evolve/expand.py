"""One self-improvement step (DESIGN section 3, step 4): choose what to fix, diagnose it,
let the parent edit its own code, commit the child and validate it.

The step has three parts so that the middle one can run anywhere (a worker thread, or a
Ray task on another machine): :func:`prepare_expansion` (driver: choose the target, build
the diagnosis prompt, open the expansion row, pack the parent's code),
:func:`~cladist.evolve.expand_worker.perform_expansion` (worker: diagnosis, self-edit,
validation; no archive access) and :func:`finish_expansion` (driver: commit the child,
store blobs and rows). :func:`expand` runs the three in sequence.

Outcomes: ``valid`` (a new valid node), ``invalid`` (a node stored with the reason it was
rejected: evidence about the parent), ``error`` (an infrastructure fault or a refused LLM
call: no node, never counted against the parent). Every attempt is an ``expansion`` row
with its diagnosis, problem statement and cost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cladist import scratch
from cladist.archive.codebase import PatchRejected, extract_tree
from cladist.archive.records import ExpansionOutcome, NodeStatus
from cladist.archive.run import Run
from cladist.archive.safetree import UnsafeTreeError
from cladist.errors import ArchiveError
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.diagnosis import build_prompt, code_digest
from cladist.evolve.targets import Target, choose_target

REJECTED_PATCH = "rejected.patch"
"""Blob name (under ``expansions/<id>/``) of a child's patch that could not be committed."""


@dataclass(frozen=True)
class ExpansionResult:
    """What one expansion produced."""

    expansion_id: int
    parent_id: int
    child_id: int | None
    outcome: ExpansionOutcome
    reason: str | None
    cost_usd: float
    infra: bool = True  # for outcome ``error``: our fault (False: the model refused or failed)


@dataclass(frozen=True)
class ExpansionJob:
    """Everything the worker half of an expansion needs, as plain picklable data: the
    target, the diagnosis prompt, the parent's code as a tar (``parent_tar``)."""

    run_id: str
    expansion_id: int
    parent_id: int
    parent_sha: str
    target: Target
    prompt: str
    task_problem: str | None
    parent_tar: bytes


@dataclass(frozen=True)
class ExpansionWork:
    """What the worker half produced. ``status`` is None when no child is to be created
    (outcome ``error``: ``infra`` says whether the fault is ours, or the model's, such as a
    refused request or an exhausted budget); otherwise ``patch`` is the child's diff
    against the parent."""

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
    run.event("expansion_finished", node_id=job.parent_id, expansion=job.expansion_id,
              outcome=outcome, child=child_id, reason=reason)
    return ExpansionResult(job.expansion_id, job.parent_id, child_id, outcome, reason,
                           work.cost_usd, infra=infra)


def expand(run: Run, parent_id: int, ctx: EvalContext, tasks: dict[str, Task], rng: Any
           ) -> ExpansionResult:
    """Run one self-improvement step on ``parent_id`` here, with ``ctx.gateway`` recording
    into the run; never raises for what the model, the child or the sandbox does.
    ``tasks`` maps task ids to tasks (for problem statements)."""
    from cladist.evolve.expand_worker import perform_expansion

    job = prepare_expansion(run, parent_id, ctx, tasks, rng)
    return finish_expansion(run, job, perform_expansion(job, ctx))


def _hidden_tests(task: Task) -> str | None:
    if task.hidden_tests is None:
        return None
    files = sorted(p for p in task.hidden_tests.rglob("*") if p.is_file())
    return "\n".join(f"--- {p.relative_to(task.hidden_tests)}\n{p.read_text(errors='replace')}"
                     for p in files)
