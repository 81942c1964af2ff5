"""Helpers for scheduler tests: small trees built through the TreeState API."""

from __future__ import annotations

from cladist.scheduler.state import TreeState

TASKS = [f"t{k}" for k in range(20)]


def grow(state: TreeState, parents: list[int]) -> None:
    """Add agents 1.. under the given parents (agent 0 is the root, added here)."""
    state.add_agent(0, None)
    for child, parent in enumerate(parents, start=1):
        state.add_agent(child, parent)


def score(state: TreeState, agent: int, passes: int, fails: int) -> None:
    """Record ``passes`` passes then ``fails`` failures on the agent's first free tasks."""
    tasks = state.free_tasks(agent)[: passes + fails]
    state.start_evaluation(agent, tasks)
    for k, task in enumerate(tasks):
        state.finish_evaluation(agent, task, "pass" if k < passes else "fail")
