"""HGM policy and formulas against hand-computed cases (DESIGN section 4)."""

from __future__ import annotations

import numpy as np
import pytest
from scheduler_helpers import TASKS, grow, score

from cladist.archive.lineage import lower_quantiles
from cladist.config import SchedulerConfig
from cladist.scheduler.contracts import Budget, Evaluate, Expand, Wait
from cladist.scheduler.correction import adjusted_counts
from cladist.scheduler.hgm import HGMPolicy
from cladist.scheduler.sampling import (
    GROUPED_MIN,
    best_belief_index,
    beta_parameters,
    random_free_task,
    should_expand,
    temperature,
    thompson_argmax,
)
from cladist.scheduler.state import TreeState


def hgm(seed: int = 0, **settings: object) -> HGMPolicy:
    cfg = SchedulerConfig(**{"root_expansions": 0, **settings})  # type: ignore[arg-type]
    return HGMPolicy(cfg, np.random.default_rng(seed))


# -- temperature ---------------------------------------------------------------------
@pytest.mark.parametrize(("spent", "tau"), [(0, 1.0), (50, 2.0), (75, 4.0), (90, 10.0),
                                            (99.9, 1000.0), (99.95, 1000.0), (100, 1000.0),
                                            (250, 1000.0)])
def test_temperature_is_total_over_remaining_with_a_guard(spent: float, tau: float) -> None:
    assert temperature(Budget(100, spent)) == pytest.approx(tau)


def test_budget_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Budget(0, 0)
    with pytest.raises(ValueError):
        Budget(10, -1)


def test_beta_parameters_scale_with_tau() -> None:
    a, b = beta_parameters(np.array([3, 0]), np.array([1, 5]), 2.0)
    assert a.tolist() == [8.0, 2.0]     # τ(1 + N_s) = 2·4, 2·1
    assert b.tolist() == [4.0, 12.0]    # τ(1 + N_f) = 2·2, 2·6


# -- expand or evaluate ----------------------------------------------------------------
def test_expand_rule_hand_computed() -> None:
    # 10^0.6 = 3.981 (to 3 places): below 4, above 3.
    assert 10 ** 0.6 == pytest.approx(3.98107, abs=1e-5)
    assert not should_expand(10, 4, 0.6)
    assert should_expand(10, 3, 0.6)
    assert should_expand(16, 4, 0.5)        # 16^0.5 = 4 ≥ 4: ties expand
    assert not should_expand(0, 1, 0.6)
    with pytest.raises(ValueError):
        should_expand(1, 1, 0.0)


def test_rule_counts_in_flight_evaluations_and_pending_expansions() -> None:
    state = TreeState(TASKS)
    grow(state, [0, 0])                     # 3 agents
    score(state, 0, 4, 4)                   # 8 scored
    state.start_evaluation(1, ["t0", "t1"])  # + 2 in flight: N = 10
    state.start_expansion(0)                # |T| = 3 + 1 pending = 4
    assert (state.evaluations + state.in_flight_total, state.tree_size) == (10, 4)
    assert isinstance(hgm().decide(state, Budget(100)), Evaluate)  # 3.98 < 4
    state.finish_expansion(0, "error")      # nothing created: |T| = 3
    assert isinstance(hgm().decide(state, Budget(100)), Expand)    # 3.98 ≥ 3


def test_invalid_children_count_in_the_tree_size_by_default() -> None:
    state = TreeState(TASKS)
    grow(state, [0])
    score(state, 0, 2, 2)                   # N = 4: 4^0.6 = 2.297
    state.add_agent(2, 0, "invalid")        # |T| = 2 live + 1 invalid = 3 > 2.297
    assert isinstance(hgm().decide(state, Budget(100)), Evaluate)
    lenient = hgm(count_invalid_in_tree=False)  # |T| = 2 ≤ 2.297
    assert isinstance(lenient.decide(state, Budget(100)), Expand)


def test_root_is_expanded_root_expansions_times_first() -> None:
    state = TreeState(TASKS)
    state.add_agent(0, None)
    policy = HGMPolicy(SchedulerConfig(root_expansions=3), np.random.default_rng(0))
    for _ in range(3):
        assert policy.decide(state, Budget(100)) == Expand(0)
        state.start_expansion(0)
    state.finish_expansion(0, "invalid")    # failed attempts count as expansions too
    decision = policy.decide(state, Budget(100))
    assert isinstance(decision, Evaluate) and decision.agent_id == 0


