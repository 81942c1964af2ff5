"""One self-improvement step (DESIGN section 3, step 4): choose what to fix, diagnose it,
let the parent edit its own code, commit the child and validate it.

Outcomes: ``valid`` (a new valid node), ``invalid`` (a node stored with the reason it was
rejected: evidence about the parent), ``error`` (an infrastructure fault or a refused LLM
call: no node, never counted against the parent). Every attempt is an ``expansion`` row
with its diagnosis, problem statement and cost.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cladist.archive.records import NodeStatus
from cladist.archive.run import Run
from cladist.errors import ArchiveError
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import EvalContext, session_costs
from cladist.evolve.diagnosis import build_prompt, code_digest, diagnose
from cladist.evolve.selfedit import self_edit, validate
from cladist.evolve.targets import Target, choose_target
from cladist.sandbox.contract import Limits

Child = tuple[str, NodeStatus, "str | None", str]
"""A child to create: commit sha, status, reason, summary."""


@dataclass(frozen=True)
class ExpansionResult:
    """What one expansion produced."""

    expansion_id: int
    parent_id: int
    child_id: int | None
    outcome: str
    reason: str | None
    cost_usd: float


def expand(run: Run, parent_id: int, ctx: EvalContext, tasks: dict[str, Task], rng: Any
           ) -> ExpansionResult:
    """Run one self-improvement step on ``parent_id``; never raises for what the model, the
    child or the sandbox does. ``tasks`` maps task ids to tasks (for problem statements)."""
    cfg = ctx.config.evolve
    target = choose_target(run, parent_id, cfg.meta_problems, rng)
    expansion_id = run.store.start_expansion(parent_id, target=target.describe())
    run.event("expansion_started", node_id=parent_id, expansion=expansion_id,
              target=target.describe())
    sessions: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cladist-expand-") as tmp:
        parent_dir = run.agents.materialize(run.node_commit(parent_id), Path(tmp) / "parent")
        parent_dir.chmod(0o755)
        try:
            outcome, child, reason, extra = _steps(run, parent_id, expansion_id, ctx, tasks,
                                                   target, parent_dir, Path(tmp), sessions)
        except Exception as err:  # a bug or fault of ours: recorded, the run goes on
            outcome, child, reason, extra = "error", None, f"{type(err).__name__}: {err}", {}
    tokens_in, tokens_out, cost = session_costs(ctx.gateway, sessions)
    child_id = run.store.finish_expansion(expansion_id, outcome, reason=reason,
                                          tokens_in=tokens_in, tokens_out=tokens_out,
                                          cost_usd=cost, new_child=child, **extra)
    if child is not None and child_id is not None:
        run.agents.set_node_ref(child_id, child[0])
    run.event("expansion_finished", node_id=parent_id, expansion=expansion_id,
              outcome=outcome, child=child_id, reason=reason)
    return ExpansionResult(expansion_id, parent_id, child_id, outcome, reason, cost)


def _steps(run: Run, parent_id: int, expansion_id: int, ctx: EvalContext,
           tasks: dict[str, Task], target: Target, parent_dir: Path, tmp: Path,
           sessions: list[str]) -> tuple[str, Child | None, str | None, dict[str, Any]]:
    from cladist.agents.llm_client import Client, LLMError
    from cladist.llm.session import SessionIdentity

    cfg = ctx.config
    result = target.result
    task = tasks.get(result.task_id) if result is not None else None
    hidden = _hidden_tests(task) if task and cfg.evaluator.diagnosis_sees_hidden_tests else None
    prompt = build_prompt(
        target, code_digest(parent_dir, cfg.evolve.diagnosis_max_chars),
        task.problem if task else None,
        run.blobs.get_text(result.trajectory_ref) if result and result.trajectory_ref else "",
        run.blobs.get_text(result.test_output_ref) if result and result.test_output_ref else "",
        hidden, cfg.evolve.diagnosis_max_chars)
    identity = SessionIdentity(run.id, parent_id, "diagnosis",
                               result.task_id if result else None)
    with ctx.gateway.open_session(identity) as session:
        sessions.append(session.identity.session)
        client = Client(socket_path=str(session.socket_path))
        try:
            diagnosis = diagnose(client.chat, prompt, target, task.problem if task else None,
                                 cfg.evolve.diagnosis_retries)
        except LLMError as err:
            return "error", None, f"diagnosis: {err}", {}
        finally:
            client.close()
    ref = run.blobs.put(f"expansions/{expansion_id}/diagnosis.json", json.dumps(
        diagnosis.__dict__ | {"target": target.describe()}, indent=1))
    extra = {"problem_statement": diagnosis.problem_statement, "diagnosis_ref": ref}
    limits = Limits.from_config(cfg.sandbox)
    image = ctx.image_for("agent")
    edit = None
    for _ in range(cfg.evolve.infra_retries + 1):
        with ctx.gateway.open_session(SessionIdentity(run.id, parent_id, "self-edit")) as s:
            sessions.append(s.identity.session)
            edit = self_edit(parent_dir, diagnosis.problem_statement, ctx.open_sandbox, image,
                             s.socket_path, limits, run_id=run.id, node_id=parent_id,
                             timeout_s=cfg.evolve.self_edit_timeout_s,
                             max_steps=cfg.evolve.self_edit_max_steps, tools=ctx.tools_mode())
        if edit.infra_reason is None:
            break
    assert edit is not None
    if edit.infra_reason is not None:
        return "error", None, f"self-edit sandbox: {edit.infra_reason}", extra
    run.blobs.put(f"expansions/{expansion_id}/self_edit_trajectory.json", edit.trajectory)
    summary = diagnosis.summary[:300]
    parent_sha = run.node_commit(parent_id)
    if not edit.patch.strip():
        return _child(parent_sha, NodeStatus.INVALID, "the self-edit changed nothing", summary,
                      extra)
    try:
        sha = run.agents.commit_patch(parent_sha, edit.patch,
                                      f"child of node {parent_id} (expansion {expansion_id})")
    except ArchiveError as err:
        return _child(parent_sha, NodeStatus.INVALID, str(err), summary, extra)
    child_dir = run.agents.materialize(sha, tmp / "child")
    for _ in range(cfg.evolve.infra_retries + 1):
        checked = validate(child_dir, ctx.open_sandbox, image, limits, run_id=run.id,
                           node_id=f"child-of-{parent_id}",
                           timeout_s=cfg.evolve.validation_timeout_s)
        if checked.infra_reason is None:
            break
    if checked.infra_reason is not None:
        return "error", None, f"validation sandbox: {checked.infra_reason}", extra
    status = NodeStatus.VALID if checked.ok else NodeStatus.INVALID
    return _child(sha, status, checked.reason, summary, extra)


def _child(sha: str, status: NodeStatus, reason: str | None, summary: str,
           extra: dict[str, Any]) -> tuple[str, Child, str | None, dict[str, Any]]:
    return str(status), (sha, status, reason, summary), reason, extra


def _hidden_tests(task: Task) -> str | None:
    if task.hidden_tests is None:
        return None
    files = sorted(p for p in task.hidden_tests.rglob("*") if p.is_file())
    return "\n".join(f"--- {p.relative_to(task.hidden_tests)}\n{p.read_text(errors='replace')}"
                     for p in files)
