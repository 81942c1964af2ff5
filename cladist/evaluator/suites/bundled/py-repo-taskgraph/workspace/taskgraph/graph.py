"""The task graph."""


class Graph:
    """Named tasks, each with the names of the tasks it depends on."""

    def __init__(self):
        self._deps = {}

    def add(self, name, deps=()):
        """Add a task; adding the same name twice raises ValueError."""
        if name in self._deps:
            raise ValueError(f"task {name!r} already exists")
        self._deps[name] = tuple(deps)

    def tasks(self):
        """All task names, sorted."""
        return sorted(self._deps)

    def deps(self, name):
        """The names task ``name`` depends on, as given to add()."""
        return self._deps[name]

    def dependents(self, name):
        """Sorted names of the tasks that depend directly on ``name``."""
        return sorted(t for t, deps in self._deps.items() if name in deps)

    def __contains__(self, name):
        return name in self._deps

    def __len__(self):
        return len(self._deps)
