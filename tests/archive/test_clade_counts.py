"""Incremental clade counts equal a brute-force recomputation on random trees."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cladist.archive.lineage import brute_force_clade_counts, check_clade_counts
from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.store import ArchiveStore

VERDICTS = st.sampled_from([Verdict.PASS, Verdict.FAIL, Verdict.INFRA_ERROR])


@st.composite
def trees_and_results(draw):  # noqa: ANN001, ANN201
    size = draw(st.integers(1, 40))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, size)]
    results = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 5), VERDICTS,
                                      st.integers(1, 2)), max_size=120))
    batch = draw(st.integers(1, 10))
    return parents, results, batch


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=trees_and_results())
def test_incremental_counts_equal_brute_force(tmp_path: Path, case) -> None:  # noqa: ANN001
    parents, results, batch = case
    db = tmp_path / f"a{abs(hash(str(case)))}.db"
    store = ArchiveStore(db, synchronous="NORMAL", create=True)
    try:
        # Nodes are created one by one and in batches, like a run does.
        store.add_node(None, "0" * 40, status=NodeStatus.VALID)
        specs = [(p, "0" * 40, NodeStatus.VALID, None, None) for p in parents[1:]]
        for i in range(0, len(specs), 7):
            store.add_nodes(specs[i:i + 7])
        pending = [NewResult(n, f"task{t}", v, attempt=a) for n, t, v, a in results]
        for i in range(0, len(pending), batch):
            store.record_results(pending[i:i + batch])
        assert check_clade_counts(store) == []
        expected = brute_force_clade_counts(store)
        # The root's clade is the whole tree: it pools the first scored result of every
        # (node, task, attempt); later duplicates are ignored.
        firsts: dict[tuple[int, int, int], Verdict] = {}
        for n, t, v, a in results:
            if v != Verdict.INFRA_ERROR:
                firsts.setdefault((n, t, a), v)
        passes = sum(v == Verdict.PASS for v in firsts.values())
        assert expected[0] == (passes, len(firsts) - passes)
    finally:
        store.close()
