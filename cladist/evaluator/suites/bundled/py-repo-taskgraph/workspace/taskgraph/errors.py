"""Errors raised by taskgraph."""


class TaskGraphError(Exception):
    """Base class of taskgraph errors."""


class UnknownTaskError(TaskGraphError):
    """A task depends on a task that does not exist."""

    def __init__(self, task, missing):
        self.task = task
        self.missing = missing
        super().__init__(f"task {task!r} depends on unknown task {missing!r}")


class CycleError(TaskGraphError):
    """Tasks depend on each other in a cycle; ``cycle`` lists it, first == last."""

    def __init__(self, cycle):
        self.cycle = list(cycle)
        super().__init__("dependency cycle: " + " -> ".join(self.cycle))
