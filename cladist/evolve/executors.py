"""Where work runs: threads of this process (``local``) or tasks of a Ray cluster
(``ray``, :mod:`cladist.evolve.ray`), behind one interface taking the jobs of
:mod:`cladist.evolve.jobs` and returning futures of their
:class:`~cladist.evolve.jobs.WorkDone`. An executor never sees the archive: the driver
packs every job and alone folds results back (:mod:`cladist.evolve.driver`)."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Protocol

from cladist import scratch
from cladist.archive.safetree import extract_tree
from cladist.errors import UsageError
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.jobs import EvaluationJob, ExpansionJob, WorkDone


class Executor(Protocol):
    """Runs evaluations and the worker half of expansions somewhere; hands back futures."""

    def submit_evaluation(self, ctx: EvalContext, job: EvaluationJob) -> Future[WorkDone]:
        """Start the evaluation ``job``; the future holds a WorkDone with the list of
        TaskResult."""
        ...

    def submit_expansion(self, ctx: EvalContext, job: ExpansionJob) -> Future[WorkDone]:
        """Start the worker half of an expansion; the future holds a WorkDone with the
        ExpansionWork."""
        ...

    def wait(self, futures: list[Future[WorkDone]], timeout: float) -> set[Future[WorkDone]]:
        """Wait up to ``timeout`` seconds until at least one of ``futures`` is done; the
        done ones (empty on timeout). A simulated executor advances its clock instead."""
        ...

    def shutdown(self, wait: bool) -> None:
        """Stop accepting work; with ``wait``, wait for what is running."""
        ...


def wait_first(futures: list[Future[WorkDone]], timeout: float) -> set[Future[WorkDone]]:
    """The done ones among ``futures`` once at least one is done (or ``timeout`` passed)."""
    return wait(futures, timeout=timeout, return_when=FIRST_COMPLETED).done


class LocalExecutor:
    """Worker threads in this process (sandboxes do the heavy lifting in containers); LLM
    calls are recorded straight into the run by the driver's gateway."""

    def __init__(self, workers: int):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cladist-worker")
        self._dirs: dict[str, Path] = {}
        self._root: Path | None = None
        self._lock = threading.Lock()

    def submit_evaluation(self, ctx: EvalContext, job: EvaluationJob) -> Future[WorkDone]:
        """Evaluate on a worker thread, the agent's code unpacked once per commit."""
        from cladist.evolve.worker import perform_evaluation

        def work() -> WorkDone:
            return WorkDone(perform_evaluation(job, ctx, self._agent_dir(job)))

        return self.pool.submit(work)

    def submit_expansion(self, ctx: EvalContext, job: ExpansionJob) -> Future[WorkDone]:
        """Run the worker half of the expansion on a worker thread."""
        from cladist.evolve.worker import perform_expansion

        return self.pool.submit(lambda: WorkDone(perform_expansion(job, ctx)))

    def wait(self, futures: list[Future[WorkDone]], timeout: float) -> set[Future[WorkDone]]:
        """See :func:`wait_first`."""
        return wait_first(futures, timeout)

    def shutdown(self, wait: bool) -> None:
        """Stop the pool (without ``wait`` queued work is cancelled) and remove the agents'
        code (work abandoned meanwhile is not recorded anyway)."""
        self.pool.shutdown(wait=wait, cancel_futures=not wait)
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    def _agent_dir(self, job: EvaluationJob) -> Path:
        """The job's code unpacked once per commit for this executor (read-only mount
        source), in a scratch dir every sandbox uid can reach (removed at shutdown).
        Raises UnsafeTreeError for a tar that holds a link or a special file."""
        with self._lock:
            if job.agent_sha not in self._dirs:
                if self._root is None:
                    self._root = scratch.make("agents")
                    self._root.chmod(0o711)
                folder = extract_tree(job.agent_tar,
                                      self._root / f"{len(self._dirs)}-n{job.node_id}")
                folder.chmod(0o755)
                self._dirs[job.agent_sha] = folder
            return self._dirs[job.agent_sha]


def make_executor(kind: str, workers: int, ray_address: str | None = None) -> Executor:
    """The executor named ``kind`` (local or ray). Raises UsageError for another name,
    CladistError when ray is asked for but not installed or not reachable."""
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "ray":
        from cladist.evolve.ray import RayExecutor

        return RayExecutor(workers, ray_address)
    raise UsageError(f"executor {kind!r}: unknown (allowed: local, ray)")
