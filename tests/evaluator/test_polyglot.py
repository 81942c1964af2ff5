"""The Polyglot loader on a small fixture in the benchmark's layout (one exercise per
language that runs offline), graded in Docker with the oracle and the empty patch."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cladist.archive.records import Verdict
from cladist.config import load_config
from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.evaluate import make_context
from cladist.evaluator.grader import grade
from cladist.evaluator.oracle import solution_patch
from cladist.evaluator.selection import select_tasks
from cladist.evaluator.suites.polyglot import PolyglotSuite
from cladist.sandbox.contract import Limits, SandboxSpec

FIXTURE = Path(__file__).with_name("polyglot_fixture")
RUNNABLE = ["cpp/leap", "go/leap", "python/leap", "rust/leap"]


def test_loader_builds_tasks_from_the_layout(tmp_path: Path) -> None:
    suite = PolyglotSuite(FIXTURE, staging=tmp_path / "stage")
    tasks = suite.tasks()
    assert [t.id for t in tasks] == RUNNABLE
    assert suite.unsupported == {"java/leap": "Gradle needs network access"}
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
    assert "CMakeLists.txt" in cpp.test_files and "-DEXERCISM_RUN_ALL_TESTS=1" in \
        cpp.test_command
    rust = suite.tasks(["rust/leap"])[0]
    assert "--include-ignored" in rust.test_command


def test_selection_errors_are_clear(tmp_path: Path) -> None:
    suite = PolyglotSuite(FIXTURE, staging=tmp_path / "stage")
    with pytest.raises(NotFoundError, match="not runnable offline"):
        suite.tasks(["java/leap"])
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


@pytest.mark.docker
@pytest.mark.slow
def test_oracle_passes_and_empty_fails_in_docker(tmp_path: Path, docker_client,  # noqa: ANN001
                                                 base_image) -> None:  # noqa: ANN001
    context = make_context(load_config(["sandbox.backend=docker"]), gateway=None)
    tasks = PolyglotSuite(FIXTURE, staging=tmp_path / "stage").tasks()

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
    assert len(outcomes) == 4
