"""The worker side of the Ray executor: the bodies of the Ray tasks.

Each task rebuilds what it needs from plain data (the configuration as YAML, the agent's
code as a tar, task ids): a gateway with the configured provider (keys from the worker's
environment) recording into a temporary folder, and an evaluation context for the
configured sandbox backend. It returns its result and the recordings as a
:class:`~cladist.evolve.work.WorkDone`; it never touches the archive. The provider, the
sandbox half of the context and the suite's tasks are built once per worker process.
"""

from __future__ import annotations

import atexit
import shutil
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cladist import scratch
from cladist.config import Config
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.expand import ExpansionJob
from cladist.evolve.work import WorkDone

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
            ctx = replace(_base_context(config, config_yaml), gateway=gateway, run_id=run_id,
                          infra_log=[])
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
    from cladist.archive.codebase import extract_tree
    from cladist.evaluator.selection import select_tasks
    from cladist.evolve.work import evaluate_work, fault_results

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
        return _run(config_yaml, run_id, seeds,
                    lambda ctx: evaluate_work(ctx, agent_dir, node_id, tasks[task_id]))


def expand_remote(config_yaml: str, job: ExpansionJob, seeds: Seeds) -> WorkDone:
    """The worker half of an expansion (see
    :func:`~cladist.evolve.expand_worker.perform_expansion`)."""
    from cladist.evolve.expand_worker import perform_expansion

    return _run(config_yaml, job.run_id, seeds, lambda ctx: perform_expansion(job, ctx))
