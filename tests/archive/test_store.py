"""The archive store on real SQLite files: nodes, results, counts, idempotence, errors."""

from __future__ import annotations

import pytest

from cladist.archive.records import NewLlmCall, NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.errors import ArchiveError, NotFoundError


def test_root_node_is_committed_seed(run: Run) -> None:
    root = run.store.node(0)
    assert root.parent_id is None and root.depth == 0 and root.status is NodeStatus.VALID
    assert run.agents.resolve("refs/nodes/0") == root.commit_sha
    assert "agent/__main__.py" in run.agents.files(root.commit_sha)


def test_results_update_own_and_pooled_counts(run: Run) -> None:
    store = run.store
    a = store.add_node(0, run.node_commit(0), status=NodeStatus.VALID)
    b = store.add_node(a, run.node_commit(0), status=NodeStatus.VALID)
    store.record_result(NewResult(b, "t1", Verdict.PASS))
    store.record_result(NewResult(b, "t2", Verdict.FAIL))
    store.record_result(NewResult(a, "t1", Verdict.PASS))
    store.record_result(NewResult(b, "t3", Verdict.INFRA_ERROR))
    nb, na, root = store.node(b), store.node(a), store.node(0)
    assert (nb.n_pass, nb.n_fail, nb.n_infra) == (1, 1, 1)
    assert (nb.clade_pass, nb.clade_fail) == (1, 1)
    assert (na.n_pass, na.n_fail, na.clade_pass, na.clade_fail) == (1, 0, 2, 1)
    assert (root.n_pass, root.clade_pass, root.clade_fail) == (0, 2, 1)
    assert na.clade_estimate == pytest.approx(2 / 3)
    assert nb.score == 0.5


def test_scored_result_recorded_twice_counts_once(run: Run) -> None:
    first = run.store.record_result(NewResult(0, "t1", Verdict.PASS, cost_usd=0.5))
    again = run.store.record_result(NewResult(0, "t1", Verdict.PASS, cost_usd=0.5))
    assert first == again
    assert len(run.store.results(0)) == 1
    assert (run.store.node(0).n_pass, run.store.node(0).clade_pass) == (1, 1)


def test_infra_errors_may_repeat_and_never_count_as_failures(run: Run) -> None:
    for _ in range(3):
        run.store.record_result(NewResult(0, "t1", Verdict.INFRA_ERROR))
    run.store.record_result(NewResult(0, "t1", Verdict.FAIL))
    root = run.store.node(0)
    assert (root.n_infra, root.n_fail, root.clade_fail, root.clade_pass) == (3, 1, 1, 0)


def test_result_fields_round_trip(run: Run) -> None:
    ref = run.blobs.put("nodes/0/t1/patch.diff", "diff --git a/x b/x\n")
    run.store.record_result(NewResult(0, "t1", Verdict.PASS, attempt=2, patch_ref=ref,
                                      agent_seconds=1.5, tokens_in=10, tokens_out=3,
                                      cost_usd=0.01, detail={"pass@2": True}))
    (r,) = run.store.results(0)
    assert (r.attempt, r.verdict, r.tokens_in, r.detail) == (2, Verdict.PASS, 10,
                                                              {"pass@2": True})
    assert run.blobs.get_text(r.patch_ref).startswith("diff --git")


def test_unknown_node_and_second_root_are_clear_errors(run: Run) -> None:
    with pytest.raises(NotFoundError, match="node 99"):
        run.store.record_result(NewResult(99, "t", Verdict.PASS))
    with pytest.raises(NotFoundError, match="node 42"):
        run.store.add_node(42, "0" * 40)
    with pytest.raises(ArchiveError, match="root"):
        run.store.add_node(None, "0" * 40)
    with pytest.raises(NotFoundError):
        run.store.node(7)
    assert run.store.results() == []


def test_invalid_node_keeps_reason_and_expansions_are_recorded(run: Run) -> None:
    exp = run.store.start_expansion(0, target="task t1")
    child = run.store.add_node(0, run.node_commit(0), status=NodeStatus.INVALID,
                               reason="agent tests failed")
    run.store.finish_expansion(exp, "invalid", child_id=child, reason="agent tests failed",
                               problem_statement="fix t1", cost_usd=0.2)
    (e,) = run.store.expansions(parent_id=0)
    assert (e.outcome, e.child_id, e.cost_usd) == ("invalid", child, 0.2)
    assert run.store.node(child).reason == "agent tests failed"


def test_llm_calls_and_totals(run: Run) -> None:
    run.store.record_llm_call(NewLlmCall("s1", "evaluation", "openai", "gpt", node_id=0,
                                         tokens_in=100, tokens_out=20, cost_usd=0.003))
    run.store.record_result(NewResult(0, "t", Verdict.PASS))
    totals = run.store.totals()
    assert totals["llm_tokens"] == 120 and totals["llm_cost_usd"] == pytest.approx(0.003)
    assert (totals["nodes"], totals["evaluations"], totals["passes"]) == (1, 1, 1)


def test_events_go_to_jsonl_and_archive(run: Run) -> None:
    run.event("budget_spent", node_id=0, budget="dollars")
    lines = (run.path / "events.jsonl").read_text().splitlines()
    assert '"kind": "run_created"' in lines[0] and '"budget": "dollars"' in lines[1]


def test_reopen_sees_everything(run: Run) -> None:
    run.store.record_result(NewResult(0, "t", Verdict.FAIL))
    run.close()
    with Run.open(run.path) as again:
        assert again.store.node(0).n_fail == 1
        assert again.store.integrity_check() == "ok"
        assert again.store.run_record().id == run.id


def test_concurrent_writers_never_collide(run: Run) -> None:
    """Workers add children and record results at once: ids stay unique, counts exact."""
    import threading

    sha = run.node_commit(0)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(15):
                child = run.store.add_node(0, sha, status=NodeStatus.VALID)
                run.store.record_result(NewResult(child, f"w{k}-t{i}", Verdict.PASS))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(run.store.nodes()) == 61
    assert run.store.node(0).clade_pass == 60
