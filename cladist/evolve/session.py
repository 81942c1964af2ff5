"""Starting and resuming evolution runs: ``cladist run``.

A session opens the run, repairs what a crash may have left (expansions still marked
running, missing node refs, orphan sandboxes and scratch dirs), rebuilds the tree state
from the archive, and drives :class:`~cladist.evolve.loop.Evolution` until it stops. Every
session ends with the run's status and stop reason recorded, whatever happened, so any run
can be resumed.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import Any

from cladist.archive.lineage import best_belief
from cladist.archive.queries import abandon_interrupted, sessions_seconds
from cladist.archive.records import RunEvent
from cladist.archive.run import Run
from cladist.config import Config

EventHook = Callable[[RunEvent], None]
"""Told each finished job's events (see :class:`cladist.evolve.loop.Evolution`)."""


def repair(run: Run) -> dict[str, int]:
    """Make a crashed run consistent before resuming; returns what was repaired."""
    fixed = {"expansions": abandon_interrupted(run.store), "refs": 0, "leftovers": 0}
    for node in run.store.nodes():
        try:
            run.agents.resolve(f"refs/nodes/{node.id}")
        except Exception:
            run.agents.set_node_ref(node.id, node.commit_sha)
            fixed["refs"] += 1
    try:
        from cladist.sandbox.cleanup import cleanup

        # this process holds the run: whatever is left of it belongs to a dead session
        fixed["leftovers"] = len(cleanup(run.id, include_live=True))
    except Exception:  # no engine here: nothing of ours can be running in it either
        pass
    shutil.rmtree(run.path / "tmp", ignore_errors=True)
    return fixed


def elapsed_before(run: Run) -> float:
    """Wall-clock seconds used by the run's earlier sessions."""
    return sessions_seconds(run.store)


def evolve(run: Run, config: Config, *, executor: str = "local",
           ray_address: str | None = None, on_event: EventHook | None = None,
           stop_hook: Callable[[Any], None] | None = None) -> str:
    """Run one session of evolution on ``run``; returns the stop reason (an infrastructure
    stop, :func:`~cladist.evolve.budget.infra_stop`, leaves the run ``stopped``).

    ``stop_hook(evolution)`` is called once the loop exists, so a caller (the CLI's
    Ctrl-C handler) can request a graceful stop. Raises RunLiveError when another process
    works on the run, and what building the suite, the provider or the sandbox backend
    raises, before any work starts.
    """
    from cladist.evaluator.evaluate import EvalContext, make_context
    from cladist.evaluator.selection import select_tasks
    from cladist.evolve.budget import BudgetTracker, infra_stop
    from cladist.evolve.driver import RunArchive
    from cladist.evolve.executors import make_executor
    from cladist.evolve.loop import Evolution
    from cladist.llm.factory import make_gateway
    from cladist.scheduler.policies import make_policy
    from cladist.scheduler.restore import restore_state

    run.claim()  # one process per run: a second one is refused (RunLiveError)
    tasks = select_tasks(config.evaluator, config.run.random_seed)
    from cladist.evaluator.batch import check_backend, ready_images

    if executor != "ray":  # the backend fits, and SWE-bench instance images are present
        ready_images(config, tasks)
    else:  # the workers pull images: here only a task whose tools need Docker is refused
        check_backend(config, tasks)
    repaired = repair(run)
    if any(repaired.values()):
        run.event("repaired", **repaired)
    state = restore_state(run.store, [task.id for task in tasks])
    # On Ray the model is called from the workers: the driver's gateway only meters what
    # they report (its ledger holds the run's dollars) and needs no provider or sandboxes.
    gateway = make_gateway(config, run=run, replay_only=executor == "ray")
    pool = None
    started = time.monotonic()
    reason = "crashed"
    status = "crashed"
    try:
        ctx = (make_context(config, gateway, run.id) if executor != "ray"
               else EvalContext(config, gateway, _no_sandbox, lambda name: name, run.id))
        pool = make_executor(executor, config.budget.workers, ray_address)
        archive = RunArchive(run, ctx, {task.id: task for task in tasks})
        loop = Evolution(archive, ctx, tasks, make_policy(config), state, pool,
                         BudgetTracker(config.budget, elapsed_before(run)), on_event)
        if stop_hook is not None:
            stop_hook(loop)
        run.store.set_run_status("running")
        run.event("session_started", executor=executor, tasks=len(tasks),
                  policy=config.scheduler.policy)
        reason = loop.run_loop()
        # a run the infrastructure (or the model) stopped did not finish: resume it
        status = "stopped" if loop.stop_requested.is_set() or infra_stop(reason) else "finished"
        return reason
    except KeyboardInterrupt:
        reason, status = "stopped by the user (at once)", "stopped"
        raise
    except BaseException as err:
        reason = f"crashed: {type(err).__name__}: {err}"[:500]
        raise
    finally:
        if pool is not None:
            finishing = config.budget.on_stop == "finish" and not reason.endswith("(at once)")
            pool.shutdown(wait=finishing)
        gateway.close()
        if gateway.provider is not None:
            gateway.provider.close()
        best = best_belief(run.store, config.archive.best_belief_epsilon)
        run.store.set_run_status(status, reason)
        run.event("session_stopped", reason=reason, status=status, best_belief=best,
                  elapsed_s=round(time.monotonic() - started, 3))


def _no_sandbox(spec: Any) -> Any:
    """The driver of a Ray run opens no sandbox: its workers do."""
    from cladist.errors import UsageError

    raise UsageError("sandboxes are opened by the Ray workers, not by the driver")
