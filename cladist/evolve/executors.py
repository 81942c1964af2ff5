"""Where work runs: threads of this process (``local``) or tasks of a Ray cluster
(``ray``), behind one interface returning futures. The driver alone folds results into the
archive and the tree state."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from cladist.errors import UsageError


class Executor(Protocol):
    """Runs callables somewhere and hands back futures."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Start ``fn(*args)``; the future holds its return value."""
        ...

    def shutdown(self, wait: bool) -> None:
        """Stop accepting work; with ``wait``, wait for what is running."""
        ...


class LocalExecutor:
    """Worker threads in this process (sandboxes do the heavy lifting in containers)."""

    def __init__(self, workers: int):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cladist-worker")

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` on a worker thread."""
        return self.pool.submit(fn, *args)

    def shutdown(self, wait: bool) -> None:
        """Stop the pool; without ``wait`` queued work is cancelled."""
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


def make_executor(kind: str, workers: int, ray_address: str | None = None) -> Executor:
    """The executor named ``kind`` (local or ray). Raises UsageError for another name."""
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "ray":
        from cladist.evolve.ray_executor import RayExecutor

        return RayExecutor(workers, ray_address)
    raise UsageError(f"executor {kind!r}: unknown (allowed: local, ray)")
