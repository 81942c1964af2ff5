"""The bundled suite: its loader, and that every task's grader is right on the host.

The grader check grades each task's empty patch (it must fail) and its reference solution
(it must pass, with exactly the recorded expected tests) in the bubblewrap sandbox, which
runs the host toolchains; a language whose toolchain is missing on the host is skipped
with the reason. The same check inside the real task images (every language) lives with
the evaluator's Docker tests.
"""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import pytest

from cladist.archive.records import Verdict
from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.contracts import Suite, Task
from cladist.evaluator.expected import passed_ids
from cladist.evaluator.grader import grade_with_report
from cladist.evaluator.oracle import solution_patch
from cladist.evaluator.patches import HARNESS_FILES, harness_patterns, is_test_path
from cladist.evaluator.suites.bundled import (
    BUNDLED_ROOT,
    EXPECTED_FILE,
    REQUIRED_PARTS,
    BundledSuite,
)
from cladist.sandbox.contract import SandboxSpec
from cladist.sandbox.factory import open_sandbox

SUITE = BundledSuite()
ALL = SUITE.tasks()
# The probe each language's runner needs on the host (bubblewrap runs /usr's toolchains).
TOOLCHAINS = {"python": "/usr/bin/python3 -I -c 'import pytest'", "go": "/usr/bin/go version",
              "rust": "/usr/bin/cargo --version", "cpp": "/usr/bin/cmake --version",
              "javascript": "/usr/bin/node --version"}


def test_suite_protocol_and_fields() -> None:
    assert isinstance(SUITE, Suite)
    assert SUITE.name == "bundled"
    for task in ALL:
        assert task.suite == "bundled" and task.workdir == "/workspace"
        assert task.runner in {"pytest", "go", "cargo", "cmake", "node"}
        assert task.problem.strip() and task.expected_tests
        assert task.image in {"python", "go", "rust", "cpp", "node"}
        assert task.test_files and task.test_timeout_s > 0


def test_counts_meet_the_minimums() -> None:
    by_language = collections.Counter(t.language for t in ALL)
    by_tier = collections.Counter(t.tier for t in ALL)
    assert len(ALL) >= 26
    assert by_language["python"] >= 18
    for language in ("go", "rust", "cpp", "javascript"):
        assert by_language[language] >= 2, language
    assert by_tier["easy"] >= 6 and by_tier["medium"] >= 6 and by_tier["hard"] >= 3
    repositories = [t for t in ALL if t.id.startswith("py-repo-")]
    assert len(repositories) >= 3
    for task in repositories:  # a package of 3-6 modules
        packages = [p for p in task.workspace.iterdir() if (p / "__init__.py").exists()]
        assert packages, task.id
        modules = [m for m in packages[0].glob("*.py") if m.name != "__init__.py"]
        assert 3 <= len(modules) <= 6, (task.id, modules)


def test_every_folder_is_complete_and_ids_unique() -> None:
    folders = sorted(p for p in BUNDLED_ROOT.iterdir() if p.is_dir()
                     and not p.name.startswith((".", "_")))
    assert [f.name for f in folders] == [t.id for t in ALL]
    assert len({t.id for t in ALL}) == len(ALL)
    for task in ALL:
        folder = BUNDLED_ROOT / task.id
        for part in (*REQUIRED_PARTS, EXPECTED_FILE):
            assert (folder / part).exists(), f"{task.id}: {part}"
        for part in ("hidden", "solution", "workspace"):
            files = [p for p in (folder / part).rglob("*") if p.is_file()]
            assert files, f"{task.id}: {part}/ is empty"
            assert not any("__pycache__" in p.parts for p in files), f"{task.id}: {part}"
        # Hidden tests are test files (the agent's changes to them are dropped); the
        # solution's files are not (a patch making them would be kept).
        for part, protected in (("hidden", True), ("solution", False)):
            for path in (folder / part).rglob("*"):
                if path.is_file():
                    rel = path.relative_to(folder / part).as_posix()
                    assert is_test_path(rel, task.test_files) is protected, f"{task.id}: {rel}"


