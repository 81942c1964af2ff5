"""A fake model for end-to-end runs: it answers from the request, like a very predictable
LLM, so a run is deterministic in what it does (not in its order).

- The diagnosis always proposes to add the skill marker to the agent's system prompt.
- A self-edit adds that marker to ``agent/prompts.py`` (then submits).
- An evaluation solves the task (writes its reference solution, one file per reply) only
  when the agent's system prompt carries the marker; otherwise it submits at once (an
  empty patch).
So the seed fails every task, and a child whose code really changed passes them.
"""

from __future__ import annotations

import json
from typing import Any

from cladist.evaluator.suites.bundled import BundledSuite
from cladist.evolve.selfedit import PREAMBLE
from cladist.llm.testing import Reply

SELF_EDIT = PREAMBLE.split(":")[0]  # how a self-edit's problem starts

MARKER = "[cladist-skill: solve]"
ORIGINAL = 'SYSTEM = """You are a careful software engineer'


def _assistant_turns(body: dict[str, Any]) -> int:
    return sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")


def _solution_calls(problem_text: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    for task in BundledSuite().tasks():
        if task.problem.strip()[:200] in problem_text and task.solution is not None:
            return tuple(("create", {"path": str(p.relative_to(task.solution)),
                                     "content": p.read_text()})
                         for p in sorted(task.solution.rglob("*")) if p.is_file())
    return ()


def respond(body: dict[str, Any]) -> Reply:
    """The fake model's answer to one chat-completions request."""
    messages = body.get("messages", [])
    system = str(messages[0].get("content", "")) if messages else ""
    first_user = str(messages[1].get("content", "")) if len(messages) > 1 else ""
    turns = _assistant_turns(body)
    if system.startswith("You improve a coding agent"):
        return Reply(content=json.dumps({
            "summary": "The agent gives up without trying.",
            "proposal": "Give it the solving skill in its system prompt.",
            "problem_statement": f"In agent/prompts.py, put {MARKER} at the start of SYSTEM."}))
    if SELF_EDIT in first_user:
        if turns == 0:
            return Reply(content=None, tool_calls=(("replace", {
                "path": "agent/prompts.py", "old": ORIGINAL,
                "new": f'SYSTEM = """{MARKER} You are a careful software engineer'}),))
        return Reply(content="done", tool_calls=(("submit", {}),))
    if MARKER in system:
        calls = _solution_calls(first_user)
        if turns < len(calls):  # one file per reply: the agent runs one action per reply
            return Reply(content=None, tool_calls=(calls[turns],))
    return Reply(content="done", tool_calls=(("submit", {}),))


EVOLVED_TASKS = ["py-easy-is-even", "py-easy-greeting", "py-easy-largest"]
"""The bundled tasks of the shared ``evolved_run`` fixture (tests/conftest.py)."""

KEY_ENV = {"FAKE_KEY": "sk-fake"}
"""The environment a run needs to reach the fake model's server (its API key)."""


def model_args(server: Any, tasks: list[str]) -> list[str]:
    """``-c`` overrides pointing a run at the fake model's server, on ``tasks``."""
    return ["-c", "llm.provider=openai", "-c", "llm.model=gpt-4o-mini",
            "-c", f"llm.base_url={server.openai_base_url}", "-c", "llm.api_key_env=FAKE_KEY",
            "-c", f"evaluator.tasks=[{', '.join(tasks)}]", "-c", "evaluator.tier=all",
            "-c", "evaluator.agent_timeout_s=120", "-c", "evolve.self_edit_timeout_s=120",
            "-c", "scheduler.root_expansions=1", "-c", "budget.workers=2"]


def run_cli(cwd: Any, server: Any, tasks: list[str], *args: str, timeout: float = 900) -> Any:
    """``cladist ARGS`` in a subprocess against the fake model; the CompletedProcess."""
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "cladist", *args, *model_args(server, tasks)],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **KEY_ENV, "COLUMNS": "200"})
