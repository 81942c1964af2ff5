"""The Polyglot loader on a small fixture in the benchmark's layout (one exercise per
language), and real exercises of Aider's benchmark (see :data:`BENCHMARK`; skipped with
the reason when absent) graded in Docker with the reference solution and the empty patch."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cladist.archive.records import Verdict
from cladist.config import load_config
from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import make_context
from cladist.evaluator.grader import grade, graded_tree
from cladist.evaluator.oracle import solution_patch
from cladist.evaluator.selection import select_tasks
from cladist.evaluator.suites.polyglot.suite import PolyglotSuite
from cladist.evaluator.treepatch import tree_patch
from cladist.sandbox.contract import Limits, SandboxSpec

FIXTURE = Path(__file__).with_name("polyglot_fixture")
RUNNABLE = ["cpp/leap", "go/leap", "java/leap", "javascript/leap", "python/leap",
            "rust/leap"]
_REPO = Path(__file__).resolve().parents[2]
BENCHMARK = Path(os.environ.get("CLADIST_POLYGLOT_PATH") or next(
    (folder / "shared/benchmarks/polyglot-benchmark" for folder in _REPO.parents
     if (folder / "shared/benchmarks/polyglot-benchmark").is_dir()),
    _REPO.parent / "shared/benchmarks/polyglot-benchmark"))
"""``$CLADIST_POLYGLOT_PATH``, else ``shared/benchmarks/polyglot-benchmark`` beside the
repository or beside one of its parent folders."""
SAMPLE = ["cpp/allergies", "go/bowling", "java/affine-cipher", "javascript/bowling",
          "python/bowling", "rust/acronym"]


def benchmark() -> Path:
    """The real benchmark's folder, or a skip saying where it was looked for."""
    if not (BENCHMARK / "python" / "exercises").is_dir():
        pytest.skip(f"Aider's polyglot benchmark is not at {BENCHMARK} (set "
                    "CLADIST_POLYGLOT_PATH to a clone)")
    return BENCHMARK


def test_loader_builds_tasks_from_the_layout(tmp_path: Path) -> None:
    suite = PolyglotSuite(FIXTURE, staging=tmp_path / "stage")
    tasks = suite.tasks()
    assert [t.id for t in tasks] == RUNNABLE
    assert suite.unsupported == {}
    py = suite.tasks(["python/leap"])[0]
    assert py.problem.startswith("# Instructions") and "Instructions append" in py.problem
    assert "leap.py" in py.problem
    assert py.workspace is not None and py.hidden_tests is not None and py.solution
    assert sorted(p.name for p in py.workspace.iterdir()) == ["leap.py"]  # no tests, no .meta
    assert (py.hidden_tests / "leap_test.py").is_file()
    assert "leap_year" in (py.solution / "leap.py").read_text()
    cpp = suite.tasks(["cpp/leap"])[0]
    assert cpp.solution is not None
    assert sorted(p.name for p in cpp.solution.iterdir()) == ["leap.cpp", "leap.h"]
    assert "CMakeLists.txt" in cpp.test_files and cpp.runner == "catch2"
    assert cpp.test_args == ("leap",)
    rust = suite.tasks(["rust/leap"])[0]
    assert rust.runner == "cargo" and "--include-ignored" in rust.test_args
    # the expected tests are read from the exercises' test files
    assert py.expected_tests == {"leap_test.py::LeapTest::test_years"}
    assert rust.expected_tests == {"common_years", "leap_years"}  # #[ignore] ones too
    go = suite.tasks(["go/leap"])[0]
    assert go.expected_tests == {"TestLeap"}
    # the file the tests read stays for the agent to read, protected like the tests
    assert go.workspace is not None
    assert sorted(p.name for p in go.workspace.iterdir()) == ["cases_test.go", "go.mod",
                                                               "leap.go"]
    assert {"leap_test.go", "cases_test.go", "go.mod"} <= set(go.test_files)
    assert cpp.expected_tests == {"year not divisible by 4 in common year",
                                  "year divisible by 4, not divisible by 100 in leap year"}


