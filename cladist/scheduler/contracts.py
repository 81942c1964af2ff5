"""The scheduler's contracts: the decisions a policy returns, the budget it sees, the protocol.

A run loop drives a policy like this (one decision per free worker)::

    policy = make_policy(config)                    # cladist.scheduler.policies
    state = restore_state(store, task_ids)   # cladist.scheduler.restore
    while budget left and a worker is free:
        decision = policy.decide(state, Budget(total, spent))
        Expand(p)        -> state.start_expansion(p); ... later
                            state.finish_expansion(p, outcome, child_id)
        Evaluate(a, ts)  -> state.start_evaluation(a, ts); ... later, per task,
                            state.finish_evaluation(a, task, verdict)
        Wait()           -> wait for in-flight work to return (if nothing is in flight,
                            nothing can ever be done: stop)
    best = policy.final_pick(state)

A policy is stateless between calls except for its random generator: everything it decides
on is in the :class:`~cladist.scheduler.state.TreeState`, so a resumed run only has to
rebuild the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cladist.scheduler.state import TreeState


@dataclass(frozen=True)
class Expand:
    """Run one self-improvement step on ``parent_id``."""

    parent_id: int


@dataclass(frozen=True)
class Evaluate:
    """Evaluate ``agent_id`` on ``task_ids`` (one task for HGM, a stage for DGM). The loop
    may start only a prefix of the tasks (e.g. when the budget is nearly spent); the
    policy asks for the rest again later."""

    agent_id: int
    task_ids: tuple[str, ...]


@dataclass(frozen=True)
class Wait:
    """Nothing can be started until in-flight work returns; ``reason`` is for display."""

    reason: str = ""


Decision = Expand | Evaluate | Wait


@dataclass(frozen=True)
class Budget:
    """How much of the run's budget is committed: ``total`` B and ``spent`` (in flight
    included), in any one unit (task evaluations, dollars, or a 0..1 fraction of the most
    binding budget). The HGM temperature is τ = B / b with b = total - spent.

    Raises ValueError when ``total`` is not positive or ``spent`` is negative.
    """

    total: float
    spent: float = 0.0

    def __post_init__(self) -> None:
        if not self.total > 0:
            raise ValueError(f"budget total must be positive, got {self.total!r}")
        if not self.spent >= 0:
            raise ValueError(f"budget spent must be >= 0, got {self.spent!r}")

    @property
    def remaining(self) -> float:
        """b = total - spent, never below zero."""
        return max(self.total - self.spent, 0.0)


@runtime_checkable
class Policy(Protocol):
    """Chooses what to expand and what to evaluate, and which agent is the answer."""

    name: str

    def decide(self, state: TreeState, budget: Budget) -> Decision:
        """The next piece of work to start. Pure with respect to ``state`` (the caller
        applies the decision through the state's ``start_*`` methods). Never raises for a
        consistent state; an empty tree gives ``Wait``."""
        ...

    def final_pick(self, state: TreeState) -> int | None:
        """The agent id the run answers with, or None when no agent can be picked."""
        ...
