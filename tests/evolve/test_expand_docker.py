"""One self-improvement step in Docker, driven by a scripted model: a valid child, the
ways a child is rejected (kept as invalid with its reason), and the diagnosis fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.config import load_config
from cladist.evaluator.evaluate import make_context
from cladist.evolve.driver import expand
from cladist.llm.gateway import Gateway
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.retry import RetryPolicy
from cladist.llm.testing import Reply, ScriptedLLMServer

pytestmark = pytest.mark.docker

DIAGNOSIS = Reply(content=json.dumps({
    "summary": "The agent never checks its work.",
    "proposal": "Add a helper that reminds it to run the tests.",
    "problem_statement": "Add agent/checks.py with REMINDER = 'run the tests' and a test."}))
ADD_CHECKS = [
    Reply(content=None, tool_calls=(("create", {"path": "agent/checks.py",
                                                "content": "REMINDER = 'run the tests'\n"}),)),
    Reply(content=None, tool_calls=(("create", {"path": "tests/test_checks.py", "content": (
        "import unittest\n\nfrom agent.checks import REMINDER\n\n\n"
        "class T(unittest.TestCase):\n    def test_reminder(self):\n"
        "        self.assertIn('tests', REMINDER)\n")}),)),
    Reply(content="done", tool_calls=(("submit", {}),)),
]


@pytest.fixture
def world(tmp_path: Path, docker_client, base_image) -> Iterator[tuple]:  # noqa: ANN001
    server = ScriptedLLMServer(api_key="sk-x").start()
    config = load_config([f"run.runs_dir={tmp_path / 'runs'}", "llm.provider=openai",
                          "evolve.self_edit_timeout_s=120", "evolve.diagnosis_retries=1"])
    run = Run.create(config)
    run.store.record_result(NewResult(0, "py-easy-is-even", Verdict.FAIL))
    provider = OpenAIProvider("gpt-4o", base_url=server.openai_base_url, api_key="sk-x",
                              timeout_s=10, retry=RetryPolicy(max_retries=2, backoff_s=0.05,
                                                              backoff_max_s=0.1))
    gateway = Gateway(provider, run=run)
    ctx = make_context(config, gateway, run.id)
    try:
        yield run, server, ctx
    finally:
        gateway.close()
        provider.close()
        run.close()
        server.stop()


def _expand(run: Run, ctx) -> object:  # noqa: ANN001
    return expand(run, 0, ctx, {}, np.random.default_rng(0))


def test_valid_child_is_committed_and_recorded(world) -> None:  # noqa: ANN001
    run, server, ctx = world
    server.push(DIAGNOSIS, *ADD_CHECKS)
    result = _expand(run, ctx)
    assert result.outcome == "valid", result.reason
    child = run.store.node(result.child_id)
    assert child.status is NodeStatus.VALID and child.parent_id == 0
    assert child.summary == "The agent never checks its work."
    files = run.agents.files(child.commit_sha)
    assert "agent/checks.py" in files and "tests/test_checks.py" in files
    assert run.agents.resolve(f"refs/nodes/{child.id}") == child.commit_sha
    (exp,) = run.store.expansions(0)
    assert exp.outcome == "valid" and exp.child_id == child.id
    assert exp.problem_statement.startswith("Add agent/checks.py")
    assert exp.tokens_in == 40 and exp.target == "task:py-easy-is-even"
    assert json.loads(run.blobs.get_text(exp.diagnosis_ref))["fallback"] is False
    diagnosis_prompt = server.requests[0].body["messages"][1]["content"]
    assert "agent/loop.py" in diagnosis_prompt  # the parent's code was shown


@pytest.mark.parametrize("steps, reason", [
    ([Reply(content=None, tool_calls=(("replace", {
        "path": "agent/__init__.py", "old": '__version__ = "0.1.0"',
        "new": 'raise ImportError("broken")'}),)),
      Reply(content=None, tool_calls=(("submit", {}),))], "`import agent` fails"),
    ([Reply(content=None, tool_calls=(("create", {
        "path": "tests/test_bad.py", "content": "import unittest\n\n\nclass T(unittest.TestCase)"
        ":\n    def test_bad(self):\n        self.fail('nope')\n"}),)),
      Reply(content=None, tool_calls=(("submit", {}),))], "the agent's own tests fail"),
    ([Reply(content=None, tool_calls=(("submit", {}),))], "the self-edit changed nothing"),
    ([Reply(content=None, tool_calls=(("replace", {  # the context-overflow signal renamed
        "path": "agent/loop.py", "old": 'exit_reason = f"llm_error:{type(err).__name__}"',
        "new": 'exit_reason = f"error:{type(err).__name__}"'}),)),
      Reply(content=None, tool_calls=(("submit", {}),))],
     "the agent breaks its contract with cladist: when the LLM answers "
     "context_length_exceeded its exit_reason is 'error:ContextLengthError'"),
])
def test_rejected_children_are_kept_with_their_reason(world, steps, reason) -> None:  # noqa: ANN001
    run, server, ctx = world
    server.push(DIAGNOSIS, *steps)
    result = _expand(run, ctx)
    assert result.outcome == "invalid" and reason in (result.reason or "")
    child = run.store.node(result.child_id)
    assert child.status is NodeStatus.INVALID and reason in (child.reason or "")
    assert run.store.expansions(0)[0].outcome == "invalid"


def test_malformed_diagnosis_is_retried_then_falls_back(world) -> None:  # noqa: ANN001
    run, server, ctx = world
    server.push(Reply(content="I think the agent is fine."), Reply(content="{not json"),
                *ADD_CHECKS)
    result = _expand(run, ctx)
    assert result.outcome == "valid", result.reason
    (exp,) = run.store.expansions(0)
    diagnosis = json.loads(run.blobs.get_text(exp.diagnosis_ref))
    assert diagnosis["fallback"] is True and diagnosis["attempts"] == 2
    retry = server.requests[1].body["messages"][-1]["content"]
    assert "not the JSON asked for" in retry


def test_a_diagnosis_too_long_for_the_model_is_cut_and_retried(world) -> None:  # noqa: ANN001
    from cladist.llm.testing import Fault

    run, server, ctx = world
    server.push(Fault("context_length"), DIAGNOSIS, *ADD_CHECKS)
    result = _expand(run, ctx)
    assert result.outcome == "valid", result.reason
    first, second = (len(r.body["messages"][1]["content"]) for r in server.requests[:2])
    assert second < first * 0.6
    assert "cut to fit the model's context" in server.requests[1].body["messages"][1]["content"]


def test_a_refused_diagnosis_is_the_models_failure_not_ours(world) -> None:  # noqa: ANN001
    from cladist.llm.testing import Fault

    run, server, ctx = world
    server.push(Fault("bad_request"))
    refused = _expand(run, ctx)
    assert refused.outcome == "error" and refused.child_id is None
    assert not refused.infra and "HTTP 400" in (refused.reason or "")
    server.push(*[Fault("server_error")] * 3)  # past the provider's 2 retries: ours
    down = _expand(run, ctx)
    assert down.outcome == "error" and down.infra, down.reason
    assert [e.outcome for e in run.store.expansions()] == ["error", "error"]
