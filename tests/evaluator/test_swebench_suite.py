"""The SWE-bench adapter without Docker: loading our 5.x-format dataset, subsets (ids,
count, DGM stages), fresh harness run ids, the mapping of harness outcomes (through the
harness's own report code) to verdicts, predictions export and the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from swebench_demo import Demo

from cladist.archive.records import Verdict
from cladist.archive.run import Run
from cladist.config import load_config
from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.contracts import TaskResult
from cladist.evaluator.selection import load_suite, select_tasks
from cladist.evaluator.suites.swebench import load_rows
from cladist.evaluator.suites.swebench_grading import (
    harness_run_dir,
    interpret,
    new_run_id,
    prediction,
)
from cladist.evaluator.suites.swebench_suite import (
    SWEbenchSuite,
    default_image,
    disk_problem,
    staged_order,
    staged_subsets,
)

IDS = [f"repo__proj-{i}" for i in range(130)]


def _config(demo: Demo, *extra: str):  # noqa: ANN202
    return load_config(["evaluator.suite=swebench", f"evaluator.dataset={demo.dataset}",
                        *extra])


def test_dataset_file_becomes_tasks_in_the_instance_images(swebench_dataset: Demo) -> None:
    tasks = load_suite(_config(swebench_dataset).evaluator).tasks(["demo__calc-2"])
    (task,) = tasks
    assert task.suite == "swebench" and task.grader == "swebench"
    assert task.workdir == "/testbed" and task.workspace is None and task.hidden_tests is None
    assert task.image == "cladist-test/sweb.eval.x86_64.demo_1776_calc-2:latest"
    assert task.sandbox_user == "root" and task.test_files == ("tests/test_clamp.py",)
    assert "clamp ignores its upper bound" in task.problem
    assert "test_clamp_high" not in task.problem  # the hidden test stays hidden
    assert default_image("django__django-11099") == \
        "swebench/sweb.eval.x86_64.django_1776_django-11099:latest"


def test_id_subsets_keep_the_given_order_and_reject_unknown_ids(
        swebench_dataset: Demo) -> None:
    cfg = _config(swebench_dataset, "evaluator.tasks=[demo__calc-2, demo__calc-1]")
    assert [t.id for t in select_tasks(cfg.evaluator)] == ["demo__calc-2", "demo__calc-1"]
    with pytest.raises(NotFoundError, match="demo__nope"):
        select_tasks(_config(swebench_dataset, "evaluator.tasks=[demo__nope]").evaluator)
    with pytest.raises(UsageError, match="no tiers"):
        select_tasks(_config(swebench_dataset, "evaluator.tier=easy").evaluator)


def test_count_takes_the_first_tasks_of_the_staged_order(swebench_dataset: Demo) -> None:
    everything = [t.id for t in select_tasks(_config(swebench_dataset).evaluator)]
    assert sorted(everything) == ["demo__calc-1", "demo__calc-2"]
    assert everything == staged_order(everything, 0)
    first = select_tasks(_config(swebench_dataset, "evaluator.count=1").evaluator)
    assert [t.id for t in first] == everything[:1]


def test_staged_subsets_are_10_50_rest_fixed_by_the_seed() -> None:
    small, medium, rest = staged_subsets(IDS, seed=7)
    assert (len(small), len(medium), len(rest)) == (10, 50, 70)
    assert sorted(small + medium + rest) == sorted(IDS)  # disjoint and complete
    assert staged_subsets(list(reversed(IDS)), seed=7) == [small, medium, rest]
    assert staged_subsets(IDS, seed=8)[0] != small
    # stable when the dataset grows: the old ids keep their relative order
    grown = staged_order([*IDS, "new__one-1", "new__two-2"], seed=7)
    assert [i for i in grown if i in set(IDS)] == small + medium + rest
    suite = SWEbenchSuite("rows", rows=[_row(i) for i in IDS], seed=7)
    assert suite.stages() == [small, medium, rest]
    assert [t.id for t in suite.tasks()] == small + medium + rest


def _row(instance_id: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "instance_id": instance_id, "repo": "o/r", "base_commit": "0" * 40, "version": "1",
        "problem_statement": "p", "FAIL_TO_PASS": "[]", "PASS_TO_PASS": "[]",
        "eval_script": "true", "log_parser": "parse_log_pytest", "eval_type": "pass_and_fail",
        "patch": "", "test_patch": ""}
    row.update(changes)
    return row


def test_rows_without_the_5x_columns_are_a_one_line_config_error(tmp_path: Path) -> None:
    old = {k: v for k, v in _row("a__b-1").items() if k != "eval_script"}
    file = tmp_path / "old.jsonl"
    file.write_text(json.dumps(old) + "\n")
    with pytest.raises(ConfigError, match="a__b-1: missing eval_script .*5.x"):
        SWEbenchSuite(str(file)).tasks()
    (tmp_path / "bad.json").write_text('{"not": "a list"}')
    with pytest.raises(ConfigError, match="not a SWE-bench dataset"):
        load_rows(str(tmp_path / "bad.json"))
    with pytest.raises(NotFoundError, match="no such SWE-bench dataset file"):
        load_rows(str(tmp_path / "missing.parquet"))
    with pytest.raises(UsageError, match="needs evaluator.dataset"):
        load_suite(load_config(["evaluator.suite=swebench"]).evaluator)


def test_a_dataset_name_offline_says_to_pass_a_local_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("swebench")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: offline
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "HF_HUB_OFFLINE",
                "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(NotFoundError) as caught:
        load_rows("SWE-bench/SWE-bench_Lite")
    message = str(caught.value)
    assert "\n" not in message and "not reachable" in message and "local" in message


def test_every_grading_gets_a_fresh_run_id_with_its_logs_under_the_log_root(
        tmp_path: Path) -> None:
    ids = {new_run_id(tmp_path, "20261122-run/n3 x") for _ in range(50)}
    assert len(ids) == 50
    assert all(i.startswith("20261122-run-n3-x-") for i in ids)
    assert harness_run_dir(tmp_path, "r1") == tmp_path / "logs" / "run_evaluation" / "r1"


def test_a_reused_run_id_would_silently_reuse_the_old_report(tmp_path: Path,
                                                             monkeypatch) -> None:  # noqa: ANN001
    """Why run ids are fresh: the real harness returns a stale report.json untouched."""
    pytest.importorskip("swebench")
    from swebench.harness.run_evaluation import run_instance
    from swebench.harness.utils import make_test_spec

    monkeypatch.chdir(tmp_path)  # the harness writes relative to the working directory
    stale = {"a__b-1": {"resolved": True, "stale": True}}
    folder = harness_run_dir(Path("."), "r1") / "cladist" / "a__b-1"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(stale))
    spec = make_test_spec(_row("a__b-1", image="none:latest"))
    pred = prediction("a__b-1", "a new, different patch")
    assert run_instance(spec, pred, None, "r1") == ("a__b-1", stale)  # no container ran
    assert new_run_id(Path("."), "r1") != "r1"


def _harness_report(log: str, tmp_path: Path) -> dict:
    """The harness's own report of a test log (as run_instance computes it)."""
    from swebench.harness.grading import get_eval_report
    from swebench.harness.utils import make_test_spec

    path = tmp_path / "test_output.txt"
    path.write_text(log)
    spec = make_test_spec(_row("a__b-1", image="x", FAIL_TO_PASS='["t.py::f2p"]',
                               PASS_TO_PASS='["t.py::p2p"]'))
    return get_eval_report(spec, prediction("a__b-1", "diff"), str(path), True)["a__b-1"]