def test_selection_by_ids_and_tier() -> None:
    easy = SUITE.tasks(tier="easy")
    assert easy and all(t.tier == "easy" for t in easy)
    picked = SUITE.tasks(ids=[ALL[1].id, ALL[0].id])
    assert [t.id for t in picked] == [ALL[1].id, ALL[0].id]
    assert SUITE.tasks(ids=[easy[0].id], tier="hard") == []


def test_unknown_id_and_tier_errors() -> None:
    with pytest.raises(NotFoundError, match="no-such-task") as info:
        SUITE.tasks(ids=["no-such-task"])
    assert ALL[0].id in str(info.value)
    with pytest.raises(UsageError, match="unknown tier 'impossible'"):
        SUITE.tasks(tier="impossible")


def _copy_suite(tmp_path: Path, task_id: str) -> Path:
    root = tmp_path / "bundled"
    shutil.copytree(BUNDLED_ROOT / task_id, root / task_id)
    return root


@pytest.mark.parametrize("edit, expected", [
    (lambda text: text + "colour: blue\n", "colour: Extra inputs are not permitted"),
    (lambda text: text.replace("tier: easy", "tier: trivial"), "tier: Input should be"),
    (lambda text: text + "  - : [\n", "not valid YAML"),
    (lambda text: text.replace("id: py-easy-is-even", "id: other"), "differs from its folder"),
])
def test_malformed_task_yaml_is_a_one_line_error(tmp_path: Path, edit, expected: str) -> None:
    root = _copy_suite(tmp_path, "py-easy-is-even")
    path = root / "py-easy-is-even" / "task.yaml"
    path.write_text(edit(path.read_text()))
    with pytest.raises(ConfigError) as info:
        BundledSuite(root).tasks()
    message = str(info.value)
    assert "\n" not in message and str(path) in message and expected in message, message


def test_missing_part_is_an_error(tmp_path: Path) -> None:
    root = _copy_suite(tmp_path, "py-easy-is-even")
    shutil.rmtree(root / "py-easy-is-even" / "hidden")
    with pytest.raises(ConfigError, match="missing hidden"):
        BundledSuite(root).tasks()


def _host_has(task: Task) -> bool:
    import subprocess

    return shutil.which("bwrap") is not None and subprocess.run(
        ["sh", "-c", TOOLCHAINS[task.language]], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("task", ALL, ids=[t.id for t in ALL])
def test_grader_empty_patch_fails_and_solution_passes(task: Task) -> None:
    if not _host_has(task):
        pytest.skip(f"bubblewrap or the {task.language} toolchain is not on this host "
                    f"({TOOLCHAINS[task.language]} fails)")
    spec = SandboxSpec(role="grader", run_id="test-bundled-host")
    opener = lambda s: open_sandbox(s, "bubblewrap")  # noqa: E731
    empty, _ = grade_with_report(task, "", opener, spec)
    solved, report = grade_with_report(task, solution_patch(task), opener, spec)
    assert empty.verdict == Verdict.FAIL, empty
    assert solved.verdict == Verdict.PASS, (solved.infra_reason, solved.test_output[-3000:])
    assert set(passed_ids(report)) == task.expected_tests


def test_harness_files_are_protected_and_no_solution_touches_one() -> None:
    task = BundledSuite().tasks(["py-easy-is-even"])[0]
    assert {"conftest.py", "pytest.ini", ".pytest.ini", "pyproject.toml", "pytest/*",
            "*__pycache__*"} <= set(task.test_files)
    for path in ("conftest.py", "sub/conftest.py", "pytest/__init__.py", "x.dist-info/RECORD",
                 "tests/__pycache__/test_hidden.cpython-311.pyc", "pluggy.py"):
        assert is_test_path(path, task.test_files), path
    assert not is_test_path("parity.py", task.test_files)
    js = next(t for t in BundledSuite().tasks() if t.language == "javascript")
    assert "package.json" in js.test_files
    assert harness_patterns("python", ("a", "conftest.py")) == (
        "a", "conftest.py", *HARNESS_FILES["python"][1:])
    # no reference solution of the suite touches a harness file
    for t in BundledSuite().tasks():
        solution = [p.relative_to(t.solution).as_posix() for p in t.solution.rglob("*")
                    if p.is_file()] if t.solution else []
        assert not [p for p in solution if is_test_path(p, HARNESS_FILES.get(t.language, ()))]
