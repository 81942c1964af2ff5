"""taskgraph: tasks with dependencies, execution plans and a runner."""

from taskgraph.errors import CycleError, TaskGraphError, UnknownTaskError
from taskgraph.graph import Graph
from taskgraph.order import plan
from taskgraph.runner import run

__all__ = ["CycleError", "Graph", "TaskGraphError", "UnknownTaskError", "plan", "run"]
