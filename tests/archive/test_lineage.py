"""Lineage queries and the best-belief pick against hand-computed cases."""

from __future__ import annotations

import pytest
from scipy.stats import beta

from cladist.archive.lineage import (
    ancestors,
    best_belief,
    children,
    clade,
    depth,
    descendants,
    lower_quantiles,
    to_networkx,
)
from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run


def _tree(run: Run) -> dict[str, int]:
    """0 -> 1 -> 3 -> 10..; 0 -> 2; ids chosen so that string order differs from numbers."""
    sha = run.node_commit(0)
    ids = {"a": run.store.add_node(0, sha, status=NodeStatus.VALID)}
    ids["b"] = run.store.add_node(0, sha, status=NodeStatus.VALID)
    ids["c"] = run.store.add_node(ids["a"], sha, status=NodeStatus.VALID)
    for _ in range(8):  # push ids past 10 so '1/3' vs '1/30' prefixes matter
        run.store.add_node(ids["b"], sha, status=NodeStatus.VALID)
    ids["d"] = run.store.add_node(ids["c"], sha, status=NodeStatus.VALID)
    ids["e"] = run.store.add_node(ids["d"], sha, status=NodeStatus.INVALID)
    return ids


def test_ancestors_descendants_clade_depth(run: Run) -> None:
    ids = _tree(run)
    a, b, c, d, e = (ids[k] for k in "abcde")
    assert ancestors(run.store, e) == [0, a, c, d]
    assert ancestors(run.store, 0) == []
    assert depth(run.store, e) == 4
    assert descendants(run.store, a) == [c, d, e]
    assert clade(run.store, c) == [c, d, e]
    assert len(descendants(run.store, b)) == 8
    assert len(descendants(run.store, 0)) == len(run.store.nodes()) - 1
    assert children(run.store, 0) == [a, b]
    graph = to_networkx(run.store)
    assert graph.number_of_nodes() == len(run.store.nodes())
    assert set(graph.successors(a)) == {c}
    assert graph.nodes[e]["record"].status is NodeStatus.INVALID


def test_lower_quantile_matches_scipy_beta() -> None:
    got = lower_quantiles([0, 3, 10], [0, 1, 10], 0.01)
    for value, (s, f) in zip(got, [(0, 0), (3, 1), (10, 10)], strict=True):
        assert value == pytest.approx(beta.ppf(0.01, 1 + s, 1 + f))


def test_best_belief_prefers_confidence_over_raw_mean(run: Run) -> None:
    sha = run.node_commit(0)
    lucky = run.store.add_node(0, sha, status=NodeStatus.VALID)      # 3/3: mean 1.0
    steady = run.store.add_node(0, sha, status=NodeStatus.VALID)     # 16/20: mean 0.8
    invalid = run.store.add_node(0, sha, status=NodeStatus.INVALID)  # never eligible
    run.store.record_results([NewResult(lucky, f"t{i}", Verdict.PASS) for i in range(3)])
    run.store.record_results(
        [NewResult(steady, f"t{i}", Verdict.PASS if i < 16 else Verdict.FAIL) for i in range(20)])
    run.store.record_results([NewResult(invalid, f"t{i}", Verdict.PASS) for i in range(30)])
    # Beta(a, 1) has quantile p ** (1 / a): lucky's 0.01-quantile is 0.01 ** 0.25 = 0.316,
    # far below steady's (Beta(17, 5)); its 0.49-quantile, 0.49 ** 0.25 = 0.837, is above
    # steady's median (about 0.78).
    assert lower_quantiles([3], [0], 0.01)[0] == pytest.approx(0.01 ** 0.25)
    assert lower_quantiles([16], [4], 0.01)[0] > 0.5
    assert lower_quantiles([16], [4], 0.49)[0] < 0.49 ** 0.25
    assert best_belief(run.store, 0.01) == steady
    # With a very lax epsilon the raw mean wins back.
    assert best_belief(run.store, 0.49) == lucky


def test_best_belief_none_without_results_and_ties_go_to_more_evidence(run: Run) -> None:
    assert best_belief(run.store) is None
    sha = run.node_commit(0)
    x = run.store.add_node(0, sha, status=NodeStatus.VALID)
    y = run.store.add_node(0, sha, status=NodeStatus.VALID)
    run.store.record_results([NewResult(x, "t", Verdict.FAIL), NewResult(y, "t", Verdict.FAIL)])
    assert best_belief(run.store) == x  # equal evidence: the older node