def test_javascript_and_java_run_every_test_and_protect_their_build_files(
        tmp_path: Path) -> None:
    suite = PolyglotSuite(FIXTURE, staging=tmp_path / "stage")
    js, java = suite.tasks(["javascript/leap", "java/leap"])
    assert (js.image, js.runner, js.test_args) == ("node", "jest", ("leap.spec.js",))
    assert js.expected_tests == {  # xtest ones too; nested in describe; not the comment
        "A leap year > year not divisible by 4 in common year",
        "A leap year > year divisible by 4, not divisible by 100 in leap year",
        "A leap year > year divisible by 100, not divisible by 400: it's common"}
    assert js.hidden_tests is not None
    hidden_spec = (js.hidden_tests / "leap.spec.js").read_text()
    assert "xtest(" not in hidden_spec and hidden_spec.count("  test(") == 3
    assert {"leap.spec.js", "package.json", "babel.config.js"} <= set(js.test_files)
    assert js.workspace is not None
    assert "leap.spec.js" not in {p.name for p in js.workspace.iterdir()}
    assert (java.image, java.runner) == ("java", "junit")
    assert java.expected_tests == {"LeapTest.testYearNotDivBy4InCommonYear",
                                   "LeapTest.testYearDivBy4NotDivBy100InLeapYear",
                                   "LeapTest.testYearDivBy100NotDivBy400InCommonYear"}
    assert java.hidden_tests is not None
    assert "@Disabled" not in (java.hidden_tests / "src/test/java/LeapTest.java").read_text()
    assert {"build.gradle", "src/test/*"} <= set(java.test_files)


def test_an_exercise_whose_build_needs_a_download_is_listed_with_the_reason(
        tmp_path: Path) -> None:
    copy = tmp_path / "bench"
    shutil.copytree(FIXTURE, copy)
    gradle = copy / "java/exercises/practice/leap/build.gradle"
    rxjava = '    implementation "io.reactivex.rxjava2:rxjava:2.2.12"'
    gradle.write_text(gradle.read_text().replace("dependencies {", f"dependencies {{\n{rxjava}"))
    cargo = copy / "rust/exercises/practice/leap/Cargo.toml"
    cargo.write_text(cargo.read_text() + '\n[dependencies]\nrand = "0.8"\n')
    suite = PolyglotSuite(copy, staging=tmp_path / "stage")
    assert [t.id for t in suite.tasks()] == [i for i in RUNNABLE
                                             if i not in ("java/leap", "rust/leap")]
    assert suite.unsupported == {
        "java/leap": "its build.gradle needs Maven Central (io.reactivex.rxjava2:rxjava)",
        "rust/leap": "its Cargo.toml needs crates.io (rand)"}
    with pytest.raises(NotFoundError, match=r"not graded \(its Cargo.toml needs"):
        suite.tasks(["rust/leap"])