# -- Thompson sampling -------------------------------------------------------------------
def test_expansion_draws_from_beta_of_pooled_counts_with_tau() -> None:
    state = TreeState(TASKS)
    grow(state, [0, 0, 1, 1])
    for agent, (s, f) in {0: (2, 1), 1: (1, 3), 2: (4, 0), 3: (1, 1), 4: (0, 2)}.items():
        score(state, agent, s, f)
    # Eligible: own pass > 0 → 0, 1, 2, 3 (4 only failed). Pooled counts:
    n_s, n_f = state.col("N_s"), state.col("N_f")
    assert (n_s.tolist(), n_f.tolist()) == ([8, 2, 4, 1, 0], [7, 6, 0, 1, 2])
    policy, twin = hgm(seed=7), np.random.default_rng(7)
    budget = Budget(40, 30)                  # τ = 4
    for _ in range(30):
        got = policy._expand(state, temperature(budget), None)
        draws = twin.beta(4.0 * (1 + np.array([8, 2, 4, 1])), 4.0 * (1 + np.array([7, 6, 0, 1])))
        assert got == Expand(int(np.argmax(draws)))


def test_evaluation_draws_from_beta_of_own_counts_and_picks_one_free_task() -> None:
    state = TreeState(TASKS)
    grow(state, [0, 0])
    score(state, 0, 5, 3)
    score(state, 1, 0, 2)
    state.start_evaluation(1, ["t5", "t7"])
    policy, twin = hgm(seed=3), np.random.default_rng(3)
    for _ in range(40):
        decision = policy._evaluate(state, state.col("status") == 1, 2.0, None)
        draws = twin.beta(2.0 * (1 + np.array([5, 0, 0])), 2.0 * (1 + np.array([3, 2, 0])))
        agent = int(np.argmax(draws))
        task = random_free_task(state, agent, twin)
        assert decision == Evaluate(agent, (task,))
        assert task not in state.evaluated_tasks(agent) | state.in_flight_tasks(agent)


def test_evaluation_never_repeats_a_task_and_stops_when_all_are_taken() -> None:
    state = TreeState(["a", "b", "c", "d"])
    state.add_agent(0, None)
    policy = hgm(seed=1, alpha=1.0)
    seen = []
    for _ in range(4):
        decision = policy._evaluate(state, state.col("status") == 1, 1.0, None)
        assert isinstance(decision, Evaluate) and len(decision.task_ids) == 1
        seen.append(decision.task_ids[0])
        state.start_evaluation(0, decision.task_ids)
        if len(seen) % 2:
            state.finish_evaluation(0, seen[-1], "fail")
    assert sorted(seen) == ["a", "b", "c", "d"]
    assert policy._evaluate(state, state.col("status") == 1, 1.0, None) is None
    state.finish_evaluation(0, seen[1], "infra_error")   # freed again, not counted
    assert policy._evaluate(state, state.col("status") == 1, 1.0, None) == Evaluate(
        0, (seen[1],))


def test_all_fail_agents_are_not_expanded_unless_switched_on() -> None:
    state = TreeState(TASKS)
    grow(state, [0, 0, 0])
    score(state, 0, 1, 0)
    score(state, 1, 0, 3)                    # every evaluation failed
    score(state, 2, 2, 1)                    # agent 3: never evaluated
    assert hgm().eligible_parents(state).tolist() == [0, 2]
    assert hgm(expand_all_fail=True).eligible_parents(state).tolist() == [0, 1, 2]
    lone = TreeState(TASKS)
    grow(lone, [])
    score(lone, 0, 0, 2)                     # nothing eligible: the root stays expandable
    assert hgm().eligible_parents(lone).tolist() == [0]


def test_failed_expansions_count_against_the_clade_when_switched_on() -> None:
    state = TreeState(TASKS)
    grow(state, [0, 1])
    score(state, 0, 1, 0)
    score(state, 1, 1, 0)
    state.start_expansion(1)
    state.finish_expansion(1, "invalid", child_id=9)   # an invalid child of 1
    state.start_expansion(1)
    state.finish_expansion(1, "invalid")                # no child at all
    assert state.col("clade_failed").tolist() == [2, 2, 0, 0]
    policy, twin = hgm(seed=5, count_failed_expansions=True), np.random.default_rng(5)
    got = policy._expand(state, 1.0, None)
    # N_s = [2, 1] for agents 0, 1; N_f = [0, 0] + failed [2, 2].
    assert got == Expand(int(np.argmax(twin.beta([3.0, 2.0], [3.0, 3.0]))))


