"""The two sandboxed halves of a self-improvement step: the parent agent editing a copy of
its own code, and the validation of the child in a fresh sandbox (it imports, its own tests
pass). Both report sandbox failures as ``infra_reason`` rather than raising."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cladist.evaluator.contracts import Task
from cladist.evaluator.runner import AgentRun, run_agent
from cladist.sandbox.contract import Limits, SandboxError, SandboxSpec

PREAMBLE = """You are changing the code of a coding agent: the work directory is the agent's own
code (README.md says how it is laid out). Make the change described below, one small edit
at a time; the agent's tests (`python3 -m unittest discover -s tests -t .`) must keep
passing. Then submit.

"""


@dataclass(frozen=True)
class Validation:
    """Whether a child may join the tree: ``ok``, else ``reason``; ``infra_reason`` when
    the sandbox failed (then nothing is known about the child)."""

    ok: bool
    reason: str | None
    output: str
    infra_reason: str | None = None


def self_edit(parent_dir: Path, problem: str, open_sandbox: Any, image: str,
              socket_path: Path, limits: Limits, *, run_id: str, node_id: int,
              timeout_s: float, max_steps: int, tools: str) -> AgentRun:
    """Run the parent (code at ``parent_dir``) on a copy of its own code with ``problem``;
    the returned run's patch is the proposed child."""
    task = Task(id="self-edit", suite="self", language="python", problem=PREAMBLE + problem,
                image="agent", runner="none", workspace=parent_dir)
    spec = SandboxSpec(image=image, agent_code=parent_dir, gateway_socket=socket_path,
                       limits=limits, run_id=run_id, node_id=str(node_id), role="self-edit")
    return run_agent(task, task.problem, open_sandbox, spec, timeout_s=timeout_s,
                     max_steps=max_steps, tools=tools)


def validate(child_dir: Path, open_sandbox: Any, image: str, limits: Limits, *, run_id: str,
             node_id: int | str, timeout_s: float) -> Validation:
    """Check the child in a fresh sandbox: ``import agent`` works and, if it has tests,
    ``python3 -m unittest discover -s tests -t .`` passes within ``timeout_s``."""
    spec = SandboxSpec(image=image, limits=limits, run_id=run_id, node_id=str(node_id),
                       role="validate")
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": "/workspace"}
    try:
        with open_sandbox(spec) as sandbox:
            sandbox.copy_in(child_dir, "/workspace")
            imported = sandbox.exec(["python3", "-c", "import agent"], cwd="/workspace",
                                    env=env, timeout=60)
            if not imported.ok:
                return Validation(False, "`import agent` fails: "
                                  + _tail(imported.out + imported.err), imported.err)
            if not (child_dir / "tests").is_dir():
                return Validation(True, None, "")
            tests = sandbox.exec(["python3", "-m", "unittest", "discover", "-s", "tests",
                                  "-t", "."], cwd="/workspace", env=env, timeout=timeout_s)
    except SandboxError as err:
        return Validation(False, None, "", f"{type(err).__name__}: {err}")
    output = tests.out + tests.err
    if tests.oom_killed:
        return Validation(False, None, output, "validation ran out of memory")
    if tests.timed_out:
        return Validation(False, f"the agent's tests timed out after {timeout_s:.0f}s",
                          output)
    if tests.returncode != 0:
        return Validation(False, "the agent's own tests fail: " + _tail(output), output)
    return Validation(True, None, output)


def _tail(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]