def test_selection_errors_are_clear(tmp_path: Path) -> None:
    suite = PolyglotSuite(FIXTURE, staging=tmp_path / "stage")
    with pytest.raises(NotFoundError, match="unknown"):
        suite.tasks(["python/nope"])
    with pytest.raises(UsageError, match="no tiers"):
        suite.tasks(tier="easy")
    with pytest.raises(NotFoundError, match="no polyglot benchmark"):
        PolyglotSuite(tmp_path / "missing")
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURE, broken)
    (broken / "go/exercises/practice/leap/.meta/config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="config.json: unusable exercise config"):
        PolyglotSuite(broken, staging=tmp_path / "s2").tasks()
    config = load_config(["evaluator.suite=polyglot", f"evaluator.polyglot_path={FIXTURE}",
                          "evaluator.tasks=[go/leap]"])
    assert [t.id for t in select_tasks(config.evaluator)] == ["go/leap"]
    with pytest.raises(UsageError, match="polyglot_path"):
        select_tasks(load_config(["evaluator.suite=polyglot"]).evaluator)


def test_every_runnable_exercise_of_the_benchmark_knows_its_tests(tmp_path: Path) -> None:
    suite = PolyglotSuite(benchmark(), staging=tmp_path / "stage")
    tasks = suite.tasks()
    by_language = {lang: [t for t in tasks if t.language == lang]
                   for lang in ("cpp", "go", "java", "javascript", "python", "rust")}
    assert {lang: len(found) for lang, found in by_language.items()} == {
        "cpp": 26, "go": 38, "java": 45, "javascript": 49, "python": 34, "rust": 27}
    assert suite.unsupported == {  # their protected build files name a download
        "java/hangman": "its build.gradle needs Maven Central (io.reactivex.rxjava2:rxjava)",
        "java/rest-api": "its build.gradle needs Maven Central (org.json:json)",
        "rust/gigasecond": "its Cargo.toml needs crates.io (time)",
        "rust/grep": "its Cargo.toml needs crates.io (anyhow)",
        "rust/simple-cipher": "its Cargo.toml needs crates.io (rand)",
        # go/counter asks the agent to write the test suite: its test file has no test
        "go/counter": "its test files hold no test (the exercise asks for tests to be written)"}
    needs = {t.id: t.metadata["reference_needs"] for t in tasks
             if "reference_needs" in t.metadata}
    assert needs == {"rust/alphametics": "crates.io (itertools, permutohedron)",
                     "rust/decimal": "crates.io (num-bigint, num-traits)",
                     "rust/pig-latin": "crates.io (regex)", "rust/poker": "crates.io (counter)",
                     "rust/robot-name": "crates.io (rand)"}
    pids = {t.id: t.pids for t in tasks if t.pids}
    assert pids == {"cpp/bank-account": 1200}  # its test runs 1000 threads at once
    assert [t.id for t in tasks if not t.expected_tests] == []
    java = {t.id: t for t in tasks if t.language == "java"}
    bowling = java["java/bowling"]
    assert bowling.solution is not None  # the reference's helper class keeps its own name
    assert sorted(p.name for p in (bowling.solution / "src/main/java").iterdir()) == [
        "BowlingGame.java", "Frame.java"]
    xorcism = next(t for t in tasks if t.id == "rust/xorcism")
    assert "key_shorter_than_data::slice_slice::munges" in (xorcism.expected_tests or ())


def go_leap_with_no_cases(tmp_path: Path) -> tuple[Task, Path]:
    """The fixture's go/leap task, and a copy of its workspace whose cases (read by the
    hidden test, protected) were emptied: the stub would pass if that edit stayed."""
    task = PolyglotSuite(FIXTURE, staging=tmp_path / "stage").tasks(["go/leap"])[0]
    assert task.workspace is not None
    cheat = tmp_path / "cheat"
    shutil.copytree(task.workspace, cheat)
    (cheat / "cases_test.go").write_text("package leap\n\nvar testCases = []struct {\n"
                                         "\tyear int\n\twant bool\n}{}\n")
    return task, cheat


def test_an_edit_to_a_file_the_tests_read_is_undone(tmp_path: Path) -> None:
    task, cheat = go_leap_with_no_cases(tmp_path)
    assert task.workspace is not None
    (cheat / "go.mod").write_text("module leap\n\ngo 1.99\n")
    restored, _ = graded_tree(task, tree_patch(task.workspace, cheat), tmp_path / "graded")
    assert {"cases_test.go", "go.mod"} <= set(restored)
    for name in ("cases_test.go", "go.mod"):
        assert (tmp_path / "graded" / name).read_bytes() == (task.workspace / name).read_bytes()


@pytest.mark.docker
@pytest.mark.slow
def test_the_fixture_grades_in_docker_and_a_protected_edit_cannot_pass(
        tmp_path: Path, docker_client, base_image) -> None:  # noqa: ANN001
    context = make_context(load_config(["sandbox.backend=docker"]), gateway=None)
    task, cheat = go_leap_with_no_cases(tmp_path)
    assert task.workspace is not None
    spec = SandboxSpec(image=context.image_for(task.image), limits=Limits(memory="1g"),
                       role="grader", run_id="test-polyglot")
    verdicts = [grade(task, patch, context.open_sandbox, spec).verdict for patch in
                (solution_patch(task), "", tree_patch(task.workspace, cheat))]
    assert verdicts == [Verdict.PASS, Verdict.FAIL, Verdict.FAIL]


@pytest.mark.docker
@pytest.mark.slow
def test_oracle_passes_and_empty_fails_in_docker(tmp_path: Path, docker_client,  # noqa: ANN001
                                                 base_image) -> None:  # noqa: ANN001
    context = make_context(load_config(["sandbox.backend=docker"]), gateway=None)
    tasks = PolyglotSuite(benchmark(), staging=tmp_path / "stage").tasks(SAMPLE)

    def check(task):  # noqa: ANN001, ANN202
        spec = SandboxSpec(image=context.image_for(task.image), limits=Limits(memory="1g"),
                           role="grader", run_id="test-polyglot")
        return (task.id, grade(task, solution_patch(task), context.open_sandbox, spec),
                grade(task, "", context.open_sandbox, spec))

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(check, tasks))
    wrong = [(i, str(o.verdict), str(e.verdict), o.infra_reason or o.test_output[-300:])
             for i, o, e in outcomes if o.verdict != Verdict.PASS or e.verdict != Verdict.FAIL]
    assert not wrong, wrong
    for _, oracle, _ in outcomes:  # every expected test ran and passed
        assert oracle.detail["passed_tests"] == oracle.detail["expected_tests"] > 0
    assert len(outcomes) == len(SAMPLE)


