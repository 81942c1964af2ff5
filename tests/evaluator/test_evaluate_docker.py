"""The evaluator in Docker: grading is right, test edits are undone, who is at fault is
decided from evidence (the agent's memory hog fails, a missing image is ours), and the
seed agent fixes a task end to end through the gateway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cladist.agents import prepare_agent
from cladist.archive.records import Verdict
from cladist.archive.run import Run
from cladist.config import load_config
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import evaluate, make_context
from cladist.evaluator.grader import grade
from cladist.evaluator.record import record_results
from cladist.llm.gateway import Gateway
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.testing import Reply, ScriptedLLMServer
from cladist.sandbox.contract import Limits, SandboxSpec

pytestmark = pytest.mark.docker

FIX = ("diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n"
       " def add(a, b):\n-    return a - b\n+    return a + b\n")
CHEAT = ("diff --git a/tests/test_calc.py b/tests/test_calc.py\nnew file mode 100644\n"
         "--- /dev/null\n+++ b/tests/test_calc.py\n@@ -0,0 +1,2 @@\n+def test_add():\n"
         "+    assert True\n")


@pytest.fixture
def task(tmp_path: Path) -> Task:
    root = tmp_path / "task"
    (root / "workspace").mkdir(parents=True)
    (root / "workspace" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (root / "hidden" / "tests").mkdir(parents=True)
    (root / "hidden" / "tests" / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    return Task(id="calc-add", suite="test", language="python", image="python",
                problem="`add` in calc.py returns the wrong result: add(2, 3) must be 5.",
                runner="pytest", test_args=("tests/test_calc.py",),
                expected_tests=frozenset({"tests/test_calc.py::test_add"}),
                workspace=root / "workspace", hidden_tests=root / "hidden",
                test_files=("tests/*",), test_timeout_s=60, tier="easy")


@pytest.fixture
def ctx_parts(docker_client, base_image):  # noqa: ANN001, ANN201
    config = load_config(["sandbox.backend=docker", "llm.provider=openai",
                          "evaluator.agent_timeout_s=120", "evaluator.infra_retries=1"])
    context = make_context(config, gateway=None)
    spec = SandboxSpec(image=context.image_for("python"), limits=Limits(memory="512m"),
                       role="grader", run_id="test-eval")
    return context, spec


def test_grader_passes_the_fix_fails_empty_and_cheating_patches(task: Task, ctx_parts) -> None:  # noqa: ANN001
    context, spec = ctx_parts
    fixed = grade(task, FIX, context.open_sandbox, spec)
    assert fixed.verdict == Verdict.PASS and fixed.detail["passed_tests"] == 1
    empty = grade(task, "", context.open_sandbox, spec)
    assert empty.verdict == Verdict.FAIL and "1 failed" in empty.test_output
    assert "expected tests did not pass" in empty.detail["fail_reason"]
    # A test edit that reached the grader is undone: the hidden tests are restored over it.
    cheat = grade(task, CHEAT, context.open_sandbox, spec)
    assert cheat.verdict == Verdict.FAIL
    assert cheat.detail["restored_protected"] == ["tests/test_calc.py"]
    both = grade(task, CHEAT + FIX, context.open_sandbox, spec)
    assert both.verdict == Verdict.PASS


def test_who_is_at_fault_is_decided_from_evidence(task: Task, ctx_parts) -> None:  # noqa: ANN001
    context, spec = ctx_parts
    hog = FIX.replace("+    return a + b\n", "+    return a + b\n+x = bytearray(400 << 20)\n"
                      "+y = bytearray(400 << 20)\n")
    hog = hog.replace("@@ -1,2 +1,2 @@", "@@ -1,2 +1,4 @@")
    # (Docker keeps the disk in RAM on top of the memory limit: keep it small here too)
    small = replace(spec, limits=Limits(memory="256m", disk="16m"))
    oom = grade(task, hog, context.open_sandbox, small)
    assert oom.verdict == Verdict.FAIL, (oom.infra_reason, oom.test_output[-500:])
    missing = grade(task, FIX, context.open_sandbox, replace(spec, image="cladist-none:0"))
    assert missing.verdict == Verdict.INFRA_ERROR and missing.infra_reason
    broken = grade(task, "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n"
                   "@@ -1 +1 @@\n-x\n+y\n", context.open_sandbox, spec)
    assert broken.verdict == Verdict.FAIL and "does not apply" in broken.detail["fail_reason"]


def remove_when(client, run_id: str, running: bytes) -> None:  # noqa: ANN001
    """Remove the run's container once a process whose command line holds ``running`` is
    in it: what someone with the engine does (the code inside has no engine)."""
    import time

    for _ in range(300):
        found = client.containers.list(filters={"label": f"cladist.run={run_id}"})
        if found and running in found[0].exec_run("ps -eo args").output:
            found[0].remove(force=True)
            return
        time.sleep(0.1)


def test_a_grading_sandbox_removed_from_outside_is_an_infra_error(
        task: Task, ctx_parts, docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    import threading

    context, spec = ctx_parts
    slow = FIX.replace("+    return a + b\n", "+    return a + b\n+import time; time.sleep(60)\n")
    slow = slow.replace("@@ -1,2 +1,2 @@", "@@ -1,2 +1,3 @@")
    run_id = f"test-removed-grader-{tmp_path.name[-12:]}"
    remover = threading.Thread(target=remove_when, args=(docker_client, run_id, b"pytest_boot"))
    remover.start()
    graded = grade(task, slow, context.open_sandbox, replace(spec, run_id=run_id))
    remover.join()
    assert graded.verdict == Verdict.INFRA_ERROR, (graded.verdict, graded.detail)
    assert "SandboxRemoved" in str(graded.infra_reason)


def test_a_sandbox_removed_from_outside_is_ours_not_the_agents(
        task: Task, ctx_parts, docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    import threading

    from cladist.evaluator.runner import run_agent

    context, spec = ctx_parts
    agent = tmp_path / "sleeper"
    (agent / "agent").mkdir(parents=True)
    (agent / "agent" / "__init__.py").write_text("")
    (agent / "agent" / "__main__.py").write_text("import time\ntime.sleep(60)\n")
    run_id = f"test-removed-{tmp_path.name[-12:]}"

    remover = threading.Thread(target=remove_when, args=(docker_client, run_id, b"-m agent"))
    remover.start()
    ran = run_agent(task, task.problem, context.open_sandbox,
                    replace(spec, agent_code=agent, role="agent", run_id=run_id),
                    timeout_s=90)
    remover.join()
    assert ran.failure is None and ran.infra_reason, (ran.failure, ran.infra_reason)
    assert "SandboxRemoved" in ran.infra_reason


@pytest.fixture
def scripted_gateway(tmp_path: Path) -> Iterator[tuple[Gateway, ScriptedLLMServer, Run]]:
    steps = [
        Reply(content=None, tool_calls=(("view", {"path": "calc.py"}),)),
        Reply(content=None, tool_calls=(("replace", {"path": "calc.py", "old": "a - b",
                                                     "new": "a + b"}),)),
        Reply(content="done", tool_calls=(("submit", {}),)),
    ]
    config = load_config([f"run.runs_dir={tmp_path / 'runs'}", "llm.provider=openai"])
    with ScriptedLLMServer(steps, api_key="sk-test") as server, Run.create(config) as run:
        provider = OpenAIProvider("gpt-4o", base_url=server.openai_base_url,
                                  api_key="sk-test", timeout_s=10)
        with Gateway(provider, run=run) as gateway:
            yield gateway, server, run
        provider.close()


def test_seed_agent_fixes_the_task_end_to_end(task: Task, scripted_gateway, ctx_parts,  # noqa: ANN001
                                              tmp_path: Path) -> None:
    gateway, server, run = scripted_gateway
    context, _ = ctx_parts
    context.gateway, context.run_id = gateway, run.id
    agent = prepare_agent("seed", tmp_path / "agent")
    (result,) = evaluate(context, agent, 0, task)
    assert result.verdict == Verdict.PASS, (result.infra_reason, result.detail)
    assert "-    return a - b\n+    return a + b" in result.patch
    trajectory = json.loads(result.trajectory)
    assert trajectory["exit_reason"] == "submitted" and len(trajectory["steps"]) == 3
    assert result.tokens_in == 30 and result.tokens_out == 15  # 3 scripted replies
    assert len(server.requests) == 3
    (event,) = record_results(run, 0, [result])
    (row,) = run.store.results(0)
    assert row.id == event.data["result_id"] and row.verdict == Verdict.PASS
    assert (event.kind, event.node_id, event.data["verdict"]) == ("task_result", 0, "pass")
    assert "+    return a + b" in run.blobs.get_text(row.patch_ref)
    assert json.loads(run.blobs.get_text(row.trajectory_ref))["exit_reason"] == "submitted"
    assert run.store.node(0).n_pass == 1


def test_second_attempt_sees_the_failing_tests_and_counts_as_pass_at_2(
        task: Task, ctx_parts, tmp_path: Path) -> None:  # noqa: ANN001
    from cladist.evaluator.batch import summarize

    def model(body: dict) -> Reply:
        first_user = body["messages"][1]["content"]
        turns = sum(1 for m in body["messages"] if m["role"] == "assistant")
        if "Your previous attempt failed" in first_user and turns == 0:
            assert "1 failed" in first_user  # the test output was fed back
            return Reply(content=None, tool_calls=(("replace", {
                "path": "calc.py", "old": "a - b", "new": "a + b"}),))
        return Reply(content="done", tool_calls=(("submit", {}),))

    context, _ = ctx_parts
    context.config = context.config.model_copy(update={"evaluator": context.config.evaluator
                                                       .model_copy(update={"attempts": 2})})
    with ScriptedLLMServer(default=model, api_key="sk-test") as server:
        provider = OpenAIProvider("gpt-4o", base_url=server.openai_base_url,
                                  api_key="sk-test", timeout_s=10)
        with Gateway(provider, folder=tmp_path / "rec") as gateway:
            context.gateway = gateway
            results = evaluate(context, prepare_agent("seed", tmp_path / "agent"), 0, task)
        provider.close()
    assert [(r.attempt, r.verdict) for r in results] == [(1, Verdict.FAIL), (2, Verdict.PASS)]
    summary = summarize({task.id: results})
    assert (summary.pass_at_1, summary.pass_at_2) == (0.0, 1.0)
