"""The run's "infrastructure failing" stop counts only faults no single agent explains."""

from __future__ import annotations

from cladist.evolve.budget import INFRA_FAILING, MODEL_UNAVAILABLE, InfraStreak, infra_stop


def test_one_agents_faults_alone_do_not_stop_the_run_early() -> None:
    streak = InfraStreak(limit=10)
    for _ in range(29):
        streak.fault(7, "sandbox died")
        assert streak.stop_reason() is None
    streak.fault(7, "sandbox died")  # 3 x limit: nothing else is being worked on
    assert "30 pieces of work in a row on 1 agent(s)" in (streak.stop_reason() or "")


def test_faults_across_agents_stop_at_the_limit() -> None:
    streak = InfraStreak(limit=10)
    for i in range(9):
        streak.fault(i % 2, "engine down")
    assert streak.stop_reason() is None
    streak.fault(0, "engine down")
    reason = streak.stop_reason() or ""
    assert "10 pieces of work in a row on 2 agent(s)" in reason and "engine down" in reason


def test_a_result_ends_the_streak() -> None:
    streak = InfraStreak(limit=3)
    streak.fault(0, "a")
    streak.fault(1, "b")
    streak.success()
    streak.fault(2, "c")
    streak.fault(3, "d")
    assert streak.stop_reason() is None and streak.count == 2 and streak.agents == {2, 3}


def test_a_provider_that_is_down_stops_the_run_at_once_on_one_agent() -> None:
    streak = InfraStreak(limit=10, provider_limit=2)
    streak.fault(0, "the model did not answer: probe failed", provider_down=True)
    assert streak.stop_reason() is None
    streak.fault(0, "the model did not answer: probe failed again", provider_down=True)
    reason = streak.stop_reason() or ""
    assert reason.startswith(MODEL_UNAVAILABLE) and "probe failed again" in reason
    assert infra_stop(reason)


def test_another_fault_or_a_result_ends_the_providers_streak() -> None:
    streak = InfraStreak(limit=10, provider_limit=2)
    streak.fault(0, "down", provider_down=True)
    streak.fault(1, "sandbox died")  # not the provider: its streak starts again
    streak.fault(0, "down", provider_down=True)
    assert streak.stop_reason() is None and streak.count == 3
    streak.success()
    streak.fault(0, "down", provider_down=True)
    assert streak.stop_reason() is None


def test_which_stop_reasons_are_infrastructure_stops() -> None:
    assert infra_stop(f"{INFRA_FAILING}: 10 pieces of work in a row")
    assert not infra_stop("budget spent: task_evaluations (6 of 6)")
    assert not infra_stop("stopped by the user") and not infra_stop(None)