def test_root_fallback_only_when_nothing_else_can_be_done() -> None:
    state = TreeState(["a", "b"])
    state.add_agent(0, None)
    score(state, 0, 0, 1)                    # N = 1 ≥ |T| = 1, but nobody is eligible
    assert hgm().decide(state, Budget(10)) == Evaluate(0, ("b",))
    state.start_evaluation(0, ["b"])         # nothing to evaluate either: the root
    assert hgm().decide(state, Budget(10)) == Expand(0)
    assert isinstance(hgm().decide(TreeState(["a"]), Budget(10)), Wait)


# -- async-bias correction ---------------------------------------------------------------
def test_difficulty_adjusted_counts_hand_computed() -> None:
    state = TreeState(["t0", "t1"])
    grow(state, [0])
    state.start_evaluation(0, ["t0", "t1"])
    state.finish_evaluation(0, "t0", "pass")
    state.finish_evaluation(0, "t1", "fail")
    state.start_evaluation(1, ["t0"])
    state.finish_evaluation(1, "t0", "pass")
    # p̄ = 2/3. Agent 1 on t0: others 1/1 → p̂ = (1 + 2·2/3) / 3 = 7/9 → shift −1/9.
    # Root on t0: p̂ = 7/9 (−1/9); on t1: others 0/0 → p̂ = 2/3 (0).
    own_s, own_f, clade_s, clade_f = adjusted_counts(state)
    assert own_s == pytest.approx([8 / 9, 8 / 9])
    assert own_f == pytest.approx([10 / 9, 1 / 9])
    assert clade_s == pytest.approx([16 / 9, 8 / 9])
    assert clade_f == pytest.approx([11 / 9, 1 / 9])


# -- best-belief pick --------------------------------------------------------------------
def test_lower_quantile_and_best_belief_hand_computed() -> None:
    # Beta(2, 1) has CDF x²: its 0.01-quantile is 0.1.
    assert float(lower_quantiles(1, 0, 0.01)) == pytest.approx(0.1)
    # A: 1/1 (mean 1.0, quantile 0.1); B: 8/10; C: 80/100 — C is the best belief.
    ids = np.array([10, 11, 12])
    assert best_belief_index(ids, np.array([1, 8, 80]), np.array([0, 2, 20]), 0.01) == 2
    # Equal counts: the older (smaller id) wins; nothing scored: None.
    assert best_belief_index(np.array([5, 3]), np.array([2, 2]), np.array([1, 1]), 0.01) == 1
    assert best_belief_index(ids, np.zeros(3), np.zeros(3), 0.01) is None


def test_final_pick_skips_invalid_agents() -> None:
    state = TreeState(TASKS)
    grow(state, [0, 0])
    score(state, 0, 3, 7)
    score(state, 1, 9, 1)
    score(state, 2, 10, 0)
    state.mark_invalid(2)
    assert hgm().final_pick(state) == 1


def test_decisions_are_reproducible_with_a_seed() -> None:
    def trace(seed: int) -> list[object]:
        state = TreeState(TASKS)
        grow(state, [0, 0, 1])
        for agent in range(4):
            score(state, agent, agent + 1, 2)
        policy = hgm(seed=seed)
        return [policy.decide(state, Budget(100, k)) for k in range(30)]

    assert trace(11) == trace(11)
    assert trace(11) != trace(12)


def test_grouped_thompson_sampling_has_the_direct_distribution() -> None:
    # ≥ GROUPED_MIN candidates: equal small pairs are grouped, large ones drawn directly.
    s = np.array([1] * 1000 + [3] * 1000 + [0] * 500 + [70] * 3)
    f = np.array([1] * 1000 + [2] * 1000 + [0] * 500 + [60] * 3)
    group = np.array([0] * 1000 + [1] * 1000 + [2] * 500 + [3] * 3)
    assert s.size >= GROUPED_MIN
    rng, trials = np.random.default_rng(2), 3000
    grouped = np.bincount([group[thompson_argmax(rng, s, f, 2.0)] for _ in range(trials)],
                          minlength=4) / trials
    direct = np.bincount([group[np.argmax(rng.beta(2.0 * (1 + s), 2.0 * (1 + f)))]
                          for _ in range(trials)], minlength=4) / trials
    assert grouped == pytest.approx(direct, abs=0.02)
    winners = {thompson_argmax(rng, s, f, 1.0) for _ in range(300)}
    assert len(winners) > 100          # uniform within the winning group
