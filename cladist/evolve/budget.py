"""The run's budgets: task evaluations, expansions, dollars and wall clock; the run stops at
the first one spent. In-flight work counts as spent, so workers never overshoot."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cladist.config import BudgetConfig
from cladist.llm.outage import MODEL_UNAVAILABLE


@dataclass
class Usage:
    """What the run has used so far (finished plus in flight)."""

    evaluations: int = 0
    expansions: int = 0
    dollars: float = 0.0
    seconds: float = 0.0


class BudgetTracker:
    """Compares usage with the configured limits.

    ``elapsed_before`` is wall-clock time spent by earlier sessions of a resumed run.
    """

    def __init__(self, config: BudgetConfig, elapsed_before: float = 0.0):
        self.config = config
        self.elapsed_before = elapsed_before
        self.started = time.monotonic()

    def seconds(self) -> float:
        """Wall-clock seconds of the run, earlier sessions included."""
        return self.elapsed_before + time.monotonic() - self.started

    def limits(self) -> dict[str, float]:
        """The configured limits by name (unset ones left out)."""
        found = {"task_evaluations": self.config.task_evaluations,
                 "expansions": self.config.expansions, "dollars": self.config.dollars,
                 "wall_clock_s": self.config.wall_clock_s}
        return {name: float(value) for name, value in found.items() if value is not None}

    def used(self, usage: Usage) -> dict[str, float]:
        """Usage by the same names as :meth:`limits`."""
        return {"task_evaluations": usage.evaluations, "expansions": usage.expansions,
                "dollars": usage.dollars, "wall_clock_s": self.seconds()}

    def fraction(self, usage: Usage) -> float:
        """How much of the most binding budget is used, from 0 to 1 (0 with no limits)."""
        used = self.used(usage)
        shares = [used[name] / limit for name, limit in self.limits().items() if limit > 0]
        return min(max(shares, default=0.0), 1.0)

    def spent(self, usage: Usage, *, expanding: bool = False) -> str | None:
        """The name and figures of the first budget spent (None while all have room).

        With ``expanding``, the expansion budget is checked as for starting one more.
        """
        used = self.used(usage)
        for name, limit in self.limits().items():
            if used[name] >= limit:
                shown = f"{used[name]:.2f}" if name in ("dollars", "wall_clock_s") else (
                    f"{used[name]:.0f}")
                return f"{name} ({shown} of {limit:g})"
        return None

    def can_expand(self, usage: Usage) -> bool:
        """Whether one more expansion fits the expansion budget."""
        limit = self.config.expansions
        return limit is None or usage.expansions < limit

    def can_evaluate(self, usage: Usage, tasks: int) -> bool:
        """Whether ``tasks`` more evaluations fit the evaluation budget."""
        limit = self.config.task_evaluations
        return limit is None or usage.evaluations + tasks <= limit


INFRA_FAILING = "infrastructure failing"
"""How the stop reason of a run whose sandboxes or engine keep failing begins."""


def infra_stop(reason: str | None) -> bool:
    """Whether a run's stop ``reason`` is an infrastructure stop (the command fails)."""
    return bool(reason) and str(reason).startswith((INFRA_FAILING, MODEL_UNAVAILABLE))


class InfraStreak:
    """Consecutive pieces of work lost to infrastructure faults, and the agents they hit.

    The run stops as "infrastructure failing" only on faults no single agent can be
    blamed for: ``limit`` in a row across at least two agents, or ``limit * 3`` in a row
    when only one agent is being worked on (a run of one agent whose sandboxes all fail).
    A provider that is down is no agent's fault at all (the evaluator confirmed it with a
    probe): ``provider_limit`` pieces of work in a row lost to it stop the run as "model
    unavailable", whatever agents they were for. Any scored result or finished expansion
    ends both streaks; another kind of fault ends the provider's.
    """

    def __init__(self, limit: int = 10, provider_limit: int = 2):
        self.limit = limit
        self.provider_limit = provider_limit
        self.count = 0
        self.provider_count = 0
        self.agents: set[int] = set()
        self.last: str | None = None

    def fault(self, agent: int, reason: str | None, *, provider_down: bool = False) -> None:
        """One more piece of work on ``agent`` lost to an infrastructure fault;
        ``provider_down`` when the model provider did not answer."""
        self.count += 1
        self.provider_count = self.provider_count + 1 if provider_down else 0
        self.agents.add(agent)
        self.last = reason

    def success(self) -> None:
        """A piece of work came back with a result: the streak ends."""
        self.count, self.provider_count, self.agents, self.last = 0, 0, set(), None

    def stop_reason(self) -> str | None:
        """Why the run should stop, or None."""
        if self.provider_count >= self.provider_limit:
            return (f"{MODEL_UNAVAILABLE}: {self.provider_count} pieces of work in a row "
                    f"were lost because the model provider did not answer (last: "
                    f"{self.last})")
        if self.count >= self.limit and (len(self.agents) >= 2 or
                                         self.count >= 3 * self.limit):
            return (f"{INFRA_FAILING}: {self.count} pieces of work in a row on "
                    f"{len(self.agents)} agent(s) failed (last: {self.last})")
        return None
