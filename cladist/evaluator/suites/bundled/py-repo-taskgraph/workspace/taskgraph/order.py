"""Execution plans."""


def plan(graph):
    """Task names in an order where every task comes after all of its dependencies."""
    pending = {task: set(graph.deps(task)) for task in graph.tasks()}
    ready = [task for task in graph.tasks() if not pending[task]]
    order = []
    while ready:
        task = ready.pop(0)
        order.append(task)
        for other in graph.dependents(task):
            pending[other].discard(task)
            if not pending[other]:
                ready.append(other)
    return order
