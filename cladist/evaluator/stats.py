"""Statistics of a paired comparison of agents on the same tasks (``cladist compare``).

Each agent has, per task, the outcomes of its repeats (True = pass; infrastructure errors
are left out before this module sees them). Tasks are the unit: an agent's pass rate is
the mean over tasks of its per-task pass rate, and its interval comes from resampling
tasks (a percentile bootstrap, the repeats of a task staying together, since they share
the task's difficulty). For a pair, the per-task difference of pass rates is what is
compared: its mean with a paired bootstrap interval over tasks, and a two-sided sign-flip
permutation test of "no difference" (exact up to 20 tasks with a difference, else 20,000
random flips). Everything is seeded: the same results give the same figures.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Outcomes = Mapping[str, Sequence[bool]]
"""Per task id, the pass/fail outcome of each repeat."""

DRAWS = 10_000
LEVEL = 0.95
EXACT_UP_TO = 20
FLIPS = 20_000


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval (``LEVEL``)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class AgentScore:
    """One agent: tasks with at least one scored repeat, repeats, and pass rate."""

    label: str
    tasks: int
    runs: int
    pass_rate: Interval


@dataclass(frozen=True)
class PairScore:
    """``a`` minus ``b`` on the tasks both have results for: the mean per-task difference
    of pass rates with its interval, the permutation test's p-value, and the tasks where
    ``a`` did better (wins), worse (losses) or the same (ties)."""

    a: str
    b: str
    tasks: int
    difference: Interval
    p_value: float
    wins: tuple[str, ...]
    losses: tuple[str, ...]
    ties: int


def rates(outcomes: Outcomes) -> dict[str, float]:
    """Per-task pass rate, over the tasks with at least one repeat."""
    return {task: sum(runs) / len(runs) for task, runs in outcomes.items() if runs}


def agent_score(label: str, outcomes: Outcomes, seed: int = 0) -> AgentScore:
    """Pass rate of one agent with a bootstrap interval over tasks."""
    per_task = np.array(list(rates(outcomes).values()), dtype=float)
    runs = sum(len(r) for r in outcomes.values())
    return AgentScore(label, len(per_task), runs, _bootstrap_mean(per_task, seed))


def pair_score(a: str, a_outcomes: Outcomes, b: str, b_outcomes: Outcomes,
               seed: int = 0) -> PairScore:
    """``a`` against ``b`` on their common tasks (see the module doc)."""
    rate_a, rate_b = rates(a_outcomes), rates(b_outcomes)
    common = sorted(set(rate_a) & set(rate_b))
    diffs = np.array([rate_a[t] - rate_b[t] for t in common], dtype=float)
    wins = tuple(t for t, d in zip(common, diffs, strict=True) if d > 0)
    losses = tuple(t for t, d in zip(common, diffs, strict=True) if d < 0)
    return PairScore(a, b, len(common), _bootstrap_mean(diffs, seed), sign_flip_p(diffs, seed),
                     wins, losses, len(common) - len(wins) - len(losses))


def sign_flip_p(diffs: np.ndarray, seed: int = 0) -> float:
    """Two-sided p-value of a zero mean difference, by flipping the signs of the per-task
    differences: exact when at most ``EXACT_UP_TO`` are non-zero, else ``FLIPS`` random
    flips. 1.0 when no task differs."""
    nonzero = diffs[diffs != 0]
    if nonzero.size == 0:
        return 1.0
    observed = abs(nonzero.sum())
    if nonzero.size <= EXACT_UP_TO:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=nonzero.size)))
    else:
        signs = np.random.default_rng(seed).choice((1.0, -1.0), size=(FLIPS, nonzero.size))
    totals = np.abs(signs @ nonzero)
    return float(np.mean(totals >= observed - 1e-12))


def _bootstrap_mean(values: np.ndarray, seed: int) -> Interval:
    """The mean of ``values`` with a percentile bootstrap interval (``DRAWS`` resamples)."""
    if values.size == 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(DRAWS, values.size))].mean(axis=1)
    tail = (1 - LEVEL) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return Interval(float(values.mean()), float(low), float(high))