def test_harness_outcomes_map_to_pass_fail_and_infra_error(tmp_path: Path) -> None:
    pytest.importorskip("swebench")
    start, end = ">>>>> Start Test Output", ">>>>> End Test Output"
    resolved = _harness_report(f"{start}\nPASSED t.py::f2p\nPASSED t.py::p2p\n{end}", tmp_path)
    verdict, reason, detail = interpret({"report": resolved})
    assert verdict == Verdict.PASS and reason is None
    assert detail["FAIL_TO_PASS"] == {"success": ["t.py::f2p"], "failure": []}
    broke = _harness_report(f"{start}\nPASSED t.py::f2p\nFAILED t.py::p2p\n{end}", tmp_path)
    verdict, _, detail = interpret({"report": broke})
    assert verdict == Verdict.FAIL and detail["PASS_TO_PASS"]["failure"] == ["t.py::p2p"]
    engine = _harness_report("Error response from daemon: container died", tmp_path)
    verdict, reason, _ = interpret({"report": engine})
    assert verdict == Verdict.INFRA_ERROR and "container_unavailable" in str(reason)
    ambiguous = _harness_report("ModuleNotFoundError: No module named 'x'", tmp_path)
    verdict, _, detail = interpret({"report": ambiguous})  # could be the patch: a failure
    assert verdict == Verdict.FAIL and detail["harness_infra_reason"] == "missing_module"
    assert interpret({"report": None, "timed_out": True})[0] == Verdict.FAIL
    for outcome in ({"report": None, "apply_failed": True},
                    {"report": None, "error": "DockerException: engine gone"},
                    {"report": None, "image_missing": True, "log_tail": "x"}):
        verdict, reason, _ = interpret(outcome)
        assert verdict == Verdict.INFRA_ERROR and reason and "\n" not in reason


