"""The two sandboxed halves of a self-improvement step: the parent agent editing a copy of
its own code, and the validation of the child in a fresh sandbox (it imports, it keeps the
agent contract of :mod:`cladist.agents.abi`, its own tests pass). Both report sandbox
failures as ``infra_reason`` rather than raising."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cladist.agents import abi
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


PROBE_DIR = "/tmp/cladist-probe"
PROBE_PORT = 18080
PROBE_TIMEOUT_S = 60


def validate(child_dir: Path, open_sandbox: Any, image: str, limits: Limits, *, run_id: str,
             node_id: int | str, timeout_s: float) -> Validation:
    """Check the child in a fresh sandbox: ``import agent`` works, the agent keeps its
    contract with cladist (:func:`_keeps_contract`) and, if it has tests,
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
            broken = _keeps_contract(sandbox)
            if broken:
                return Validation(False, "the agent breaks its contract with cladist: "
                                  + broken, "")
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


def _keeps_contract(sandbox: Any) -> str | None:
    """Run the agent (the child in ``/workspace``) once on an empty work dir with an LLM
    that always answers ``context_length_exceeded``; what is wrong with the trajectory it
    wrote (None: nothing). Raises SandboxError."""
    sandbox.write_file(f"{PROBE_DIR}/overflowing_llm.py", abi.PROBE_SCRIPT.read_text())
    sandbox.write_file(f"{PROBE_DIR}/problem.md", "Make the tests pass.\n")
    sandbox.exec(f"mkdir -p {PROBE_DIR}/out {PROBE_DIR}/work", timeout=30)
    # the stand-in and the agent in one command: a backend may end what a command leaves
    script = (f"python3 {PROBE_DIR}/overflowing_llm.py {PROBE_PORT} > {PROBE_DIR}/llm.log "
              f"2>&1 & llm=$!; for i in $(seq 100); do grep -q ready {PROBE_DIR}/llm.log "
              f"&& break; sleep 0.1; done; grep -q ready {PROBE_DIR}/llm.log || exit 99; "
              f"{abi.agent_command(PROBE_DIR, 3, 'text')}; kill $llm")
    env = {"PYTHONPATH": "/workspace", "PYTHONDONTWRITEBYTECODE": "1",
           "CLADIST_WORKDIR": f"{PROBE_DIR}/work",
           "CLADIST_LLM_URL": f"http://127.0.0.1:{PROBE_PORT}/v1"}
    ran = sandbox.exec(script, cwd=f"{PROBE_DIR}/work", env=env, timeout=PROBE_TIMEOUT_S)
    if ran.returncode == 99:
        raise SandboxError("the stand-in LLM of the contract check did not start")
    try:
        data = sandbox.read_file(f"{PROBE_DIR}/out/{abi.TRAJECTORY_FILE}", text=False,
                                 limit=1 << 20)
    except (SandboxError, OSError):
        data = b""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return abi.conformance_problem(text)


def _tail(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]
