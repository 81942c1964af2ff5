"""cladist's side of the agent contract (cladist/agents/abi.py): reading exit reasons, the
conformance verdict on hand-made trajectories, and the stand-in LLM it checks agents with,
answered through the real agent client."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from cladist.agents import abi
from cladist.agents.llm_client import Client, ContextLengthError


def test_exit_reasons_are_read_and_known() -> None:
    assert abi.exit_reason('{"exit_reason": "submitted"}') == "submitted"
    assert abi.exit_reason('{"exit_reason": 3}') is None
    assert abi.exit_reason("not json") is None and abi.exit_reason("[1]") is None
    assert abi.is_known("step_limit") and abi.is_known("llm_error:BudgetExceededError")
    assert not abi.is_known("gave_up") and not abi.is_known("llm_error:") \
        and not abi.is_known(None)
    assert abi.is_context_overflow("llm_error:ContextLengthError")
    assert not abi.is_context_overflow("llm_error:ContextLength")


def trajectory(**fields: object) -> str:
    return json.dumps({"format": 1, "exit_reason": "llm_error:ContextLengthError",
                       "steps": [], **fields})


@pytest.mark.parametrize("text, problem", [
    (trajectory(), None),
    ("", "wrote no trajectory.json"),
    ("{", "is not JSON"),
    ("[]", "is not a JSON object"),
    (trajectory(format=2), "has format 2, not 1"),
    (trajectory(exit_reason="llm_error:ContextError"), "its exit_reason is "
     "'llm_error:ContextError', not 'llm_error:ContextLengthError'"),
    (trajectory(steps=None), "has no list of steps"),
])
def test_conformance_names_what_a_trajectory_breaks(text: str, problem: str | None) -> None:
    found = abi.conformance_problem(text)
    assert found == problem if problem is None else problem in (found or "")


def test_the_stand_in_llm_refuses_with_a_context_overflow() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, str(abi.PROBE_SCRIPT), str(port)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        client = Client(url=f"http://127.0.0.1:{port}/v1", timeout=10)
        with pytest.raises(ContextLengthError, match="maximum context length"):
            client.chat([{"role": "user", "content": "hi"}])
    finally:
        server.kill()
        server.wait()
    assert abi.agent_command("/io", 3, "text") == (
        'python3 -m agent --problem /io/problem.md --workdir "$CLADIST_WORKDIR" '
        "--out /io/out --max-steps 3 --tools text")
