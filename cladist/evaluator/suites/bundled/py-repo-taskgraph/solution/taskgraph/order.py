"""Execution plans."""

import heapq

from taskgraph.errors import CycleError, UnknownTaskError


def _check_known(graph):
    for task in graph.tasks():
        for dep in graph.deps(task):
            if dep not in graph:
                raise UnknownTaskError(task, dep)


def _find_cycle(graph, stuck):
    """A cycle among the stuck tasks (each depends on the next; first == last)."""
    path, seen = [], {}
    task = min(stuck)
    while task not in seen:
        seen[task] = len(path)
        path.append(task)
        task = min(dep for dep in graph.deps(task) if dep in stuck)
    return path[seen[task]:] + [task]


def plan(graph):
    """Task names in an order where every task comes after all of its dependencies.

    Among ready tasks the alphabetically smallest goes first. Raises UnknownTaskError for a
    dependency on a missing task and CycleError for a dependency cycle.
    """
    _check_known(graph)
    pending = {task: set(graph.deps(task)) for task in graph.tasks()}
    ready = [task for task in graph.tasks() if not pending[task]]
    heapq.heapify(ready)
    order = []
    while ready:
        task = heapq.heappop(ready)
        order.append(task)
        for other in graph.dependents(task):
            pending[other].discard(task)
            if not pending[other]:
                heapq.heappush(ready, other)
    if len(order) < len(pending):
        stuck = {task for task in pending if pending[task]}
        raise CycleError(_find_cycle(graph, stuck))
    return order
