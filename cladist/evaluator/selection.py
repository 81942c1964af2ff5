"""Choosing the suite and the tasks a configuration asks for (``evaluator.suite``,
``evaluator.tasks``, ``evaluator.tier``, ``evaluator.split``, ``evaluator.count``,
``evaluator.sample``)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from cladist.evaluator.suites import load_suite

if TYPE_CHECKING:
    from cladist.config import EvaluatorConfig
    from cladist.evaluator.contracts import Task


def select_tasks(config: EvaluatorConfig, seed: int = 0) -> list[Task]:
    """The tasks of the configured suite, restricted to ``config.tasks`` and
    ``config.tier``, then to one side of the split (``config.split``), then to the first
    ``config.count`` of them in the suite's order, then to a random ``config.sample`` of
    them (drawn with ``seed``). Raises what the suite raises for unknown ids or tiers."""
    chosen = load_suite(config).tasks(config.tasks or None, config.tier)
    if config.split != "all":
        chosen = [t for t in chosen if in_train(t.id, config.split_seed,
                                                config.split_fraction) == (config.split == "train")]
    if config.count is not None:
        chosen = chosen[:config.count]
    if config.sample is not None and config.sample < len(chosen):
        import random

        chosen = sorted(random.Random(seed).sample(chosen, config.sample), key=lambda t: t.id)
    return chosen


def in_train(task_id: str, seed: int, fraction: float) -> bool:
    """Whether ``task_id`` is on the train side of the split (``seed``, ``fraction`` of
    tasks in train): a hash of the id and seed, so a task's side never depends on which
    other tasks exist."""
    digest = hashlib.sha256(f"{seed}:{task_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def find_task(config: EvaluatorConfig, task_id: str) -> Task:
    """Task ``task_id`` of the configured suite, whatever the selection. Raises what the
    suite raises for an unknown id (NotFoundError)."""
    return load_suite(config).tasks([task_id])[0]
