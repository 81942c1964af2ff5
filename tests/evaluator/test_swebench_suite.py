"""The SWE-bench adapter without Docker: loading our 5.x-format dataset, subsets (ids,
count, DGM stages), test patch paths read by git, fresh grading ids, the eval script's
instrumentation, the signed report backing (or not) what the harness's own parser read,
predictions export and the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from swebench_demo import Demo, unittest_row

from cladist.archive.records import Verdict
from cladist.archive.run import Run
from cladist.config import load_config
from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.contracts import TaskResult
from cladist.evaluator.patches import is_test_path
from cladist.evaluator.selection import select_tasks
from cladist.evaluator.suites import load_suite
from cladist.evaluator.suites.swebench.adapter import InstanceHarness, load_rows
from cladist.evaluator.suites.swebench.evidence import check, summary_lines
from cladist.evaluator.suites.swebench.grading import harness_run_dir, new_run_id
from cladist.evaluator.suites.swebench.sandbox import RUNNER_SETUP, SIGNED_SETUP, instrument
from cladist.evaluator.suites.swebench.suite import (
    SWEbenchSuite,
    default_image,
    patch_paths,
    staged_order,
    staged_subsets,
    unquote,
)
from cladist.sandbox.external import disk_problem

IDS = [f"repo__proj-{i}" for i in range(130)]


def _config(demo: Demo, *extra: str):  # noqa: ANN202
    return load_config(["evaluator.suite=swebench", f"evaluator.dataset={demo.dataset}",
                        *extra])


def test_dataset_file_becomes_tasks_in_the_instance_images(swebench_dataset: Demo) -> None:
    tasks = load_suite(_config(swebench_dataset).evaluator).tasks(["demo__calc-2"])
    (task,) = tasks
    assert task.suite == "swebench" and task.runner == "swebench"
    assert task.workdir == "/testbed" and task.workspace is None and task.hidden_tests is None
    assert task.image == "cladist-test/sweb.eval.x86_64.demo_1776_calc-2:latest"
    assert task.sandbox_user == "root" and task.test_files == ("tests/test_clamp.py",)
    assert task.metadata["test_paths"] == ["tests/test_clamp.py"]
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


def _git(repo: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout


def test_patch_paths_are_read_by_git_even_when_quoted(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "old name.py").write_text("x = 1\ny = 2\nz = 3\n")
    (repo / "tests" / "test_[x].py").write_text("a = 1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    (repo / 'tests/test a"b.py').write_text("def test_q():\n    pass\n")  # space and quote
    (repo / "café.py").write_text("é = 1\n")  # non-ASCII: git writes octal escapes
    (repo / "pkg").mkdir()
    (repo / "pkg" / "__init__.py").write_text("")  # empty: no ---/+++ lines at all
    (repo / "data.bin").write_bytes(b"\0\1\2")
    (repo / "tests" / "test_[x].py").write_text("a = 2\n")
    _git(repo, "mv", "old name.py", "new name.py")
    _git(repo, "add", "-A")
    diff = _git(repo, "diff", "--cached", "-M", "--binary")
    assert '"b/tests/test a\\"b.py"' in diff and "\\303\\251" in diff  # quoted by git
    assert sorted(patch_paths(diff)) == sorted([
        "café.py", "data.bin", "new name.py", "old name.py", "pkg/__init__.py",
        'tests/test a"b.py', "tests/test_[x].py"])
    paths = patch_paths(diff)
    assert paths.index("old name.py") == paths.index("new name.py") - 1  # old, then new
    assert patch_paths("") == []
    with pytest.raises(ValueError, match="git cannot read the patch"):
        patch_paths("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\nbroken")
    assert unquote('"tab\\there \\"q\\" \\303\\251"') == 'tab\there "q" é'
    assert unquote("plain name.py") == "plain name.py"
    task = SWEbenchSuite("rows", rows=[_row("a__b-1", test_patch=diff)]).tasks()[0]
    assert "tests/test_[[]x].py" in task.test_files  # a literal path, not a glob
    assert is_test_path("tests/test_[x].py", task.test_files)
    assert not is_test_path("tests/test_x.py", task.test_files)
    with pytest.raises(ConfigError, match="a__b-2: test_patch: git cannot read"):
        SWEbenchSuite("rows", rows=[_row("a__b-2", test_patch="diff --git a/x b/x\n"
                                         "--- a/x\n+++ b/x\n@@ -1 +1 @@\nbroken")]).tasks()


def test_the_eval_script_reads_the_key_first_and_sets_the_reporter_up_before_the_tests(
        swebench_dataset: Demo) -> None:
    harness = InstanceHarness(swebench_dataset.rows["demo__calc-1"])
    assert harness.runner == "pytest"
    assert InstanceHarness(unittest_row(swebench_dataset)).runner == "unittest"
    start = harness.marker("START_TEST_OUTPUT")
    original = harness.eval_script.split("\n")
    signed = instrument(harness.eval_script, start, "pytest").split("\n")
    assert signed[:4] == ["#!/bin/bash", "exec 2>&1", "IFS= read -r CLADIST_KEY || true",
                          "exec 0</dev/null"]  # nothing runs before the key is read
    at = next(i for i, line in enumerate(signed) if start in line)
    setup = [SIGNED_SETUP[0], *RUNNER_SETUP["pytest"], *SIGNED_SETUP[1:], "set -x"]
    assert signed[at - len(setup):at] == setup
    assert setup[0] == "{ set +x; } 2>/dev/null"  # the key is not traced into the log
    assert "PYTEST_ADDOPTS=\"-p cladist_swebench_pytest" in "\n".join(setup)
    assert signed[4:at - len(setup)] == original[1:original.index(
        next(line for line in original if start in line))]
    assert "rm -f /tmp/cladist-swebench/key" in signed[-2]
    unit = instrument(harness.eval_script, start, "unittest")
    assert "import cladist_swebench_unittest" in unit and "PYTEST_ADDOPTS" not in unit
    plain = instrument(harness.eval_script, start, None).split("\n")
    assert plain[:3] == ["#!/bin/bash", "exec 2>&1", "exec 0</dev/null"]
    assert not any("CLADIST_KEY" in line or "PYTEST_ADDOPTS" in line for line in plain)
    assert "key" not in " ".join(instrument("#!/bin/bash\ntrue", start, "pytest")
                                 .split("\n")[4:])


def _signed(statuses: dict[str, str], key: str, complete: bool = True) -> bytes:
    """A report in the format of cladist's signed pytest reporter."""
    import hashlib
    import hmac

    body = json.dumps({"outcomes": {}, "statuses": statuses, "collect_errors": [],
                       "exitstatus": 0, "complete": complete}, sort_keys=True)
    mac = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
    return json.dumps({"body": body, "mac": mac}).encode()


