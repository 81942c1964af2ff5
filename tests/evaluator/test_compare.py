"""``cladist compare``'s checks before anything runs: held-out task selection from a real
run's archive, and the one-line errors for what a user can get wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from cladist.archive.records import NewResult, Verdict
from cladist.archive.run import Run
from cladist.config import load_config
from cladist.errors import NotFoundError, UsageError
from cladist.evaluator.compare import compare, held_out
from cladist.evaluator.selection import select_tasks


def test_held_out_leaves_out_what_a_run_evaluated(tmp_path: Path) -> None:
    config = load_config([f"run.runs_dir={tmp_path / 'runs'}", "evaluator.tier=easy"])
    tasks = select_tasks(config.evaluator)
    with Run.create(config) as run:
        run.store.record_result(NewResult(0, tasks[0].id, Verdict.PASS))
        run.store.record_result(NewResult(0, tasks[1].id, Verdict.INFRA_ERROR))
    kept, excluded = held_out(tasks, [run.id], tmp_path / "runs")
    assert excluded == 2 and [t.id for t in kept] == [t.id for t in tasks[2:]]
    with pytest.raises(NotFoundError, match="no such run"):
        held_out(tasks, ["nope"], tmp_path / "runs")


def test_what_a_user_can_get_wrong_is_one_line(tmp_path: Path) -> None:
    config = load_config([f"run.runs_dir={tmp_path / 'runs'}"])
    tasks = select_tasks(config.evaluator)[:1]
    with pytest.raises(UsageError, match="two or more different agents"):
        compare(config, ["seed"], tasks, repeats=1)
    with pytest.raises(UsageError, match="two or more different agents"):
        compare(config, ["seed", "seed"], tasks, repeats=1)
    with pytest.raises(UsageError, match="no task left"):
        compare(config, ["seed", "other"], [], repeats=1)
    with pytest.raises(UsageError, match="at least 1"):
        compare(config, ["seed", "other"], tasks, repeats=0)
    with pytest.raises(NotFoundError, match="not a folder and not a bundled agent"):
        compare(config, ["seed", str(tmp_path / "missing")], tasks, repeats=1)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
