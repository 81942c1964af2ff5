"""The comparison statistics on hand-made results: known differences, ties, all-pass,
all-fail, and the exact test checked against its definition."""

from __future__ import annotations

import math

import numpy as np

from cladist.evaluator.stats import agent_score, pair_score, sign_flip_p


def outcomes(*per_task: str) -> dict[str, list[bool]]:
    """Tasks t0, t1, ... each given as a string of repeats: "PPF" = pass, pass, fail."""
    return {f"t{i}": [c == "P" for c in runs] for i, runs in enumerate(per_task)}


def test_all_pass_and_all_fail_are_certain() -> None:
    good = agent_score("good", outcomes(*["PPP"] * 12))
    bad = agent_score("bad", outcomes(*["FFF"] * 12))
    assert (good.pass_rate.value, good.pass_rate.low, good.pass_rate.high) == (1.0, 1.0, 1.0)
    assert (bad.pass_rate.value, bad.pass_rate.low, bad.pass_rate.high) == (0.0, 0.0, 0.0)
    assert (good.tasks, good.runs) == (12, 36)
    pair = pair_score("good", outcomes(*["PPP"] * 12), "bad", outcomes(*["FFF"] * 12))
    assert pair.difference.value == 1.0 and pair.difference.low == 1.0
    assert len(pair.wins) == 12 and not pair.losses and pair.ties == 0
    assert pair.p_value == 2 / 2**12  # only the observed signs and their mirror are as far


def test_identical_agents_tie_with_no_difference() -> None:
    same = outcomes("PPF", "FFF", "PPP", "PFF")
    pair = pair_score("a", same, "b", same)
    assert pair.difference.value == 0.0 and (pair.difference.low, pair.difference.high) == (
        0.0, 0.0)
    assert pair.p_value == 1.0 and pair.ties == 4 and not pair.wins and not pair.losses


def test_a_known_difference_is_found_with_its_sign_and_interval() -> None:
    a = outcomes(*(["PPP"] * 15 + ["PPF"] * 5 + ["FFF"] * 10))
    b = outcomes(*(["FFF"] * 15 + ["PPF"] * 5 + ["FFF"] * 10))
    pair = pair_score("a", a, "b", b)
    assert pair.difference.value == 0.5  # 15 of 30 tasks go from 0 to 1
    assert 0.3 < pair.difference.low < 0.5 < pair.difference.high < 0.7
    assert pair.p_value < 0.001 and len(pair.wins) == 15 and pair.ties == 15
    reverse = pair_score("b", b, "a", a)
    assert reverse.difference.value == -0.5 and reverse.wins == pair.losses == ()
    assert reverse.losses == pair.wins
    score = agent_score("a", a)
    assert math.isclose(score.pass_rate.value, (15 + 5 * 2 / 3) / 30)
    assert score.pass_rate.low < score.pass_rate.value < score.pass_rate.high


def test_only_common_tasks_are_paired() -> None:
    pair = pair_score("a", outcomes("P", "P", "F"), "b", {"t0": [False], "t9": [True]})
    assert pair.tasks == 1 and pair.wins == ("t0",)


def test_the_exact_test_matches_its_definition() -> None:
    diffs = np.array([1.0, 1.0, 1.0, -1.0, 0.5, 0.0])
    # 5 non-zero differences, 32 sign patterns; |sum| >= 2.5 for the observed pattern
    patterns = [np.array(s) for s in np.ndindex(*(2,) * 5)]
    sums = [abs(sum(d * (1 if bit else -1) for d, bit in zip(diffs[:5], p, strict=True)))
            for p in patterns]
    expected = sum(s >= 2.5 for s in sums) / 32
    assert sign_flip_p(diffs) == expected
    many = np.array([1.0] * 30 + [-1.0] * 2)  # the random flips beyond 20 tasks
    assert sign_flip_p(many, seed=1) < 0.001 and sign_flip_p(many, 1) == sign_flip_p(many, 1)
