"""The bundled suite: its loader, and that every task's grader is right on the host.

The grader check copies each task's workspace to a temporary folder, overlays the hidden
tests and runs the test command (it must fail: the empty patch fails), then overlays the
reference solution and runs it again (it must pass). It uses the host toolchains; a
language whose toolchain is missing is skipped with the reason. The same check inside the
real task images lives with the evaluator's Docker tests.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.contracts import Suite, Task
from cladist.evaluator.patches import (
    HARNESS_FILES,
    drop_test_changes,
    harness_patterns,
    is_test_path,
)
from cladist.evaluator.suites.bundled import BUNDLED_ROOT, REQUIRED_PARTS, BundledSuite

SUITE = BundledSuite()
ALL = SUITE.tasks()
VENV_BIN = str(Path(sys.executable).parent)
# The host commands each language's test command needs.
TOOLCHAINS = {"python": ["python3"], "go": ["go"], "rust": ["cargo", "rustc"],
              "cpp": ["g++", "cmake", "make"], "javascript": ["node"]}


def test_suite_protocol_and_fields() -> None:
    assert isinstance(SUITE, Suite)
    assert SUITE.name == "bundled"
    for task in ALL:
        assert task.suite == "bundled" and task.workdir == "/workspace"
        assert task.grader == "exit_code" and task.problem.strip()
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
        for part in REQUIRED_PARTS:
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


def _run(task: Task, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
           "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(["bash", "-c", task.test_command], cwd=folder, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=task.test_timeout_s)


@pytest.mark.slow
@pytest.mark.parametrize("task", ALL, ids=[t.id for t in ALL])
def test_grader_empty_patch_fails_and_solution_passes(task: Task, tmp_path: Path) -> None:
    missing = [tool for tool in TOOLCHAINS[task.language] if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{task.language} toolchain not on this host (missing {', '.join(missing)})")
    assert task.workspace and task.hidden_tests and task.solution
    # Each run starts from a fresh copy, as grading does (a fresh sandbox per verdict).
    empty_dir, solved_dir = tmp_path / "empty", tmp_path / "solved"
    for folder, overlays in ((empty_dir, [task.hidden_tests]),
                             (solved_dir, [task.solution, task.hidden_tests])):
        shutil.copytree(task.workspace, folder)
        for overlay in overlays:
            shutil.copytree(overlay, folder, dirs_exist_ok=True)
    with ThreadPoolExecutor(2) as pool:  # the two runs are independent: overlap them
        empty, solved = pool.map(lambda folder: _run(task, folder), [empty_dir, solved_dir])
    assert empty.returncode != 0, f"empty patch passes:\n{empty.stdout[-3000:]}"
    assert solved.returncode == 0, f"solution fails:\n{solved.stdout[-3000:]}"


CONFTEST_CHEAT = """diff --git a/conftest.py b/conftest.py
new file mode 100644
--- /dev/null
+++ b/conftest.py
@@ -0,0 +1,2 @@
+import os
+os._exit(0)
diff --git a/sub/conftest.py b/sub/conftest.py
new file mode 100644
--- /dev/null
+++ b/sub/conftest.py
@@ -0,0 +1 @@
+import os; os._exit(0)
"""
REAL_CHANGE = """diff --git a/solution.py b/solution.py
--- a/solution.py
+++ b/solution.py
@@ -1 +1 @@
-x = 1
+x = 2
"""


def test_changes_to_the_test_harness_are_dropped_like_test_changes() -> None:
    task = BundledSuite().tasks(["py-easy-is-even"])[0]
    assert {"conftest.py", "pytest.ini", "pyproject.toml"} <= set(task.test_files)
    kept, dropped = drop_test_changes(CONFTEST_CHEAT + REAL_CHANGE, task.test_files)
    assert kept == REAL_CHANGE and dropped == ["conftest.py", "sub/conftest.py"]
    js = next(t for t in BundledSuite().tasks() if t.language == "javascript")
    assert "package.json" in js.test_files
    assert harness_patterns("python", ("a", "conftest.py")) == (
        "a", "conftest.py", *HARNESS_FILES["python"][1:])
    # no reference solution of the suite touches a harness file
    for t in BundledSuite().tasks():
        solution = [p.relative_to(t.solution).as_posix() for p in t.solution.rglob("*")
                    if p.is_file()] if t.solution else []
        assert not [p for p in solution if is_test_path(p, HARNESS_FILES.get(t.language, ()))]
