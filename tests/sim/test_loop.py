"""The simulated landscape driven by the real loop (Evolution + SimulatedExecutor +
SimArchive): same statistics as the reference event loop, budgets, in-flight accounting,
stop rules and determinism."""

from __future__ import annotations

import pytest

from cladist.archive.records import RunEvent
from cladist.config import BudgetConfig
from cladist.sim.landscape import LandscapeConfig
from cladist.sim.loop import SimRun, simulate_loop
from cladist.sim.reference import simulate
from cladist.sim.runs import policy_factory, run_policies

SAME = ("agents", "valid_agents", "evaluations", "expansions", "pick", "pick_quality",
        "best_quality", "regret", "spent", "decisions", "budget_to_target")


@pytest.mark.parametrize("spec", ["hgm", "hgm+correct_async_bias+count_failed_expansions",
                                  "oracle", "dgm", "greedy", "uniform"])
def test_every_policy_matches_the_reference_loop_exactly(spec: str) -> None:
    # Staged policies too: the loop starts a stage one task per free worker, checking the
    # budget before each, as the reference loop cuts the last stage to the budget left.
    for seed in (0, 1, 2):
        ref = simulate(policy_factory(spec), 600, seed)
        got = simulate_loop(policy_factory(spec), 600, seed)
        assert {k: getattr(got, k) for k in SAME} == {k: getattr(ref, k) for k in SAME}


def test_same_seed_same_run_and_same_events() -> None:
    runs = []
    for _ in range(2):
        sim = SimRun(policy_factory("hgm"), 400, 7,
                     LandscapeConfig(infra_error_rate=0.05, workers=5))
        sim.events = []
        runs.append((sim.run(), sim.events, sim.loop.stop_reason))
    (a, ev_a, why_a), (b, ev_b, why_b) = runs
    assert {**a.__dict__, "seconds": 0} == {**b.__dict__, "seconds": 0}
    assert ev_a == ev_b and why_a == why_b
    other = simulate_loop(policy_factory("hgm"), 400, 8)
    assert (other.pick_quality, other.agents) != (a.pick_quality, a.agents)


def _watch(sim: SimRun, checks: list[str]) -> None:
    """After every event, compare the state's in-flight counts with the loop's jobs and
    the executor's workers."""
    plain = sim.loop.on_event

    def hook(event: RunEvent) -> None:
        plain(event)
        kind = event.kind
        jobs = list(sim.loop.inflight.values())
        if len(jobs) > sim.cfg.workers:
            checks.append(f"{kind}: {len(jobs)} jobs handed out for {sim.cfg.workers} workers")
        evaluating = sum(j.kind == "evaluate" for j in jobs) + len(sim.loop.backlog)
        expanding = sum(j.kind == "expand" for j in jobs)
        if sim.state.in_flight_total != evaluating or sim.state.pending_total != expanding:
            checks.append(f"{kind}: state {sim.state.in_flight_total}/"
                          f"{sim.state.pending_total} vs jobs {evaluating}/{expanding}")
        if sim.executor._running > sim.cfg.workers:  # noqa: SLF001
            checks.append("more work running than workers")

    sim.loop.on_event = hook


@pytest.mark.parametrize("spec", ["hgm", "dgm", "uniform", "oracle"])
def test_dollar_budget_and_in_flight_accounting(spec: str) -> None:
    cfg = LandscapeConfig(infra_error_rate=0.05, workers=4)
    sim = SimRun(policy_factory(spec), 300, 3, cfg)
    problems: list[str] = []
    _watch(sim, problems)
    result = sim.run()
    assert problems == []
    assert sim.loop.stop_reason is not None and sim.loop.stop_reason.startswith(
        "budget spent: dollars")
    # each piece is billed as it starts, and none starts once the budget is spent
    assert 300 <= result.spent < 300 + max(cfg.expansion_cost, cfg.evaluation_cost)
    assert sim.state.in_flight_total == 0 and sim.state.pending_total == 0
    assert sim.loop.inflight == {}
    assert sim.archive.expansions_done() == sim.world.expansions_started
    assert sim.state.n == len(sim.archive.nodes)
    scored = sim.archive.results.get("pass", 0) + sim.archive.results.get("fail", 0)
    assert scored == sim.state.evaluations == result.evaluations
    assert scored + sim.archive.results.get("infra_error", 0) == (
        sim.world.evaluations_started)


def test_task_evaluation_and_expansion_budgets_are_never_overshot() -> None:
    limits = BudgetConfig(task_evaluations=150, dollars=None, workers=6)
    sim = SimRun(policy_factory("hgm"), 10_000, 1, LandscapeConfig(workers=6),
                 budget_config=limits)
    sim.run()
    assert sim.loop.stop_reason == "budget spent: task_evaluations (150 of 150)"
    assert sim.state.evaluations == 150 == sim.world.evaluations_started
    limits = BudgetConfig(task_evaluations=None, expansions=12, workers=6)
    sim = SimRun(policy_factory("oracle"), 10_000, 1, LandscapeConfig(workers=6),
                 budget_config=limits)
    sim.run()
    assert sim.loop.stop_reason == "budget spent: expansions (12 of 12)"
    assert sim.world.expansions_started == 12 == sim.archive.expansions_done()


def test_abandon_gives_up_in_flight_work() -> None:
    # Dollars are billed when work starts: the 10th expansion spends the budget while
    # three others still run; with on_stop=abandon they are given up, not waited for.
    limits = BudgetConfig(task_evaluations=None, dollars=20, workers=4, on_stop="abandon")
    sim = SimRun(policy_factory("oracle"), 20, 2, LandscapeConfig(workers=4),
                 budget_config=limits)
    sim.run()
    assert sim.loop.inflight == {}
    assert sim.world.expansions_started == 10
    assert sim.archive.outcomes.get("abandoned", 0) == 3
    assert sim.archive.expansions_done() == 7 == sim.state.n - 1


def test_run_policies_engines() -> None:
    loop = run_policies(["hgm"], [0], 200)
    ref = run_policies(["hgm"], [0], 200, engine="reference")
    assert loop[0].pick == ref[0].pick
    with pytest.raises(ValueError, match="engine"):
        run_policies(["hgm"], [0], 200, engine="nope")
