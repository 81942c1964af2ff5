"""SWE-bench end to end, offline: our two-instance dataset, its images built from the base
image, graded by the real harness in the real engine; the seed agent (driven by a scripted
model over the OpenAI wire format) fixes an instance under `cladist eval` and `cladist run`,
and the node's predictions export in the harness's format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_model import respond as fake_respond
from swebench_demo import FIX_ADD, PROBLEMS, Demo

from cladist.archive.records import Verdict
from cladist.archive.run import Run, resolve_run
from cladist.evaluator.suites.swebench_grading import grade_swebench
from cladist.evaluator.suites.swebench_suite import SWEbenchSuite
from cladist.llm.testing import Reply, ScriptedLLMServer

pytestmark = pytest.mark.docker


def test_the_harness_grades_gold_resolved_and_wrong_or_empty_unresolved(
        swebench_demo: Demo, tmp_path: Path) -> None:
    one, two = SWEbenchSuite(str(swebench_demo.dataset)).tasks(["demo__calc-1",
                                                                 "demo__calc-2"])
    logs = tmp_path / "run" / "swebench"
    gold = grade_swebench(one, swebench_demo.gold("demo__calc-1"), logs, "gold")
    assert gold.verdict == Verdict.PASS, (gold.infra_reason, gold.test_output[-2000:])
    assert gold.detail["FAIL_TO_PASS"] == {"success": ["tests/test_ops.py::test_add"],
                                           "failure": []}
    run_dir = logs / "logs" / "run_evaluation" / gold.detail["swebench_run_id"]
    assert (run_dir / "cladist" / "demo__calc-1" / "report.json").is_file()
    assert gold.detail["swebench_logs"] == str(run_dir.resolve())
    wrong = grade_swebench(two, swebench_demo.gold("demo__calc-1"), logs, "wrong")
    assert wrong.verdict == Verdict.FAIL and wrong.infra_reason is None
    assert wrong.detail["FAIL_TO_PASS"]["failure"] == ["tests/test_clamp.py::test_clamp_high"]
    assert wrong.detail["PASS_TO_PASS"]["success"] == ["tests/test_ops.py::test_sub"]
    assert wrong.detail["swebench_run_id"] != gold.detail["swebench_run_id"]
    empty = grade_swebench(two, "", logs, "empty")
    assert empty.verdict == Verdict.FAIL and empty.detail["empty_patch"] is True


def _responder(body: dict[str, Any]) -> Reply:
    """Solves demo__calc-1 (and edits its test file, which must be dropped), gives up on
    the other instance, and plays the fake model for diagnosis and self-edits."""
    messages = body.get("messages", [])
    first_user = str(messages[1].get("content", "")) if len(messages) > 1 else ""
    turns = sum(1 for m in messages if m.get("role") == "assistant")
    if PROBLEMS["demo__calc-1"] in first_user and turns == 0:
        return Reply(content=None, tool_calls=(
            ("replace", {"path": "calc/ops.py", "old": FIX_ADD[0], "new": FIX_ADD[1]}),
            ("create", {"path": "tests/test_ops.py", "content": "# the agent's own test\n"})))
    if any(p in first_user for p in PROBLEMS.values()):
        return Reply(content="done", tool_calls=(("submit", {}),))
    return fake_respond(body)


def _cladist(cwd: Path, server: ScriptedLLMServer, *args: str) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "cladist", *args, "-c", "llm.provider=openai",
         "-c", "llm.model=gpt-4o-mini", "-c", f"llm.base_url={server.openai_base_url}",
         "-c", "llm.api_key_env=FAKE_KEY", "-c", "evaluator.agent_timeout_s=120",
         "-c", "evaluator.test_timeout_s=120"],
        cwd=cwd, capture_output=True, text=True, timeout=900,
        env={**os.environ, "FAKE_KEY": "sk-fake", "COLUMNS": "200"})


def test_eval_command_runs_the_seed_agent_on_a_dataset_file(swebench_demo: Demo,
                                                             tmp_path: Path) -> None:
    with ScriptedLLMServer(default=_responder, api_key="sk-fake") as server:
        done = _cladist(tmp_path, server, "eval", "--agent", "seed", "--suite", "swebench",
                        "--dataset", str(swebench_demo.dataset))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "demo__calc-1: pass" in done.stdout and "demo__calc-2: fail" in done.stdout
    assert "pass@1 0.50 (1/2 scored, 0 infra errors)" in done.stdout
    path = resolve_run("eval", tmp_path / "runs")
    with Run.open(path) as run:
        rows = {r.task_id: r for r in run.store.results(0)}
        fixed = rows["demo__calc-1"]
        assert fixed.verdict == Verdict.PASS and fixed.tokens_in > 0
        assert fixed.detail["dropped_test_changes"] == ["tests/test_ops.py"]
        assert fixed.detail["FAIL_TO_PASS"]["success"] == ["tests/test_ops.py::test_add"]
        patch = run.blobs.get_text(fixed.patch_ref)
        assert "return a + b" in patch and "tests/test_ops.py" not in patch
        logs = Path(fixed.detail["swebench_logs"])
        assert logs.is_relative_to(path.resolve() / "swebench" / "logs" / "run_evaluation")
        assert (logs / "cladist" / "demo__calc-1" / "report.json").is_file()
        assert rows["demo__calc-2"].detail["empty_patch"] is True
    out = tmp_path / "preds.jsonl"
    exported = subprocess.run([sys.executable, "-m", "cladist", "export", str(path), "--node",
                               "0", "--format", "swebench-predictions", "--out", str(out)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    preds = {p["instance_id"]: p for p in map(json.loads, out.read_text().splitlines())}
    assert preds["demo__calc-1"]["model_patch"] == patch
    assert preds["demo__calc-2"]["model_patch"] == ""
    # the official harness, run as users run it, re-grades the exported file
    regrade = subprocess.run(
        [sys.executable, "-m", "swebench.harness.run_evaluation", "-d",
         str(swebench_demo.dataset), "-p", str(out), "-id", "regrade", "--max_workers", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert regrade.returncode == 0, regrade.stdout[-2000:] + regrade.stderr[-2000:]
    model = preds["demo__calc-1"]["model_name_or_path"]
    report = json.loads((tmp_path / f"{model}.regrade.json").read_text())
    assert report["resolved_ids"] == ["demo__calc-1"]
    assert report["empty_patch_ids"] == ["demo__calc-2"]


def test_a_run_on_the_swebench_suite(swebench_demo: Demo, tmp_path: Path) -> None:
    config = tmp_path / "swebench.yaml"
    config.write_text(f"run:\n  name: sweb\nevaluator:\n  suite: swebench\n"
                      f"  dataset: {swebench_demo.dataset}\n  tasks: [demo__calc-1]\n"
                      "scheduler:\n  root_expansions: 0\n"
                      "budget:\n  task_evaluations: 1\n  workers: 1\n")
    with ScriptedLLMServer(default=_responder, api_key="sk-fake") as server:
        done = _cladist(tmp_path, server, "run", "-c", str(config))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with Run.open(resolve_run("sweb", tmp_path / "runs")) as run:
        (row,) = [r for r in run.store.results() if r.verdict != Verdict.INFRA_ERROR]
        assert (row.node_id, row.task_id, row.verdict) == (0, "demo__calc-1", Verdict.PASS)
        assert run.store.run_record().status == "finished"


def test_a_missing_image_that_cannot_be_pulled_is_a_one_line_error(
        swebench_demo: Demo, tmp_path: Path) -> None:
    rows = [{**row, "image": "cladist-test/no-such-instance-image:latest"}
            for row in swebench_demo.rows.values()]
    dataset = tmp_path / "missing.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with ScriptedLLMServer(default=_responder, api_key="sk-fake") as server:
        done = _cladist(tmp_path, server, "eval", "--agent", "seed", "--suite", "swebench",
                        "--dataset", str(dataset))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "no-such-instance-image:latest is not here and cannot be pulled" in line
    assert not (tmp_path / "runs").exists()  # checked before a run is created
    with ScriptedLLMServer(default=_responder, api_key="sk-fake") as server:
        done = _cladist(tmp_path, server, "run", "-c", "evaluator.suite=swebench",
                        "-c", f"evaluator.dataset={dataset}")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot be pulled" in done.stderr.strip().splitlines()[-1]
