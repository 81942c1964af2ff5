"""Evaluating one agent on one task: run, grade, retry infrastructure faults, and optionally
a second attempt with the failing test output (pass@2, reported separately).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cladist.archive.records import Verdict
from cladist.config import Config
from cladist.errors import UsageError
from cladist.evaluator.contracts import Task, TaskResult
from cladist.evaluator.grader import grade
from cladist.evaluator.runner import OutputCaps, run_agent
from cladist.evaluator.worktree import TreeCaps
from cladist.sandbox.contract import Limits, SandboxSpec

if TYPE_CHECKING:
    from cladist.llm.gateway import Gateway, OpenSession
    from cladist.llm.identity import SessionIdentity

FEEDBACK = ("\n\n## Your previous attempt failed\n\nThe changes you made so far are still in "
            "the work directory. The tests said:\n\n```\n{output}\n```\n\nFix the code so "
            "the tests pass.")


@dataclass
class EvalContext:
    """What the jobs of a run share: its configuration, the gateway (None where no model
    is called: a simulation, a driver whose workers call it), how to open sandboxes and
    how to turn a logical image name (``python``) into an image reference. ``open_session``
    opens the gateway session of one attempt (default ``gateway.open_session``): a replay
    passes one that serves recordings. ``log_root`` is the run folder, where a suite's own
    grading may keep logs (SWE-bench's harness: its ``swebench/``); None: a temporary one.
    """

    config: Config
    gateway: Gateway | None
    open_sandbox: Callable[[SandboxSpec], Any]
    image_for: Callable[[str], str]
    run_id: str = ""
    open_session: Callable[[SessionIdentity], OpenSession] | None = None
    log_root: Path | None = None

    def session(self, identity: SessionIdentity) -> OpenSession:
        """Open the gateway session of ``identity`` (see ``open_session``). Raises
        UsageError without a gateway, and what opening the session raises."""
        if self.open_session is not None:
            return self.open_session(identity)
        if self.gateway is None:
            raise UsageError("this context has no gateway: no model can be called here")
        return self.gateway.open_session(identity)

    def tools_mode(self) -> str:
        """native or text, resolving ``auto`` by the provider."""
        mode = self.config.evaluator.agent_tools
        if mode == "auto":
            return "text" if self.config.llm.provider == "local" else "native"
        return mode


def evaluate(ctx: EvalContext, agent_dir: Path, node_id: int | None, task: Task
             ) -> list[TaskResult]:
    """Every result of evaluating the agent in ``agent_dir`` on ``task``: infra errors
    first (each retried, up to ``evaluator.infra_retries``), then the scored attempt 1,
    then attempt 2 when configured and attempt 1 failed. Never raises for what the agent
    or the sandbox does."""
    results = _with_retries(ctx, agent_dir, node_id, task, 1, task.problem, "")
    first = results[-1]
    if ctx.config.evaluator.attempts == 2 and first.verdict == Verdict.FAIL:
        problem = second_problem(task, first.test_output)
        results += _with_retries(ctx, agent_dir, node_id, task, 2, problem, first.patch)
    return results


def second_problem(task: Task, first_test_output: str) -> str:
    """The problem statement of attempt 2: the task's, plus the failing test output."""
    return task.problem + FEEDBACK.format(output=first_test_output[-6000:])


def _with_retries(ctx: EvalContext, agent_dir: Path, node_id: int | None, task: Task,
                  attempt: int, problem: str, start_patch: str) -> list[TaskResult]:
    results = []
    for _ in range(ctx.config.evaluator.infra_retries + 1):
        result = run_attempt(ctx, agent_dir, node_id, task, attempt, problem, start_patch)
        results.append(result)
        if result.verdict != Verdict.INFRA_ERROR:
            break
    return results


def run_attempt(ctx: EvalContext, agent_dir: Path, node_id: int | None, task: Task,
                attempt: int, problem: str, start_patch: str) -> TaskResult:
    """One attempt, no retry: run the agent on ``problem`` (after ``start_patch``) with a
    new gateway session, then grade its patch. Never raises for what the agent or the
    sandbox does (infra faults are ``infra_error`` results); raises what opening the
    gateway session raises (e.g. NotFoundError for a missing recording)."""
    from cladist.llm.identity import SessionIdentity

    cfg = ctx.config
    limits = Limits.from_config(cfg.sandbox).for_task(task.pids, task.memory)
    identity = SessionIdentity(ctx.run_id, node_id, "evaluation", task.id)
    try:
        image = ctx.image_for(task.image)
    except Exception as err:  # the image is missing and cannot be built
        return TaskResult(task.id, Verdict.INFRA_ERROR, attempt,
                          infra_reason=f"image {task.image}: {err}")
    session = ctx.session(identity)
    try:
        spec = SandboxSpec(image=image, agent_code=agent_dir,
                           gateway_socket=session.socket_path, limits=limits,
                           run_id=ctx.run_id, node_id=str(node_id), role="agent",
                           workdir=task.workdir)
        ran = run_agent(task, problem, ctx.open_sandbox, spec,
                        timeout_s=cfg.evaluator.agent_timeout_s,
                        max_steps=cfg.evaluator.agent_max_steps, tools=ctx.tools_mode(),
                        start_patch=start_patch, caps=output_caps(cfg))
    finally:
        session.close()
    used = session.usage  # what the gateway metered for this session
    tokens_in, tokens_out, cost = used.input_tokens, used.output_tokens, used.cost_usd
    common: dict[str, Any] = dict(attempt=attempt, trajectory=ran.trajectory,
                                  agent_seconds=ran.seconds, tokens_in=tokens_in,
                                  tokens_out=tokens_out, cost_usd=cost,
                                  agent_exit_code=ran.exit_code)
    if ran.infra_reason is not None:
        return TaskResult(task.id, Verdict.INFRA_ERROR, infra_reason=ran.infra_reason,
                          **common)
    detail: dict[str, Any] = {
        "session": session.identity.session, "agent_exit_reason": ran.exit_reason,
        "agent_timed_out": ran.timed_out, "protected_changes": list(ran.protected_changes[:50]),
        "agent_log_tail": ran.log[-4000:]}
    if ran.dropped:
        detail["dropped_from_tree"] = [list(d) for d in ran.dropped[:50]]
    if ran.failure is not None:
        return provider_fault(session, TaskResult(
            task.id, Verdict.FAIL, test_output=f"[cladist: fail: {ran.failure}]",
            detail={**detail, "fail_reason": ran.failure}, **common))
    grade_spec = replace(spec, agent_code=None, gateway_socket=None, role="grader")
    graded = grade(task, ran.patch, ctx.open_sandbox, grade_spec, ctx.log_root)
    detail.update({"test_returncode": graded.returncode, **graded.detail})
    return provider_fault(session, TaskResult(
        task.id, graded.verdict, patch=ran.patch, test_output=graded.test_output,
        grade_seconds=graded.seconds, infra_reason=graded.infra_reason, detail=detail,
        **common))


def provider_fault(session: Any, result: TaskResult) -> TaskResult:
    """``result``, or an infra_error when it failed while the model provider was down.

    The rule: a pass stays a pass (it was earned despite the failures); a fail during
    which the provider failed calls of the attempt's session (unavailable after its
    retries, the host's key rejected) and then does not answer a trusted probe either is
    an infra_error, retried and never scored. A fail whose failed calls the agent caused
    (4xx refusals, context overflow, budgets) or after which the provider answers the
    probe (it failed on what the agent sent) stays the agent's fail."""
    if result.verdict != Verdict.FAIL:
        return result
    down = session.provider_down()
    if down is None:
        return result
    return replace(result, verdict=Verdict.INFRA_ERROR, infra_reason=down,
                   detail={**result.detail, "provider_down": True})


def output_caps(cfg: Config) -> OutputCaps:
    """What one attempt may bring back, from ``evaluator.copy_back_*``, ``max_patch_kb``
    and ``max_trajectory_mb``."""
    ev = cfg.evaluator
    return OutputCaps(TreeCaps(ev.copy_back_mb << 20, ev.copy_back_files),
                      ev.max_patch_kb << 10, ev.max_trajectory_mb << 20)


def make_context(config: Config, gateway: Gateway | None, run_id: str = "",
                 build_missing: bool = True) -> EvalContext:
    """An :class:`EvalContext` for ``config.sandbox.backend``: Docker resolves logical
    image names to the recipe-hash tags (building a missing image once when
    ``build_missing``); bubblewrap ignores images. Raises SandboxUnavailable when the
    Docker engine does not answer, UsageError for an unknown backend."""
    import threading

    from cladist.sandbox.factory import open_sandbox

    backend = config.sandbox.backend
    run = getattr(gateway, "run", None)
    run_dir = Path(run.path) if run is not None else Path(config.run.runs_dir) / run_id
    # (a Ray worker has no run, but on the driver's machine it finds the run's folder)
    found = run is not None or (run_id and run_dir.is_dir())
    log_root = run_dir if found else None
    if backend != "docker":
        return EvalContext(config, gateway, lambda spec: open_sandbox(spec, backend),
                           lambda name: name, run_id, log_root=log_root)
    from cladist.sandbox.docker import docker_client
    from cladist.sandbox.images import build_images, bundled_recipes, image_tag

    client = docker_client()
    recipes = bundled_recipes()
    tags: dict[str, str] = {}
    lock = threading.Lock()

    def image_for(name: str) -> str:
        with lock:
            if name not in tags:
                if name not in recipes:  # an image cladist does not build (SWE-bench's)
                    from cladist.sandbox.external import pull_missing

                    pull_missing(client, [name])  # pulled if missing, or a one-line error
                    tags[name] = name
                    return name
                if build_missing:
                    build_images(client, config.sandbox.base_image, only=[name])
                tags[name] = image_tag(recipes[name], client, config.sandbox.base_image)
            return tags[name]

    return EvalContext(config, gateway, lambda spec: open_sandbox(spec, "docker", client),
                       image_for, run_id, log_root=log_root)
