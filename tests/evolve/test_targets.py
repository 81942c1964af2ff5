"""What a self-improvement step works on, from a real archive: a failed task when there is
one, else the generic target with one concrete direction, shown to the diagnosis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cladist.archive.records import NewResult, Verdict
from cladist.archive.run import Run
from cladist.config import load_config
from cladist.evolve.diagnosis import Diagnosis, build_prompt, fallback
from cladist.evolve.jobs import Target
from cladist.evolve.targets import GENERAL_DIRECTIONS, choose_target


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    cfg = load_config([f"run.runs_dir={tmp_path / 'runs'}"])
    with Run.create(cfg) as created:
        yield created


def test_a_parent_that_failed_nothing_gets_a_concrete_direction(run: Run) -> None:
    run.store.record_result(NewResult(0, "t1", Verdict.PASS))
    rng = np.random.default_rng(7)
    targets = [choose_target(run, 0, {}, rng) for _ in range(40)]
    assert {t.kind for t in targets} == {"general"}
    assert {t.describe() for t in targets} == {f"general: {t.direction}" for t in targets}
    directions = {t.direction for t in targets}
    # every expansion of the same parent does not get the same diagnosis
    assert len(directions) >= 3 and directions <= set(GENERAL_DIRECTIONS)
    prompt = build_prompt(targets[0], "--- agent/x.py\n", None, "", "", None, 4000)
    assert f"Work on one thing: {targets[0].direction}." in prompt
    assert targets[0].direction in fallback(targets[0], None, 2).problem_statement


def test_a_parent_gets_every_direction_once_before_any_comes_again(run: Run) -> None:
    run.store.record_result(NewResult(0, "t1", Verdict.PASS))
    rng = np.random.default_rng(3)
    drawn = []
    for _ in range(len(GENERAL_DIRECTIONS) + 1):
        target = choose_target(run, 0, {}, rng)
        drawn.append(target.direction)
        run.store.start_expansion(0, target.describe())  # how the loop records the target
    assert sorted(drawn[:-1]) == sorted(GENERAL_DIRECTIONS)
    assert drawn[-1] in GENERAL_DIRECTIONS  # all tried: any of them again


def test_a_failed_task_comes_first_and_has_no_direction(run: Run) -> None:
    run.store.record_result(NewResult(0, "t1", Verdict.PASS))
    run.store.record_result(NewResult(0, "t2", Verdict.FAIL))
    target = choose_target(run, 0, {}, np.random.default_rng(1))
    assert (target.kind, target.describe(), target.direction) == ("task", "task:t2", None)
    prompt = build_prompt(target, "--- agent/x.py\n", "make t2 pass", "", "", None, 4000)
    assert "Work on one thing" not in prompt and "make t2 pass" in prompt


def test_the_self_edit_sees_the_proposal_when_the_statement_lacks_it() -> None:
    vague = Diagnosis("s", "Edit agent/loop.py to stop repeats.", "The agent repeats itself.",
                      False, 1)
    assert vague.self_edit_problem() == ("The agent repeats itself.\n\nThe change proposed: "
                                         "Edit agent/loop.py to stop repeats.")
    full = Diagnosis("s", "Edit agent/loop.py.", "Repeats. Edit agent/loop.py.", False, 1)
    assert full.self_edit_problem() == "Repeats. Edit agent/loop.py."
    assert fallback(Target("general"), None, 2).self_edit_problem() == fallback(
        Target("general"), None, 2).problem_statement
    direction = GENERAL_DIRECTIONS[0]
    assert full.self_edit_problem(direction) == (
        f"The change to make: {direction}. Keep it small.\n\nNotes from the review of the "
        "agent's results:\nRepeats. Edit agent/loop.py.")
    general = fallback(Target("general", direction=direction), None, 2)
    assert general.self_edit_problem(direction) == general.problem_statement  # holds it
