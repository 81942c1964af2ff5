"""The Ray executor: both kinds of job as Ray tasks, on whatever node of the cluster they
land on; the driver alone writes the archive.

With no address a local Ray cluster is started (and stopped at shutdown); with one, the
driver joins that cluster. Each task gets the configuration as YAML, the agent's code as a
tar (put once per commit in the object store) and the driver's ledger figures for its run
and node, so the per-call budgets hold on the worker too; the environment variables the
provider and the Docker client need are passed from the driver's environment when set
there (else the worker's own environment is used). Every worker node needs cladist, a
Docker engine, and (for non-bundled suites) the suite's files at the configured paths.

The task bodies (:func:`evaluate_remote`, :func:`expand_remote`) rebuild what they need
from plain data: a gateway with the configured provider (keys from the worker's
environment) recording into a temporary folder, and an evaluation context for the
configured sandbox backend; they return the result and the recordings as a
:class:`~cladist.evolve.jobs.WorkDone` and never touch the archive. The provider, the
sandbox half of the context and the suite's tasks are built once per worker process.
"""

from __future__ import annotations

import atexit
import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import replace
from pathlib import Path
from typing import Any

from cladist import scratch
from cladist.config import Config
from cladist.errors import CladistError
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.jobs import EvaluationJob, ExpansionJob, WorkDone

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


Seeds = list[tuple[str, str, int, float]]
"""Ledger entries (scope, key, tokens, dollars) the driver had spent when it submitted."""

_cache: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def _cached(kind: str, key: str, build: Callable[[], Any]) -> Any:
    with _lock:
        if (kind, key) not in _cache:
            _cache[(kind, key)] = build()
        return _cache[(kind, key)]


def _config(config_yaml: str) -> Config:
    import yaml

    from cladist.config import validate_config

    return _cached("config", config_yaml,
                   lambda: validate_config(yaml.safe_load(config_yaml)))


def _provider(config: Config) -> Any:
    from cladist.llm.factory import make_provider

    def build() -> Any:
        provider = make_provider(config.llm)
        atexit.register(provider.close)
        return provider

    return _cached("provider", config.llm.model_dump_json(), build)


def _base_context(config: Config, config_yaml: str) -> EvalContext:
    from cladist.evaluator.evaluate import make_context

    return _cached("context", config_yaml, lambda: make_context(config, None))


def _run(config_yaml: str, run_id: str, seeds: Seeds, work: Callable[[EvalContext], Any]
         ) -> WorkDone:
    """Run ``work(ctx)`` with a fresh folder-recording gateway; returns its value and the
    recordings. Raises what building the provider or the sandbox context raises."""
    from cladist.llm.factory import make_budgets
    from cladist.llm.gateway import Gateway
    from cladist.llm.pricing import PriceTable
    from cladist.llm.transfer import export_folder

    config = _config(config_yaml)
    provider = _provider(config)
    folder = scratch.make("rayllm")
    try:
        gateway = Gateway(provider, folder=folder,
                          budgets=make_budgets(config.llm, config.budget),
                          prices=getattr(provider, "prices", None)
                          or PriceTable(config.llm.prices),
                          default_max_tokens=config.llm.max_tokens)
        for scope, key, tokens, dollars in seeds:
            gateway.ledger.seed(scope, key, tokens, dollars)
        try:
            ctx = replace(_base_context(config, config_yaml), gateway=gateway, run_id=run_id)
            value = work(ctx)
        finally:
            gateway.close()
        return WorkDone(value, export_folder(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def evaluate_remote(config_yaml: str, run_id: str, agent_tar: bytes, node_id: int,
                    task_id: str, seeds: Seeds) -> WorkDone:
    """Evaluate the agent packed in ``agent_tar`` (node ``node_id``) on task ``task_id`` of
    the configured suite; never raises for what the agent or the sandbox does."""
    from cladist.archive.safetree import extract_tree
    from cladist.evaluator.selection import select_tasks
    from cladist.evolve.worker import fault_results, perform_evaluation

    config = _config(config_yaml)
    seed = config.run.random_seed
    tasks = _cached("tasks", config_yaml,
                    lambda: {t.id: t for t in select_tasks(config.evaluator, seed)})
    if task_id not in tasks:
        return WorkDone(fault_results(task_id, f"task {task_id!r} is not in the configured "
                                      "suite on this worker"))
    with scratch.shared("rayagent") as tmp:
        agent_dir = extract_tree(agent_tar, Path(tmp) / "agent")
        agent_dir.chmod(0o755)
        job = EvaluationJob(run_id, node_id, "", b"", tasks[task_id])
        return _run(config_yaml, run_id, seeds,
                    lambda ctx: perform_evaluation(job, ctx, agent_dir))


def expand_remote(config_yaml: str, job: ExpansionJob, seeds: Seeds) -> WorkDone:
    """The worker half of an expansion (see
    :func:`~cladist.evolve.worker.perform_expansion`)."""
    from cladist.evolve.worker import perform_expansion

    return _run(config_yaml, job.run_id, seeds, lambda ctx: perform_expansion(job, ctx))


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
        self._evaluate = ray.remote(max_retries=1)(evaluate_remote)
        self._expand = ray.remote(max_retries=1)(expand_remote)
        self._code: dict[str, Any] = {}
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
        from cladist.llm.identity import SessionIdentity

        gateway, run_id = ctx.gateway, ctx.run_id
        assert gateway is not None  # the driver's gateway meters what the workers spend
        gateway.seed_node(SessionIdentity(run_id, node_id, "evaluation"))
        node_key = f"{run_id}:{node_id}"
        return [("run", run_id, *gateway.ledger.spent("run", run_id)),
                ("node", node_key, *gateway.ledger.spent("node", node_key))]

    def submit_evaluation(self, ctx: EvalContext, job: EvaluationJob) -> Future[WorkDone]:
        """Evaluate in a Ray task: the code goes to the object store once per commit, the
        task by id (looked up in the configured suite on the worker)."""
        if job.agent_sha not in self._code:
            self._code[job.agent_sha] = self.ray.put(job.agent_tar)
        ref = self._evaluate.options(**self._options(ctx)).remote(
            ctx.config.to_yaml(), job.run_id, self._code[job.agent_sha], job.node_id,
            job.task.id, self._seeds(ctx, job.node_id))
        return self._track(ref)

    def submit_expansion(self, ctx: EvalContext, job: ExpansionJob) -> Future[WorkDone]:
        """Run the worker half of the expansion in a Ray task."""
        ref = self._expand.options(**self._options(ctx)).remote(
            ctx.config.to_yaml(), job, self._seeds(ctx, job.parent_id))
        return self._track(ref)

    def wait(self, futures: list[Future[WorkDone]], timeout: float) -> set[Future[WorkDone]]:
        """The done ones among ``futures`` once one is done (empty after ``timeout``)."""
        return wait(futures, timeout=timeout, return_when=FIRST_COMPLETED).done

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
