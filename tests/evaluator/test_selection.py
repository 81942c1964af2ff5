"""Reproducible train/test splits of a suite's tasks (``evaluator.split``), on the bundled
suite and on ids made up for the stability check."""

from __future__ import annotations

import pytest

from cladist.config import load_config
from cladist.errors import ConfigError
from cladist.evaluator.selection import in_train, select_tasks


def ids(*overrides: str) -> list[str]:
    return [t.id for t in select_tasks(load_config(list(overrides)).evaluator)]


def test_train_and_test_partition_the_selected_tasks() -> None:
    everything = ids()
    train, test = ids("evaluator.split=train"), ids("evaluator.split=test")
    assert sorted(train + test) == sorted(everything) and not set(train) & set(test)
    assert 0.3 < len(train) / len(everything) < 0.7  # about split_fraction=0.5
    assert ids("evaluator.split=train") == train  # the same every time
    other_seed = ids("evaluator.split=train", "evaluator.split_seed=1")
    assert other_seed != train
    easy_train = ids("evaluator.split=train", "evaluator.tier=easy")
    assert set(easy_train) == set(train) & set(ids("evaluator.tier=easy"))


def test_a_task_keeps_its_side_when_tasks_are_added() -> None:
    before = [f"task-{i}" for i in range(200)]
    after = before + [f"new-{i}" for i in range(300)]
    side = {t: in_train(t, 7, 0.3) for t in after}
    assert all(side[t] == in_train(t, 7, 0.3) for t in before)
    share = sum(side.values()) / len(side)
    assert 0.24 < share < 0.36  # split_fraction=0.3


def test_bad_split_settings_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="split"):
        load_config(["evaluator.split=validation"])
    with pytest.raises(ConfigError, match="split_fraction"):
        load_config(["evaluator.split_fraction=1.5"])
