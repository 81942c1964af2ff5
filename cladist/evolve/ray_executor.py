"""The Ray executor: evaluations and the worker half of expansions as Ray tasks, on
whatever node of the cluster they land on; the driver alone writes the archive.

With no address a local Ray cluster is started (and stopped at shutdown); with one, the
driver joins that cluster. Each task gets the configuration as YAML, the agent's code as a
tar (put once per node in the object store) and the driver's ledger figures for its run
and node, so the per-call budgets hold on the worker too; the environment variables the
provider and the Docker client need are passed from the driver's environment when set
there (else the worker's own environment is used). Every worker node needs cladist, a
Docker engine, and (for non-bundled suites) the suite's files at the configured paths.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from typing import Any

from cladist.archive.run import Run
from cladist.errors import CladistError
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.expand import ExpansionJob
from cladist.evolve.work import WorkDone

PASSED_ENV = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def env_for(config: Any) -> dict[str, str]:
    """The variables of the driver's environment a worker needs for ``config``: the
    provider's key variable and the Docker client's, those that are set."""
    names = list(PASSED_ENV)
    key = config.llm.api_key_env or KEY_ENV.get(config.llm.provider)
    if key:
        names.append(key)
    return {name: os.environ[name] for name in names if name in os.environ}


class RayExecutor:
    """Ray tasks on a cluster at ``address`` (None: start a local cluster with room for
    ``workers`` tasks). Raises CladistError when ray is not installed or the cluster
    cannot be reached."""

    def __init__(self, workers: int, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise CladistError("the ray executor needs Ray: pip install 'cladist[ray]'"
                               ) from None
        self.ray = ray
        self.workers = workers
        self._started = False
        if not ray.is_initialized():
            options: dict[str, Any] = {"address": address or None, "log_to_driver": False,
                                       "logging_level": "WARNING",
                                       "configure_logging": True}
            if not address:
                options |= {"num_cpus": max(workers, os.cpu_count() or 1),
                            "include_dashboard": False}
            try:
                ray.init(**options)
            except Exception as err:
                where = address or "a local cluster"
                raise CladistError(f"ray: cannot start or join {where}: "
                                   f"{type(err).__name__}: {err}"[:500]) from None
            self._started = True
        from cladist.evolve.ray_tasks import evaluate_remote, expand_remote

        self._evaluate = ray.remote(max_retries=1)(evaluate_remote)
        self._expand = ray.remote(max_retries=1)(expand_remote)
        self._code: dict[tuple[str, int], Any] = {}
        self._pending: set[Any] = set()
        self._lock = threading.Lock()

    def _options(self, ctx: EvalContext) -> dict[str, Any]:
        return {"runtime_env": {"env_vars": env_for(ctx.config)}}

    def _track(self, ref: Any) -> Future[WorkDone]:
        future: Future[WorkDone] = ref.future()
        with self._lock:
            self._pending.add(ref)

        def forget(_: Future[WorkDone]) -> None:
            with self._lock:
                self._pending.discard(ref)

        future.add_done_callback(forget)
        return future

    def _seeds(self, ctx: EvalContext, node_id: int) -> list[tuple[str, str, int, float]]:
        from cladist.llm.session import SessionIdentity

        gateway, run_id = ctx.gateway, ctx.run_id
        gateway.seed_node(SessionIdentity(run_id, node_id, "evaluation"))
        node_key = f"{run_id}:{node_id}"
        return [("run", run_id, *gateway.ledger.spent("run", run_id)),
                ("node", node_key, *gateway.ledger.spent("node", node_key))]

    def submit_evaluation(self, run: Run, ctx: EvalContext, node_id: int, task: Task
                          ) -> Future[WorkDone]:
        """Evaluate node ``node_id`` on ``task`` in a Ray task (the task is looked up by id
        in the configured suite on the worker)."""
        key = (run.id, node_id)
        if key not in self._code:
            self._code[key] = self.ray.put(run.agents.archive_bytes(run.node_commit(node_id)))
        ref = self._evaluate.options(**self._options(ctx)).remote(
            ctx.config.to_yaml(), run.id, self._code[key], node_id, task.id,
            self._seeds(ctx, node_id))
        return self._track(ref)

    def submit_expansion(self, ctx: EvalContext, job: ExpansionJob) -> Future[WorkDone]:
        """Run the worker half of the expansion in a Ray task."""
        ref = self._expand.options(**self._options(ctx)).remote(
            ctx.config.to_yaml(), job, self._seeds(ctx, job.parent_id))
        return self._track(ref)

    def wait(self, futures: list[Future[WorkDone]], timeout: float) -> set[Future[WorkDone]]:
        """See :func:`cladist.evolve.executors.wait_first`."""
        from cladist.evolve.executors import wait_first

        return wait_first(futures, timeout)

    def shutdown(self, wait: bool) -> None:
        """Without ``wait``, cancel the tasks still running; then stop the local cluster
        if this executor started it."""
        if not wait:
            with self._lock:
                pending = list(self._pending)
            for ref in pending:
                try:
                    self.ray.cancel(ref, force=True)
                except Exception:  # already finished or lost: nothing to cancel
                    pass
        if self._started:
            self.ray.shutdown()
            self._started = False
