"""TreeState: incremental clade counts equal brute force, caller errors, rebuild from a run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scheduler_helpers import TASKS, grow, score

from cladist.archive.lineage import brute_force_clade_counts
from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.scheduler.restore import restore_state
from cladist.scheduler.state import INVALID, PENDING, VALID, StateError, TreeState

OPS = st.lists(st.tuples(st.sampled_from(["pass", "fail", "infra_error", "invalid", "xfail"]),
                         st.integers(0, 10**6), st.integers(0, 19)), max_size=150)


@settings(max_examples=150, deadline=None)
@given(parents=st.lists(st.integers(0, 10**6), max_size=40), ops=OPS)
def test_incremental_counts_equal_brute_force(parents: list[int], ops: list) -> None:  # noqa: ANN001
    tree = [p % (i + 1) for i, p in enumerate(parents)]   # parent of agent i+1 is <= i
    state = TreeState(TASKS)
    grow(state, tree)
    n = len(tree) + 1
    own = np.zeros((n, 2), int)
    failed = np.zeros(n, int)
    for kind, who, task in ops:
        agent = who % n
        if kind == "invalid":
            if agent and state.col("status")[agent] != INVALID:
                failed[tree[agent - 1]] += 1
            state.mark_invalid(agent) if agent else None
            continue
        if kind == "xfail":                     # an expansion that ends invalid, no child
            if state.col("status")[agent] == VALID:
                state.start_expansion(agent)
                state.finish_expansion(agent, "invalid")
                failed[agent] += 1
            continue
        name = f"t{task}"
        if state.col("status")[agent] != VALID or name in (state.evaluated_tasks(agent)
                                                           | state.in_flight_tasks(agent)):
            continue
        state.start_evaluation(agent, [name])
        counted = state.finish_evaluation(agent, name, kind)
        assert counted == (kind != "infra_error")
        if counted:
            own[agent, 0 if kind == "pass" else 1] += 1
    # Brute force: sum over every agent of its clade (the agent and all descendants).
    def clade_of(a: int) -> list[int]:
        found = [a]
        for child in range(1, n):
            if tree[child - 1] in found:
                found.append(child)
        return found

    for a in range(n):
        members = clade_of(a)
        assert state.clade(a) == tuple(int(v) for v in own[members].sum(axis=0))
        assert state.own(a) == tuple(int(v) for v in own[a])
        assert state.get("clade_failed", a) == failed[members].sum()
    assert state.evaluations == own.sum()
    assert state.in_flight_total == 0


def test_in_flight_slots_and_infra_errors() -> None:
    state = TreeState(TASKS)
    grow(state, [0])
    state.start_evaluation(1, ["t0", "t1", "t2"])
    assert state.in_flight_tasks(1) == {"t0", "t1", "t2"}
    assert state.finish_evaluation(1, "t1", "infra_error") is False   # freed, not counted
    assert state.finish_evaluation(1, "t0", Verdict.PASS) is True
    assert state.own(1) == (1, 0) and state.clade(0) == (1, 0)
    assert "t1" in state.free_tasks(1) and "t0" not in state.free_tasks(1)
    assert state.in_flight_total == 1 and state.evaluations == 1
    assert state.finish_evaluation(1, "t0", "fail", attempt=2) is True  # pass@2 retry
    assert state.own(1) == (1, 1)


@pytest.mark.parametrize("action", [
    lambda s: s.start_evaluation(1, ["t0"]),            # already evaluated
    lambda s: s.start_evaluation(1, ["t5"]),            # in flight
    lambda s: s.start_evaluation(1, ["nope"]),          # unknown task
    lambda s: s.start_evaluation(9, ["t9"]),            # unknown agent
    lambda s: s.start_evaluation(2, ["t9"]),            # invalid agent
    lambda s: s.start_evaluation(1, ["t8", "t8"]),      # twice in one call
    lambda s: s.finish_evaluation(1, "t9", "pass"),     # never started
    lambda s: s.finish_expansion(1, "valid", 7),        # no expansion pending
    lambda s: s.start_expansion(2),                     # invalid agent
    lambda s: s.add_agent(1, 0),                        # duplicate id
    lambda s: s.add_agent(8, None),                     # second root
    lambda s: s.mark_valid(2),                          # invalid stays invalid
])
def test_caller_mistakes_raise_state_error(action) -> None:  # noqa: ANN001
    state = TreeState(TASKS)
    grow(state, [0, 0])
    score(state, 1, 1, 0)
    state.start_evaluation(1, ["t5"])
    state.mark_invalid(2)
    with pytest.raises(StateError):
        action(state)


def test_expansions_tree_size_and_children() -> None:
    state = TreeState(TASKS)
    grow(state, [])
    state.start_expansion(0)
    state.start_expansion(0)
    state.start_expansion(0)
    assert state.tree_size == 4 and state.get("pending", 0) == 3
    state.finish_expansion(0, "valid", 1)
    state.finish_expansion(0, "invalid", 2)             # an invalid child
    state.finish_expansion(0, "error")                  # infrastructure: not evidence
    assert state.tree_size == 2
    assert state.get("children", 0) == 1 and state.get("failed", 0) == 1
    assert state.get("started", 0) == 3 and state.get("pending", 0) == 0
    state.add_agent(3, 1, NodeStatus.PENDING)           # committed, not yet validated
    assert state.col("status")[3] == PENDING and state.tree_size == 3
    state.mark_invalid(3)
    assert state.get("failed", 1) == 1 and state.get("clade_failed", 0) == 2


def test_from_store_round_trip(run: Run) -> None:
    store = run.store
    a = store.add_node(0, "a" * 40, status=NodeStatus.VALID)
    b = store.add_node(a, "b" * 40, status=NodeStatus.VALID)
    c = store.add_node(0, "c" * 40, status=NodeStatus.INVALID, reason="import fails")
    d = store.add_node(b, "d" * 40, status=NodeStatus.PENDING)
    results = [NewResult(0, "t0", Verdict.PASS), NewResult(0, "t1", Verdict.FAIL),
               NewResult(a, "t0", Verdict.PASS), NewResult(a, "t2", Verdict.INFRA_ERROR),
               NewResult(b, "t3", Verdict.FAIL), NewResult(b, "t3", Verdict.PASS, attempt=2),
               NewResult(b, "t3", Verdict.FAIL),                # duplicate: ignored
               NewResult(b, "old-task", Verdict.PASS)]          # not in this suite
    store.record_results(results)
    e1 = store.start_expansion(a)
    store.finish_expansion(e1, "invalid", reason="empty patch")  # no child
    e2 = store.start_expansion(0)
    store.finish_expansion(e2, "invalid", child_id=c)             # counted through c

    state = restore_state(store, TASKS)
    for node in store.nodes():
        assert state.own(node.id) == (node.n_pass, node.n_fail)
        assert state.clade(node.id) == (node.clade_pass, node.clade_fail)
    assert brute_force_clade_counts(store) == {i: state.clade(i) for i in (0, a, b, c, d)}
    assert [int(v) for v in state.col("status")] == [VALID, VALID, VALID, INVALID, PENDING]
    assert state.evaluated_tasks(b) == {"t3"} and state.evaluated_tasks(a) == {"t0"}
    assert "t2" in state.free_tasks(a)                            # infra error: free
    assert state.get("failed", 0) == 1 and state.get("failed", a) == 1
    assert state.get("clade_failed", 0) == 2
    assert state.in_flight_total == 0 and state.pending_total == 0
    assert state.tree_size == 4                                   # 0, a, b and pending d
