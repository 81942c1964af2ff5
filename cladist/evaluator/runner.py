"""Running an agent on a task: a sandbox from the task image, the workspace without hidden
tests, the agent's code mounted read-only at /agent, the gateway socket; the agent works
under a timeout and its only output is the diff of the workspace.
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, replace
from typing import Any

from cladist.evaluator.contracts import Task
from cladist.evaluator.grader import prepare_workspace
from cladist.evaluator.patches import DIFF_SCRIPT
from cladist.sandbox.contract import SandboxError, SandboxSpec

IO_DIR = "/tmp/cladist"


@dataclass(frozen=True)
class AgentRun:
    """What one agent run left: the patch, its trajectory and how it ended.

    ``infra_reason`` is set when the sandbox failed (then the run says nothing about the
    agent); ``exit_code`` is the agent process's status (124 when it hit the timeout).
    """

    patch: str
    trajectory: str
    seconds: float
    exit_code: int | None
    timed_out: bool
    log: str
    infra_reason: str | None = None

    @property
    def exit_reason(self) -> str | None:
        """The exit reason the agent wrote in its trajectory, if it wrote one."""
        try:
            return json.loads(self.trajectory).get("exit_reason")
        except (ValueError, AttributeError):
            return None


def agent_command(max_steps: int, tools: str) -> str:
    """The shell command that starts an agent mounted at /agent on the task workspace."""
    return (f"python3 -m agent --problem {IO_DIR}/problem.md --workdir \"$CLADIST_WORKDIR\" "
            f"--out {IO_DIR}/out --max-steps {int(max_steps)} --tools {shlex.quote(tools)}")


def run_agent(task: Task, problem: str, open_sandbox: Any, spec: SandboxSpec, *,
              timeout_s: float, max_steps: int = 30, tools: str = "native",
              start_patch: str = "") -> AgentRun:
    """Run the agent of ``spec.agent_code`` on ``task`` and collect its patch.

    ``start_patch`` is applied before the agent starts (a second attempt continues from the
    first). Never raises for what the agent does; sandbox failures give ``infra_reason``.
    """
    started = time.monotonic()
    if task.sandbox_user is not None:
        spec = replace(spec, user=task.sandbox_user)
    try:
        with open_sandbox(spec) as sandbox:
            problem_with_start = prepare_workspace(sandbox, task, start_patch)
            if problem_with_start is not None:
                return AgentRun("", "", 0.0, None, False, "", "the previous attempt's patch "
                                f"does not apply: {problem_with_start}")
            sandbox.exec(f"mkdir -p {IO_DIR}/out", timeout=30)
            sandbox.write_file(f"{IO_DIR}/problem.md", problem)
            env = {"PYTHONPATH": "/agent", "PYTHONDONTWRITEBYTECODE": "1",
                   "CLADIST_WORKDIR": task.workdir, "PYTHONUNBUFFERED": "1"}
            done = sandbox.exec(agent_command(max_steps, tools), cwd=task.workdir, env=env,
                                timeout=timeout_s)
            diff = sandbox.exec(f"{DIFF_SCRIPT} > {IO_DIR}/patch.diff", cwd=task.workdir,
                                timeout=120)
            if diff.returncode != 0:
                raise SandboxError(f"git diff failed: {diff.err.strip()[-300:]}")
            patch = str(sandbox.read_file(f"{IO_DIR}/patch.diff"))
            try:
                trajectory = str(sandbox.read_file(f"{IO_DIR}/out/trajectory.json"))
            except FileNotFoundError:
                trajectory = ""
    except SandboxError as err:
        return AgentRun("", "", time.monotonic() - started, None, False, "",
                        f"{type(err).__name__}: {err}")
    log = (done.out + done.err)[-20_000:]
    return AgentRun(patch, trajectory, time.monotonic() - started, done.returncode,
                    done.timed_out, log)