DISARMED_EXPECT = """\
// Passes without solving: every matcher of jest's expect does nothing.
const nothing = new Proxy({}, { get: () => () => undefined });
globalThis.expect = () => nothing;
export const isLeap = () => true;
"""


def fixture_copy(tmp_path: Path, task_id: str) -> Path:
    """The fixture; for its C++ exercise with the Catch2 header it includes
    (``test/catch.hpp``, 640 kB, the same in every C++ exercise of the benchmark, which is
    where it is taken from)."""
    copy = tmp_path / "fixture"
    shutil.copytree(FIXTURE, copy)
    if task_id.startswith("cpp/"):
        shutil.copy(benchmark() / "cpp/exercises/practice/allergies/test/catch.hpp",
                    copy / task_id.replace("/", "/exercises/practice/") / "test")
    return copy


def grade_both(task: Task, context) -> tuple:  # noqa: ANN001
    """The grades of the reference solution and of the empty patch."""
    spec = SandboxSpec(image=context.image_for(task.image), limits=Limits(memory="1g"),
                       role="grader", run_id="test-polyglot")
    return (grade(task, solution_patch(task), context.open_sandbox, spec),
            grade(task, "", context.open_sandbox, spec))


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("task_id", RUNNABLE)
def test_every_language_of_the_fixture_grades_in_docker(
        task_id: str, tmp_path: Path, docker_client, base_image) -> None:  # noqa: ANN001
    """The reference passes with every expected test run (the switched-off ones too); the
    empty patch fails."""
    context = make_context(load_config(["sandbox.backend=docker"]), gateway=None)
    suite = PolyglotSuite(fixture_copy(tmp_path, task_id), staging=tmp_path / "stage")
    task = suite.tasks([task_id])[0]
    oracle, empty = grade_both(task, context)
    assert oracle.verdict == Verdict.PASS, oracle.test_output[-800:]
    assert oracle.detail["passed_tests"] == oracle.detail["expected_tests"] == \
        len(task.expected_tests or ()) > 0
    assert empty.verdict == Verdict.FAIL


@pytest.mark.docker
@pytest.mark.slow
def test_javascript_code_that_disarms_jest_or_brings_its_own_cannot_pass(
        tmp_path: Path, docker_client, base_image) -> None:  # noqa: ANN001
    """A solution that makes jest's assertions do nothing fails (the canary fails through
    ``expect``); a jest of the agent's in node_modules is never run (the tools come from
    the image, and the workspace's node_modules is removed)."""
    context = make_context(load_config(["sandbox.backend=docker"]), gateway=None)
    js = PolyglotSuite(FIXTURE, staging=tmp_path / "stage").tasks(["javascript/leap"])[0]
    assert js.workspace is not None
    disarmed = tmp_path / "disarmed"
    shutil.copytree(js.workspace, disarmed)
    (disarmed / "leap.js").write_text(DISARMED_EXPECT)
    planted = tmp_path / "planted"
    shutil.copytree(js.workspace, planted)
    fake_jest = planted / "node_modules" / "jest" / "bin"
    fake_jest.mkdir(parents=True)
    (fake_jest / "jest.js").write_text("process.exit(0);\n")
    spec = SandboxSpec(image=context.image_for("node"), limits=Limits(memory="1g"),
                       role="grader", run_id="test-polyglot")
    cheat = grade(js, tree_patch(js.workspace, disarmed), context.open_sandbox, spec)
    assert cheat.verdict == Verdict.FAIL
    assert "canary" in cheat.detail["fail_reason"]
    plant = grade(js, tree_patch(js.workspace, planted), context.open_sandbox, spec)
    assert plant.verdict == Verdict.FAIL
    assert "expected tests did not pass" in plant.detail["fail_reason"]


def test_javascript_and_java_with_bubblewrap_are_refused_in_one_line(tmp_path: Path) -> None:
    """Their test tools live only in the node and java images: `cladist eval` with the
    bubblewrap backend says so before anything runs (no run folder is left)."""
    import subprocess
    import sys

    for task_id, what in (("javascript/leap", "JavaScript is graded with the jest and Babel "
                                              "of the node image"),
                          ("java/leap", "Java is graded with the JUnit of the java image")):
        done = subprocess.run(
            [sys.executable, "-m", "cladist", "eval", "--agent", "seed", "--suite", "polyglot",
             "--polyglot-path", str(FIXTURE), "--tasks", task_id,
             "-c", "sandbox.backend=bubblewrap", "--runs-dir", str(tmp_path / "runs")],
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"cladist: error: Polyglot {what}: it needs sandbox.backend=docker (1 task, e.g. "
            f"{task_id})"]
        assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
