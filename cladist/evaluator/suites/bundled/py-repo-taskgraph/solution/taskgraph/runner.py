"""Running a graph."""

from taskgraph.order import plan


def run(graph, actions):
    """Call actions[task]() for each task in plan order.

    Returns {task: status}: "ok" if the action returned, "failed" if it raised, "skipped"
    if it was not run because a dependency failed or was skipped.
    """
    results = {}
    for task in plan(graph):
        if any(results[dep] != "ok" for dep in graph.deps(task)):
            results[task] = "skipped"
            continue
        try:
            actions[task]()
        except Exception:
            results[task] = "failed"
        else:
            results[task] = "ok"
    return results
