"""DGM parent weights and staged evaluation, greedy and uniform, against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from scheduler_helpers import grow, score

from cladist.config import SchedulerConfig
from cladist.scheduler.contracts import Budget, Evaluate, Expand, Policy, Wait
from cladist.scheduler.dgm import DGMPolicy, GreedyPolicy, UniformPolicy, dgm_weights
from cladist.scheduler.policies import make_policy
from cladist.scheduler.staging import boundaries
from cladist.scheduler.state import TreeState

HUNDRED = [f"t{k}" for k in range(100)]


def dgm(seed: int = 0, **settings: object) -> DGMPolicy:
    return DGMPolicy(SchedulerConfig(**settings), np.random.default_rng(seed))  # type: ignore[arg-type]


def test_dgm_weights_hand_computed() -> None:
    # sigmoid(10·(a − 0.5)) / (1 + c): sigmoid(0) = 0.5, sigmoid(3) = 0.952574127,
    # sigmoid(−3) = 0.047425873, sigmoid(5) = 0.993307149.
    got = dgm_weights(np.array([0.5, 0.8, 0.2, 1.0, 0.0]), np.array([0, 1, 3, 0, 2]))
    assert got == pytest.approx([0.5, 0.476287063, 0.011856468, 0.993307149,
                                 0.006692851 / 3], rel=1e-6)


def test_dgm_samples_parents_in_proportion_to_the_weights() -> None:
    state = TreeState(HUNDRED[:10])
    grow(state, [0, 0])
    score(state, 0, 5, 5)           # a = 0.5, 2 children → 0.5 / 3
    score(state, 1, 8, 2)           # a = 0.8, 0 children → 0.952574
    score(state, 2, 2, 8)           # a = 0.2 → 0.047426
    policy, twin = dgm(seed=4), np.random.default_rng(4)
    w = np.array([0.5 / 3, 0.952574127, 0.047425873])
    picks = []
    for _ in range(50):
        decision = policy.decide(state, Budget(10))
        assert decision == Expand(int(twin.choice(3, p=w / w.sum())))
        picks.append(decision.parent_id)  # type: ignore[union-attr]
    assert picks.count(1) > 30          # weight 0.82 of the total


def test_stage_boundaries() -> None:
    assert boundaries([10, 50], 100) == [10, 60, 100]
    assert boundaries([10, 50], 60) == [10, 60]
    assert boundaries([10, 50], 30) == [10, 30]
    assert boundaries([10, 50], 8) == [8]
    with pytest.raises(ValueError):
        boundaries([10, 0], 100)


def run_stage(state: TreeState, policy: DGMPolicy, passes: int) -> Evaluate:
    """Take the policy's stage decision and complete it with ``passes`` passes first."""
    decision = policy.decide(state, Budget(1000))
    assert isinstance(decision, Evaluate)
    state.start_evaluation(decision.agent_id, decision.task_ids)
    for k, task in enumerate(decision.task_ids):
        state.finish_evaluation(decision.agent_id, task, "pass" if k < passes else "fail")
    return decision


def test_staging_10_then_50_then_the_rest() -> None:
    state = TreeState(HUNDRED)
    state.add_agent(0, None)
    policy = dgm()
    first = run_stage(state, policy, 4)               # 4/10 = 40%: goes on
    assert first.task_ids == tuple(HUNDRED[:10])
    second = run_stage(state, policy, 26)             # 30/60 = 0.5 > floor 0.4: the rest
    assert second.task_ids == tuple(HUNDRED[10:60])
    third = run_stage(state, policy, 40)
    assert third.task_ids == tuple(HUNDRED[60:])
    assert isinstance(policy.decide(state, Budget(1000)), Expand)


def test_staging_stops_below_40_percent() -> None:
    state = TreeState(HUNDRED)
    state.add_agent(0, None)
    policy = dgm()
    run_stage(state, policy, 3)                       # 3/10 < 40%: done
    assert policy.decide(state, Budget(1000)) == Expand(0)


def full(state: TreeState, agent: int, passes: int) -> None:
    score(state, agent, passes, len(state.task_ids) - passes)


def test_third_stage_needs_more_than_the_second_best_full_score() -> None:
    state = TreeState(HUNDRED)
    grow(state, [0, 0, 0])
    full(state, 0, 70)
    full(state, 1, 55)                                # second-best full score: 0.55
    policy = dgm()
    score(state, 2, 10, 0)
    score(state, 2, 23, 27)                           # 33/60 = 0.55: not above
    score(state, 3, 10, 0)
    score(state, 3, 24, 26)                           # 34/60 = 0.567: above
    decision = policy.decide(state, Budget(1000))
    assert decision == Evaluate(3, tuple(HUNDRED[60:]))


def test_stage_tasks_lost_to_infra_errors_are_issued_again() -> None:
    state = TreeState(HUNDRED)
    state.add_agent(0, None)
    policy = dgm()
    decision = policy.decide(state, Budget(1000))
    assert isinstance(decision, Evaluate)
    state.start_evaluation(0, decision.task_ids)
    state.finish_evaluation(0, "t3", "infra_error")
    assert policy.decide(state, Budget(1000)) == Evaluate(0, ("t3",))
    state.start_evaluation(0, ["t3"])
    assert isinstance(policy.decide(state, Budget(1000)), Wait)  # root unsettled


def test_small_suite_is_one_stage() -> None:
    state = TreeState(HUNDRED[:8])
    state.add_agent(0, None)
    assert dgm().decide(state, Budget(10)) == Evaluate(0, tuple(HUNDRED[:8]))


def test_greedy_expands_the_best_and_uniform_any_valid_agent() -> None:
    state = TreeState(HUNDRED[:10])
    grow(state, [0, 0, 0])
    score(state, 0, 3, 7)
    score(state, 1, 9, 1)
    score(state, 2, 9, 1)
    state.add_agent(4, 0, "invalid")
    greedy = GreedyPolicy(SchedulerConfig(policy="greedy"), np.random.default_rng(0))
    assert greedy.decide(state, Budget(10)) == Evaluate(3, tuple(HUNDRED[:10]))
    score(state, 3, 0, 10)
    assert greedy.decide(state, Budget(10)) == Expand(1)   # tie with 2: the older
    uniform = UniformPolicy(SchedulerConfig(policy="uniform"), np.random.default_rng(0))
    picks = {uniform.decide(state, Budget(10)).parent_id for _ in range(200)}  # type: ignore[union-attr]
    assert picks == {0, 1, 2, 3}


def test_dgm_final_pick_is_best_among_the_furthest_evaluated() -> None:
    state = TreeState(HUNDRED)
    grow(state, [0, 0])
    full(state, 0, 45)
    score(state, 1, 10, 0)                            # 1.0, but only 10 tasks
    full(state, 2, 50)
    assert dgm().final_pick(state) == 2


def test_make_policy_from_config() -> None:
    from cladist.config import load_config

    cfg = load_config(["scheduler.policy=dgm", "run.random_seed=3"])
    policy = make_policy(cfg)
    assert policy.name == "dgm" and isinstance(policy, Policy)
    assert make_policy(load_config()).name == "hgm"