def test_disk_space_check_is_one_line() -> None:
    assert disk_problem(100 << 30, 3, "/var/lib/docker") is None
    problem = disk_problem(2 << 30, 3, "/var/lib/docker")
    assert problem and "\n" not in problem and "2.0 GiB free" in problem


def test_predictions_export_takes_first_scored_attempts(swebench_dataset: Demo,
                                                        tmp_path: Path) -> None:
    from cladist.archive.export import export_node
    from cladist.evaluator.record import record_results

    cfg = _config(swebench_dataset, f"run.runs_dir={tmp_path / 'runs'}")
    with Run.create(cfg) as run:
        gold = swebench_dataset.gold("demo__calc-1")
        record_results(run, 0, [
            TaskResult("demo__calc-1", Verdict.INFRA_ERROR, infra_reason="engine"),
            TaskResult("demo__calc-1", Verdict.PASS, patch=gold),
            TaskResult("demo__calc-2", Verdict.FAIL, patch="first"),
            TaskResult("demo__calc-2", Verdict.PASS, attempt=2, patch="saw the tests")])
        out = export_node(run, 0, tmp_path / "preds.jsonl", "swebench-predictions")
        preds = [json.loads(line) for line in out.read_text().splitlines()]
        assert [(p["instance_id"], p["model_patch"]) for p in preds] == [
            ("demo__calc-1", gold), ("demo__calc-2", "first")]
        assert preds[0]["model_name_or_path"] == f"cladist-{run.id}-node0"
        as_list = export_node(run, 0, tmp_path / "preds.json", "swebench-predictions")
        assert json.loads(as_list.read_text()) == preds
    bundled = load_config([f"run.runs_dir={tmp_path / 'runs2'}"])
    with Run.create(bundled) as run, pytest.raises(UsageError, match="not swebench"):
        export_node(run, 0, tmp_path / "none.jsonl", "swebench-predictions")


def test_no_engine_is_a_one_line_error(swebench_dataset: Demo, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cladist", "eval", "--agent", "seed", "--suite", "swebench",
         "--dataset", str(swebench_dataset.dataset), "-c", "llm.provider=openai",
         "-c", "llm.api_key_env=FAKE_KEY"], cwd=tmp_path, capture_output=True, text=True,
        timeout=120, env={**os.environ, "FAKE_KEY": "sk-x",
                          "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert "no Docker engine answers" in line


def test_a_harness_that_cannot_reach_docker_gives_infra_error_with_logs_in_place(
        swebench_dataset: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cladist.evaluator.suites.swebench_grading import grade_swebench

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    (task,) = SWEbenchSuite(str(swebench_dataset.dataset)).tasks(["demo__calc-1"])
    graded = grade_swebench(task, swebench_dataset.gold("demo__calc-1"),
                            tmp_path / "run" / "swebench", "r-n0")
    assert graded.verdict == Verdict.INFRA_ERROR
    assert graded.infra_reason and graded.infra_reason.startswith("SWE-bench harness error")
    folder = Path(graded.detail["swebench_logs"])
    assert folder.parent == (tmp_path / "run" / "swebench" / "logs" / "run_evaluation")
    assert folder.name.startswith("r-n0-") and folder.name == graded.detail["swebench_run_id"]
    request = json.loads((folder / "cladist-request.json").read_text())
    assert request["prediction"]["model_patch"] == swebench_dataset.gold("demo__calc-1")
    assert json.loads((folder / "cladist-outcome.json").read_text())["error"]
