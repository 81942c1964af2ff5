"""The worker side of both jobs (:mod:`cladist.evolve.jobs`); it never touches the archive,
so it runs in a worker thread or in a Ray task on any node alike, and the driver stores
what it returns.

- :func:`perform_evaluation`: one agent on one task (:mod:`cladist.evaluator.evaluate`).
- :func:`perform_expansion`: the middle of a self-improvement step: diagnosis through a
  gateway session, the parent editing a copy of its own code in a sandbox, and the child
  (the parent's code plus the patch) validated in a fresh sandbox.

Neither raises for what the model, the agent or a sandbox does, nor for a fault of ours:
that becomes an ``infra_error`` result or an ``error`` outcome.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from cladist import scratch
from cladist.archive.records import ExpansionOutcome, NodeStatus, Verdict
from cladist.archive.safetree import (
    PatchRejected,
    UnsafeTreeError,
    apply_patch,
    check_tree,
    extract_tree,
)
from cladist.evaluator.contracts import TaskResult
from cladist.evaluator.evaluate import EvalContext, evaluate
from cladist.evolve.diagnosis import diagnose
from cladist.evolve.jobs import EvaluationJob, ExpansionJob, ExpansionWork
from cladist.evolve.selfedit import self_edit, validate
from cladist.sandbox.contract import Limits

if TYPE_CHECKING:
    from cladist.llm.gateway import OpenSession

SHRINKS = 3
"""How many times a diagnosis prompt too long for the model is halved before giving up."""


def perform_evaluation(job: EvaluationJob, ctx: EvalContext, agent_dir: Path
                       ) -> list[TaskResult]:
    """Evaluate the agent whose code is unpacked at ``agent_dir`` (``job.agent_tar``) on
    ``job.task`` (see :func:`cladist.evaluator.evaluate.evaluate`); a fault of ours becomes
    one infra_error result."""
    try:
        return evaluate(ctx, agent_dir, job.node_id, job.task)
    except Exception as err:  # a bug or fault of ours, not of the agent
        return fault_results(job.task.id, f"evaluator fault: {type(err).__name__}: {err}")


def fault_results(task_id: str, reason: str) -> list[TaskResult]:
    """The results of an evaluation that failed for a reason of ours."""
    return [TaskResult(task_id, Verdict.INFRA_ERROR, infra_reason=reason[:2000],
                       detail={"traceback": traceback.format_exc()[-4000:]})]


def cut_middle(text: str) -> str:
    """``text`` halved by cutting out its middle (the code comes first, the failure last)."""
    keep = len(text) // 4
    return f"{text[:keep]}\n\n[... cut to fit the model's context ...]\n\n{text[-keep:]}"


def perform_expansion(job: ExpansionJob, ctx: EvalContext) -> ExpansionWork:
    """Diagnose, self-edit and validate for ``job`` with ``ctx`` (its gateway meters and
    records the LLM calls); never raises for what the model, the child or the sandbox
    does: a fault of ours becomes an ``error`` outcome."""
    sessions: list[OpenSession] = []  # the gateway's sessions: each meters its usage
    with scratch.temporary("expand") as tmp:
        try:
            parent_dir = extract_tree(job.parent_tar, Path(tmp) / "parent")
            parent_dir.chmod(0o755)
            work = _steps(job, ctx, parent_dir, Path(tmp), sessions)
        except UnsafeTreeError as err:  # a parent archived before links were refused
            work = ExpansionWork(ExpansionOutcome.ERROR, f"the parent's code is unsafe: {err}",
                                 infra=False)
        except Exception as err:  # a bug or fault of ours: recorded, the run goes on
            work = ExpansionWork(ExpansionOutcome.ERROR, f"{type(err).__name__}: {err}")
    used = [s.usage for s in sessions]
    return replace(work, tokens_in=sum(u.input_tokens for u in used),
                   tokens_out=sum(u.output_tokens for u in used),
                   cost_usd=sum(u.cost_usd for u in used))


def _steps(job: ExpansionJob, ctx: EvalContext, parent_dir: Path, tmp: Path,
           sessions: list[OpenSession]) -> ExpansionWork:
    from cladist.agents.llm_client import Client, ContextLengthError, LLMAPIError, LLMError
    from cladist.llm.identity import SessionIdentity

    cfg = ctx.config
    target = job.target
    identity = SessionIdentity(job.run_id, job.parent_id, "diagnosis",
                               target.result.task_id if target.result else None)
    with ctx.session(identity) as session:
        sessions.append(session)
        client = Client(socket_path=str(session.socket_path))
        prompt = job.prompt
        try:
            for shrink in range(SHRINKS + 1):
                try:
                    diagnosis = diagnose(client.chat, prompt, target, job.task_problem,
                                         cfg.evolve.diagnosis_retries)
                    break
                except ContextLengthError:
                    if shrink == SHRINKS:
                        raise
                    prompt = cut_middle(prompt)  # too long for the model: keep both ends
        except LLMError as err:  # a 4xx (refusal, budget, context) is the model's, not ours
            model_side = isinstance(err, LLMAPIError) and 400 <= err.status < 500 \
                and err.status not in (401, 403)
            down = None if model_side else session.provider_down()
            return ExpansionWork(ExpansionOutcome.ERROR, f"{down} (diagnosis)" if down else
                                 f"diagnosis: {err}", infra=not model_side)
        finally:
            client.close()
    problem = diagnosis.self_edit_problem(target.direction)
    done = ExpansionWork(ExpansionOutcome.RUNNING, None, problem_statement=problem,
                         diagnosis=diagnosis.__dict__ | {"target": target.describe()})
    limits = Limits.from_config(cfg.sandbox)
    image = ctx.image_for("agent")
    edit = None
    for _ in range(cfg.evolve.infra_retries + 1):
        with ctx.session(SessionIdentity(job.run_id, job.parent_id,
                                                      "self-edit")) as s:
            sessions.append(s)
            edit = self_edit(parent_dir, problem, ctx.open_sandbox, image,
                             s.socket_path, limits, run_id=job.run_id, node_id=job.parent_id,
                             timeout_s=cfg.evolve.self_edit_timeout_s,
                             max_steps=cfg.evolve.self_edit_max_steps, tools=ctx.tools_mode())
        if edit.infra_reason is None:
            break
    assert edit is not None
    was_down = s.provider_down  # the last self-edit session's: was the provider down during it?
    if edit.infra_reason is not None:
        return replace(done, outcome=ExpansionOutcome.ERROR,
                       reason=f"self-edit sandbox: {edit.infra_reason}")
    done = replace(done, trajectory=edit.trajectory, summary=diagnosis.summary[:300],
                   patch=edit.patch)
    if edit.failure is not None:  # a tree over the caps, a sandbox it broke, ...
        return _child(done, NodeStatus.INVALID, f"the self-edit failed: {edit.failure}", was_down)
    if not edit.patch.strip():
        return _child(done, NodeStatus.INVALID, "the self-edit changed nothing", was_down)
    child_dir = extract_tree(job.parent_tar, tmp / "child")
    try:  # a link or special file never reaches validation, nor the host's next prompt
        apply_patch(child_dir, edit.patch)
        check_tree(child_dir)
    except (PatchRejected, UnsafeTreeError) as err:
        return _child(done, NodeStatus.INVALID, str(err), was_down)
    for _ in range(cfg.evolve.infra_retries + 1):
        checked = validate(child_dir, ctx.open_sandbox, image, limits, run_id=job.run_id,
                           node_id=f"child-of-{job.parent_id}",
                           timeout_s=cfg.evolve.validation_timeout_s)
        if checked.infra_reason is None:
            break
    if checked.infra_reason is not None:
        return replace(done, outcome=ExpansionOutcome.ERROR,
                       reason=f"validation sandbox: {checked.infra_reason}")
    return _child(done, NodeStatus.VALID if checked.ok else NodeStatus.INVALID, checked.reason,
                  was_down)


def _child(done: ExpansionWork, status: NodeStatus, reason: str | None,
           provider_down: Callable[[], str | None]) -> ExpansionWork:
    """The child with ``status``; an invalid one made while the model provider was down
    (``provider_down``: the self-edit session's failed calls, confirmed by a probe) is no
    evidence about the parent: an ``error`` of ours instead."""
    if status is NodeStatus.INVALID and (down := provider_down()) is not None:
        return replace(done, outcome=ExpansionOutcome.ERROR, reason=f"{down} (self-edit)",
                       infra=True)
    return replace(done, outcome=ExpansionOutcome(str(status)), reason=reason,
                   status=status)
