"""SWE-bench end to end, offline: our two-instance dataset, its images built from the base
image, graded in cladist's own sandbox with the harness's test spec and log parser. Our
verdicts agree with the official harness's ``run_instance`` (the reference, used only
here) except where a patch forges the log; hostile patches fail and are never taken for
infrastructure faults; the seed agent (driven by a scripted model over the OpenAI wire
format) fixes an instance under `cladist eval` and `cladist run`, and the node's
predictions export in the harness's format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fake_model import respond as fake_respond
from swebench_demo import (
    FIX_ADD,
    OPS,
    PROBLEMS,
    UNITTEST_F2P,
    UNITTEST_P2P,
    Demo,
    unittest_row,
)

from cladist.archive.records import Verdict
from cladist.archive.run import Run, resolve_run
from cladist.evaluator.contracts import Grade, Task
from cladist.evaluator.grader import grade
from cladist.evaluator.suites.swebench.suite import SWEbenchSuite
from cladist.llm.testing import Reply, ScriptedLLMServer
from cladist.sandbox.contract import Limits, SandboxSpec
from cladist.sandbox.factory import open_sandbox

pytestmark = pytest.mark.docker

FIXED = OPS.replace(*FIX_ADD)
TO_THE_LOG = "import os\nlog = open(f'/proc/{os.getppid()}/fd/1', 'w')  # past pytest's capture\n"
"""Code under test writing to the eval script's output itself."""
FORGE_AT_IMPORT = (TO_THE_LOG + "log.write('PASSED tests/test_ops.py::test_add\\n'\n"
                   "          'PASSED tests/test_ops.py::test_sub\\n')\nlog.flush()\n"
                   "os._exit(0)\n" + OPS)
FORGE_AT_EXIT = ("import atexit, os, sys\n\n\ndef forge():\n"
                 "    sys.stdout.write('PASSED tests/test_ops.py::test_add\\n')\n"
                 "    sys.stdout.flush()\n    os._exit(0)\n\n\natexit.register(forge)\n" + OPS)
DESELECT = """def pytest_collection_modifyitems(config, items):
    items[:] = [i for i in items if "test_add" not in i.nodeid]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line("PASSED tests/test_ops.py::test_add")
"""
INSIDE = (TO_THE_LOG + "log.write(open('/proc/net/dev').read())\n"
          "log.write(''.join(l for l in open('/proc/self/status') if l.startswith('Cap')))\n"
          "try:\n    open('/cladist-harness/planted.py', 'w')\nexcept OSError as err:\n"
          "    log.write(f'harness: {err.strerror}\\n')\nlog.close()\n" + FIXED)


@pytest.fixture
def graded(swebench_demo: Demo, docker_client: Any, tmp_path: Path) -> Callable[..., Grade]:
    """Grades a patch (or edits of the demo repository) on an instance as evaluation does."""
    def grade_it(instance: str | Task, patch: str | dict[str, Any],
                 memory: str = "512m") -> Grade:
        task = instance if isinstance(instance, Task) else \
            SWEbenchSuite(str(swebench_demo.dataset)).tasks([instance])[0]
        diff = patch if isinstance(patch, str) else swebench_demo.diff(patch)
        spec = SandboxSpec(limits=Limits(memory=memory), run_id="test-swebench", node_id="0",
                           role="grader")
        return grade(task, diff, lambda s: open_sandbox(s, "docker", docker_client), spec,
                     tmp_path / "run")
    return grade_it


