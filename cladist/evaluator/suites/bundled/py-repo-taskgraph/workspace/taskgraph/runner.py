"""Running a graph."""

from taskgraph.order import plan


def run(graph, actions):
    """Call actions[task]() for each task in plan order.

    Returns {task: status}: "ok" if the action returned, "failed" if it raised, "skipped"
    if it was not run.
    """
    results = {}
    for task in plan(graph):
        try:
            actions[task]()
        except Exception:
            results[task] = "failed"
        else:
            results[task] = "ok"
    return results