def test_a_resolved_log_is_kept_only_when_the_signed_report_backs_it() -> None:
    pytest.importorskip("swebench")
    harness = InstanceHarness(_row(
        "a__b-1", image="x", FAIL_TO_PASS='["t.py::f2p"]',
        PASS_TO_PASS='["t.py::p2p", "t.py::param[a", "[100%]"]'))
    key, files = "k" * 64, {"t.py"}
    honest = {"t.py::f2p": "PASSED", "t.py::p2p": "SKIPPED", "t.py::param[a b]": "PASSED"}
    backed = check(harness, _signed(honest, key), key, files)
    assert backed.problem is None and backed.not_tests == ("[100%]",)  # as the harness does
    failed = check(harness, _signed({**honest, "t.py::f2p": "FAILED"}, key), key, files)
    assert failed.contradicted == ("t.py::f2p",) and "FAILED" in str(failed.problem)
    skipped = check(harness, _signed({**honest, "t.py::f2p": "SKIPPED"}, key), key, files)
    assert skipped.contradicted == ("t.py::f2p",)  # a skipped FAIL_TO_PASS is no fix
    absent = {k: v for k, v in honest.items() if k != "t.py::f2p"}
    unbacked = check(harness, _signed(absent, key), key, files)
    assert unbacked.unbacked == ("t.py::f2p",) and "not in the signed report" in \
        str(unbacked.problem)
    # a name outside every file of the repository is no test of this run (the harness
    # picked it up from captured output): accepted, and listed
    assert check(harness, _signed(absent, key), key, set()).not_tests == ("t.py::f2p",
                                                                           "[100%]")
    forged = check(harness, _signed(honest, "x" * 64), key, files)
    assert forged.forged and "signature" in str(forged.problem)
    assert "incomplete" in str(check(harness, _signed(honest, key, False), key, files).problem)
    assert check(harness, b"PASSED t.py::f2p", key, files).problem
    assert check(harness, None, key, files).missing
    assert summary_lines({"t.py::x": "XFAIL"}) == "XFAIL t.py::x\n"