@pytest.mark.slow
def test_verdicts_agree_with_the_official_harness_except_on_a_forged_log(
        swebench_demo: Demo, graded: Callable[..., Grade], docker_client: Any,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from swebench.harness.run_evaluation import run_instance
    from swebench.harness.utils import make_test_spec

    monkeypatch.chdir(tmp_path)  # run_instance writes its logs relative to it
    forged = swebench_demo.diff({"calc/ops.py": FORGE_AT_IMPORT})
    cases = [("gold", "demo__calc-1", swebench_demo.gold("demo__calc-1")),
             ("wrong", "demo__calc-2", swebench_demo.gold("demo__calc-1")),
             ("empty", "demo__calc-2", ""), ("forged", "demo__calc-1", forged)]
    ours, official = {}, {}
    for name, iid, patch in cases:
        ours[name] = graded(iid, patch)
        pred = {"instance_id": iid, "model_name_or_path": "ref", "model_patch": patch}
        done = run_instance(make_test_spec(swebench_demo.rows[iid]), pred, docker_client,
                            f"ref-{name}", 120)
        official[name] = bool(done and done[1][iid]["resolved"])
    assert official == {"gold": True, "wrong": False, "empty": False, "forged": True}
    assert {k: g.verdict for k, g in ours.items()} == {
        "gold": Verdict.PASS, "wrong": Verdict.FAIL, "empty": Verdict.FAIL,
        "forged": Verdict.FAIL}
    gold, wrong, forged_grade = ours["gold"], ours["wrong"], ours["forged"]
    assert gold.detail["FAIL_TO_PASS"] == {"success": ["tests/test_ops.py::test_add"],
                                           "failure": []}
    assert gold.detail["signed_report"]["backed"] is True
    assert wrong.detail["FAIL_TO_PASS"]["failure"] == ["tests/test_clamp.py::test_clamp_high"]
    assert wrong.detail["PASS_TO_PASS"]["success"] == ["tests/test_ops.py::test_sub"]
    assert ours["empty"].detail["empty_patch"] is True
    # the harness's parser believed the printed lines; the signed report did not
    assert forged_grade.detail["harness_resolved"] is True
    assert "no signed report" in forged_grade.detail["fail_reason"]
    assert forged_grade.infra_reason is None
    logs = Path(gold.detail["swebench_logs"])
    assert logs.parent == tmp_path / "run" / "swebench" / "logs" / "run_evaluation"
    assert gold.detail["swebench_run_id"] == logs.name != wrong.detail["swebench_run_id"]
    records = logs / "cladist" / "demo__calc-1"
    report = json.loads((records / "report.json").read_text())["demo__calc-1"]
    assert report["resolved"] is True  # the harness's own report, as it writes it
    assert "Start Test Output" in (records / "test_output.txt").read_text()
    assert (records / "patch.diff").read_text() == swebench_demo.gold("demo__calc-1")
    assert "-p cladist_swebench_pytest" in (records / "eval.sh").read_text()


@pytest.mark.slow
def test_hostile_patches_fail_and_are_never_infrastructure_errors(
        graded: Callable[..., Grade], swebench_dataset: Demo) -> None:
    (task,) = SWEbenchSuite(str(swebench_dataset.dataset)).tasks(["demo__calc-1"])
    outcomes = {
        "forged after failing": graded(task, {"calc/ops.py": FORGE_AT_EXIT}),
        "deselected and forged": graded(task, {"calc/ops.py": FIXED,
                                               "tests/conftest.py": DESELECT}),
        "kills every process": graded(task, {"calc/ops.py": "import os\nos.kill(-1, 9)\n"}),
        "exhausts memory": graded(task, {"calc/ops.py": "hog = []\nwhile True:\n"
                                         "    hog.append(bytearray(32 << 20))\n"}, "256m"),
        "sleeps past the timeout": graded(replace(task, test_timeout_s=5),
                                          {"calc/ops.py": "import time\ntime.sleep(600)\n"}),
        "does not apply": graded(task, swebench_dataset.gold("demo__calc-1").replace(
            "return a - b", "return a * b", 1)),
    }
    wrong = {k: (g.verdict, g.infra_reason) for k, g in outcomes.items()
             if g.verdict != Verdict.FAIL or g.infra_reason is not None}
    assert not wrong, wrong
    reasons = {k: g.detail["fail_reason"] for k, g in outcomes.items()}
    assert outcomes["forged after failing"].detail["harness_resolved"] is True
    assert "did not pass in the signed report" in reasons["forged after failing"]
    deselected = outcomes["deselected and forged"].detail
    assert deselected["harness_resolved"] is True
    assert deselected["signed_report"]["unbacked"] == ["tests/test_ops.py::test_add"]
    assert "broke while the agent's code ran" in reasons["kills every process"]
    assert outcomes["exhausts memory"].detail["tests_oom"] is True
    assert outcomes["sleeps past the timeout"].detail["tests_timed_out"] is True
    assert "does not apply" in reasons["does not apply"]
    assert outcomes["does not apply"].detail["patch_applied"] is False


def test_unittest_runs_are_signed_too(graded: Callable[..., Grade],
                                      swebench_dataset: Demo) -> None:
    (task,) = SWEbenchSuite("rows", rows=[unittest_row(swebench_dataset)]).tasks()
    gold = graded(task, swebench_dataset.gold("demo__calc-1"))
    assert gold.verdict == Verdict.PASS, (gold.infra_reason, gold.detail, gold.test_output[-2000:])
    assert gold.detail["evidence"] == "signed unittest report"
    assert gold.detail["FAIL_TO_PASS"]["success"] == [UNITTEST_F2P]
    assert gold.detail["PASS_TO_PASS"]["success"] == [UNITTEST_P2P]  # a docstring's name
    assert gold.detail["signed_report"]["backed"] is True
    unfixed = graded(task, {"calc/ops.py": OPS.replace("def sub", "# sub\ndef sub")})
    assert unfixed.verdict == Verdict.FAIL and unfixed.detail["harness_resolved"] is False
    forged = graded(task, {"calc/ops.py": TO_THE_LOG + f"log.write('{UNITTEST_F2P} ... ok\\n"
                           f"{UNITTEST_P2P} ... ok\\n')\nlog.flush()\nos._exit(0)\n" + OPS})
    assert forged.detail["harness_resolved"] is True, forged.test_output[-2000:]
    assert forged.verdict == Verdict.FAIL and forged.infra_reason is None
    assert "no signed report" in forged.detail["fail_reason"]


def test_the_grading_sandbox_has_no_network_no_capabilities_and_a_read_only_reporter(
        graded: Callable[..., Grade]) -> None:
    inside = graded("demo__calc-1", {"calc/ops.py": INSIDE})
    assert inside.verdict == Verdict.PASS, inside.test_output[-2000:]
    lines = inside.test_output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(" face |")) + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith(" "))
    assert [line.split(":")[0].strip() for line in lines[start:end]] == ["lo"]
    assert "CapEff:\t0000000000000000" in inside.test_output
    assert "CapBnd:\t0000000000000000" in inside.test_output
    assert "harness: Read-only file system" in inside.test_output


