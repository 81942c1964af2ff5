"""`cladist eval` as a user runs it: a subprocess on a bundled task, the seed agent driven by
a scripted model over the real OpenAI wire format, graded in Docker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cladist.archive.records import Verdict
from cladist.archive.run import Run, resolve_run
from cladist.evaluator.suites.bundled import BundledSuite
from cladist.llm.testing import Fault, Reply, ScriptedLLMServer

pytestmark = pytest.mark.docker

TASK = "py-easy-is-even"


def _writes_reference_solution(task_id: str) -> list[Reply]:
    """Tool calls that write the task's reference solution file by file, then submit."""
    (task,) = BundledSuite().tasks([task_id])
    assert task.solution is not None
    steps = [Reply(content=None, tool_calls=(("create", {
        "path": str(path.relative_to(task.solution)), "content": path.read_text()}),))
        for path in sorted(task.solution.rglob("*")) if path.is_file()]
    return [*steps, Reply(content="done", tool_calls=(("submit", {}),))]


def test_eval_command_scores_the_seed_agent(tmp_path: Path, docker_client, base_image) -> None:  # noqa: ANN001
    with ScriptedLLMServer(_writes_reference_solution(TASK), api_key="sk-eval") as server:
        done = subprocess.run(
            [sys.executable, "-m", "cladist", "eval", "--agent", "seed", "--suite", "bundled",
             "--task", TASK, "-c", "llm.provider=openai", "-c", "llm.model=gpt-4o-mini",
             "-c", f"llm.base_url={server.openai_base_url}", "-c", "llm.api_key_env=EVAL_KEY",
             "-c", "evaluator.agent_timeout_s=120"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
            env={**os.environ, "EVAL_KEY": "sk-eval", "COLUMNS": "200"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"{TASK}: pass" in done.stdout
    assert "pass@1 1.00 (1/1 scored, 0 infra errors)" in done.stdout
    with Run.open(resolve_run("eval", tmp_path / "runs")) as run:
        (row,) = run.store.results(0)
        assert row.verdict == Verdict.PASS and row.tokens_in > 0
        assert run.store.run_record().status == "finished"
        assert len(server.requests) >= 2


def test_eval_command_reports_a_missing_key_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_SUCH_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "cladist", "eval", "--agent", "seed", "--task", TASK,
         "-c", "llm.provider=openai", "-c", "llm.api_key_env=NO_SUCH_KEY"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "NO_SUCH_KEY" in lines[0] and "Traceback" not in done.stderr


def test_eval_of_an_archived_node_as_json_with_a_sample(tmp_path: Path, docker_client,  # noqa: ANN001
                                                        base_image) -> None:  # noqa: ANN001
    import json

    subprocess.run([sys.executable, "-m", "cladist", "init", "-c", "run.name=src"],
                   cwd=tmp_path, check=True, capture_output=True)
    with ScriptedLLMServer(_writes_reference_solution(TASK), api_key="sk-eval") as server:
        done = subprocess.run(
            [sys.executable, "-m", "cladist", "eval", "--agent", "src:0",
             "--tasks", f"{TASK},py-easy-greeting", "--sample", "1", "--json",
             "-c", "run.random_seed=3", "-c", "llm.provider=openai",
             "-c", f"llm.base_url={server.openai_base_url}", "-c", "llm.api_key_env=EVAL_KEY"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
            env={**os.environ, "EVAL_KEY": "sk-eval"})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert len(report["tasks"]) == 1 and report["scored"] == 1  # a sample of one
    (task_id,) = report["tasks"]
    assert task_id in (TASK, "py-easy-greeting")
    assert report["tasks"][task_id][0]["verdict"] in ("pass", "fail")
    assert report["pass@1"] == (1.0 if task_id == TASK else 0.0)


def test_eval_with_the_model_down_scores_nothing_and_fails(tmp_path: Path, docker_client,  # noqa: ANN001
                                                           base_image) -> None:  # noqa: ANN001
    import json

    from cladist.llm.outage import PROVIDER_DOWN

    gone = ScriptedLLMServer().start()
    url = gone.openai_base_url
    gone.stop()  # the provider stops listening: every call is refused
    done = subprocess.run(
        [sys.executable, "-m", "cladist", "eval", "--agent", "seed", "--task", TASK, "--json",
         "-c", "llm.provider=openai", "-c", f"llm.base_url={url}",
         "-c", "llm.api_key_env=EVAL_KEY", "-c", "llm.max_retries=0",
         "-c", "evaluator.infra_retries=1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "EVAL_KEY": "sk-eval"})
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)  # the report is still printed
    assert report["scored"] == 0 and report["infra_errors"] == 1
    rows = report["tasks"][TASK]
    assert [r["verdict"] for r in rows] == ["infra_error", "infra_error"]  # retried, unscored
    assert all(r["infra_reason"].startswith(PROVIDER_DOWN) for r in rows)
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("cladist: error")]
    assert "no task was scored: 1 infra error(s)" in error and PROVIDER_DOWN in error
    assert "connection failed" in error


def test_eval_stops_when_the_model_stays_down(tmp_path: Path, docker_client, base_image) -> None:  # noqa: ANN001
    """Every call fails (500): the first two tasks are infra errors, not fails; the others
    are never started, and the command exits 1 with one line saying why."""
    tasks = ["py-easy-is-even", "py-easy-greeting", "py-easy-largest", "py-easy-factorial"]
    with ScriptedLLMServer(default=lambda body: Fault("server_error"),
                           api_key="sk-eval") as server:
        done = subprocess.run(
            [sys.executable, "-m", "cladist", "eval", "--agent", "seed", "--suite", "bundled",
             *[arg for task in tasks for arg in ("--task", task)],
             "-c", "llm.provider=openai", "-c", "llm.model=gpt-4o-mini",
             "-c", f"llm.base_url={server.openai_base_url}", "-c", "llm.api_key_env=EVAL_KEY",
             "-c", "llm.max_retries=0", "-c", "evaluator.infra_retries=0",
             "-c", "budget.workers=1", "-c", "evaluator.agent_timeout_s=120"],
            cwd=tmp_path, capture_output=True, text=True, timeout=900,
            env={**os.environ, "EVAL_KEY": "sk-eval", "COLUMNS": "200"})
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("cladist: error")]
    assert "model unavailable: 2 tasks in a row" in error and "2 of 4 tasks were not run" in error
    with Run.open(resolve_run("eval", tmp_path / "runs")) as run:
        results = run.store.results(0)
        assert len(results) == 2 and {r.verdict for r in results} == {Verdict.INFRA_ERROR}
        assert all(r.detail["provider_down"] is True for r in results)
        record = run.store.run_record()
        assert record.status == "stopped" and record.stop_reason.startswith("model unavailable")