def test_unittest_names_are_backed_by_their_descriptions() -> None:
    pytest.importorskip("swebench")
    harness = InstanceHarness(_row(
        "a__b-1", image="x", log_parser="parse_log_django",
        FAIL_TO_PASS='["test_f (app.tests.T)"]',
        PASS_TO_PASS='["A docstring line.", "--version is equivalent to version"]'))
    key = "k" * 64
    honest = {"test_f (app.tests.T)": "PASSED", "test_g (app.tests.T)\nA docstring line.":
              "PASSED"}
    assert summary_lines(honest, "unittest").splitlines()[-1] == "A docstring line. ... ok"
    backed = check(harness, _signed(honest, key), key, ())
    assert backed.problem is None
    assert backed.not_tests == ("--version is equivalent to version",)
    failed = check(harness, _signed({**honest, "test_f (app.tests.T)": "FAILED"}, key), key, ())
    assert failed.contradicted == ("test_f (app.tests.T)",)
    # a test the log shows but that never ran is unbacked, whatever its name looks like
    gone = check(harness, _signed({"test_f (app.tests.T)": "PASSED"}, key), key, ())
    assert gone.unbacked == ("A docstring line.",)

def test_disk_space_check_is_one_line() -> None:
    assert disk_problem(100 << 30, 3, "/var/lib/docker") is None
    problem = disk_problem(2 << 30, 3, "/var/lib/docker")
    assert problem and "\n" not in problem and "2.0 GiB free" in problem


def test_predictions_export_takes_first_scored_attempts(swebench_dataset: Demo,
                                                        tmp_path: Path) -> None:
    from cladist.evaluator.record import record_results
    from cladist.evaluator.suites.swebench.predictions import write_predictions

    cfg = _config(swebench_dataset, f"run.runs_dir={tmp_path / 'runs'}")
    with Run.create(cfg) as run:
        gold = swebench_dataset.gold("demo__calc-1")
        record_results(run, 0, [
            TaskResult("demo__calc-1", Verdict.INFRA_ERROR, infra_reason="engine"),
            TaskResult("demo__calc-1", Verdict.PASS, patch=gold),
            TaskResult("demo__calc-2", Verdict.FAIL, patch="first"),
            TaskResult("demo__calc-2", Verdict.PASS, attempt=2, patch="saw the tests")])
        out = write_predictions(run, 0, tmp_path / "preds.jsonl")
        preds = [json.loads(line) for line in out.read_text().splitlines()]
        assert [(p["instance_id"], p["model_patch"]) for p in preds] == [
            ("demo__calc-1", gold), ("demo__calc-2", "first")]
        assert preds[0]["model_name_or_path"] == f"cladist-{run.id}-node0"
        as_list = write_predictions(run, 0, tmp_path / "preds.json")
        assert json.loads(as_list.read_text()) == preds
    bundled = load_config([f"run.runs_dir={tmp_path / 'runs2'}"])
    with Run.create(bundled) as run, pytest.raises(UsageError, match="not swebench"):
        write_predictions(run, 0, tmp_path / "none.jsonl")


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


def test_an_engine_that_does_not_answer_is_infra_error_with_records_in_place(
        swebench_dataset: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cladist.evaluator.grader import grade
    from cladist.sandbox.contract import SandboxSpec
    from cladist.sandbox.factory import open_sandbox

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    (task,) = SWEbenchSuite(str(swebench_dataset.dataset)).tasks(["demo__calc-1"])
    spec = SandboxSpec(run_id="r", node_id="0", role="grader")
    graded = grade(task, swebench_dataset.gold("demo__calc-1"),
                   lambda s: open_sandbox(s, "docker"), spec, tmp_path / "run")
    assert graded.verdict == Verdict.INFRA_ERROR
    assert graded.infra_reason and "no Docker engine answers" in graded.infra_reason
    folder = Path(graded.detail["swebench_logs"])
    assert folder.parent == (tmp_path / "run" / "swebench" / "logs" / "run_evaluation")
    assert folder.name.startswith("r-n0-") and folder.name == graded.detail["swebench_run_id"]
    request = json.loads((folder / "cladist-request.json").read_text())
    assert request["prediction"]["model_patch"] == swebench_dataset.gold("demo__calc-1")
    outcome = json.loads((folder / "cladist-outcome.json").read_text())
    assert outcome["verdict"] == "infra_error"
    empty = grade(task, "  \n", lambda s: open_sandbox(s, "docker"), spec, tmp_path)
    assert empty.verdict == Verdict.FAIL and empty.detail["empty_patch"] is True