def test_only_faults_outside_the_agents_control_are_infrastructure_errors(
        graded: Callable[..., Grade], swebench_dataset: Demo, base_image: str) -> None:
    rows = swebench_dataset.rows
    (task,) = SWEbenchSuite(str(swebench_dataset.dataset)).tasks(["demo__calc-1"])
    gold = swebench_dataset.gold("demo__calc-1")
    missing = graded(replace(task, image="cladist-test/no-such-image:latest"), gold)
    assert missing.verdict == Verdict.INFRA_ERROR
    assert "no-such-image" in str(missing.infra_reason)
    no_repo = graded(replace(task, image=base_image), gold)  # nothing of the agent's ran
    assert no_repo.verdict == Verdict.INFRA_ERROR
    assert "cannot run the harness's commands" in str(no_repo.infra_reason)
    # names do not resolve (grading has no network): the harness flags an environment
    # fault, and the same run without the patch shows it too
    offline_row = {**rows["demo__calc-1"], "eval_script": rows["demo__calc-1"][
        "eval_script"].replace("python3 -m pytest", "python3 -c 'import socket; "
                               "socket.getaddrinfo(\"pypi.org\", 443)' && python3 -m pytest")}
    (offline,) = SWEbenchSuite("rows", rows=[offline_row]).tasks()
    env = graded(offline, gold)
    assert env.verdict == Verdict.INFRA_ERROR, env.detail
    assert "network_unreachable" in str(env.infra_reason)
    assert "also without the patch" in str(env.infra_reason)
    # the same words printed by the agent's code are its own failure
    claims = graded(task, {"calc/ops.py": TO_THE_LOG + "log.write('Temporary failure in "
                           "name resolution\\n')\nlog.flush()\nos._exit(1)\n"})
    assert claims.verdict == Verdict.FAIL and claims.infra_reason is None
    assert claims.detail["harness_infra_reason"] == "network_unreachable"


def _responder(body: dict[str, Any]) -> Reply:
    """Solves demo__calc-1 (and edits its test file, which must be dropped), gives up on
    the other instance, and plays the fake model for diagnosis and self-edits."""
    messages = body.get("messages", [])
    first_user = str(messages[1].get("content", "")) if len(messages) > 1 else ""
    turns = sum(1 for m in messages if m.get("role") == "assistant")
    if PROBLEMS["demo__calc-1"] in first_user and turns == 0:  # one action per reply
        return Reply(content=None, tool_calls=(
            ("replace", {"path": "calc/ops.py", "old": FIX_ADD[0], "new": FIX_ADD[1]}),))
    if PROBLEMS["demo__calc-1"] in first_user and turns == 1:
        return Reply(content=None, tool_calls=(
            ("create", {"path": "tests/test_ops.py", "content": "# the agent's own test\n"}),))
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
        assert fixed.detail["protected_changes"] == ["tests/test_ops.py"]
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
