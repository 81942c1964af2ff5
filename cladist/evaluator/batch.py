"""Evaluating one archived agent on many tasks with concurrent workers, recording each
result in the run as soon as it is graded (so nothing finished is lost)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from cladist import scratch
from cladist.archive.records import Verdict
from cladist.archive.run import Run
from cladist.config import Config
from cladist.errors import CladistError, ModelUnavailableError
from cladist.evaluator.contracts import Task, TaskResult
from cladist.evaluator.evaluate import EvalContext, evaluate
from cladist.evaluator.record import record_results
from cladist.llm.outage import MODEL_UNAVAILABLE, PROVIDER_DOWN_LIMIT, is_provider_down


@dataclass(frozen=True)
class Summary:
    """Scores of a batch: pass@1 over scored tasks, pass@2 when a second attempt ran, and
    the tasks left with an infra error after retries (not scored)."""

    tasks: int
    scored: int
    passed_1: int
    passed_2: int
    infra_errors: int

    @property
    def pass_at_1(self) -> float:
        """Fraction of scored tasks passed at the first attempt."""
        return self.passed_1 / self.scored if self.scored else 0.0

    @property
    def pass_at_2(self) -> float:
        """Fraction of scored tasks passed within two attempts."""
        return self.passed_2 / self.scored if self.scored else 0.0


def summarize(results: dict[str, list[TaskResult]]) -> Summary:
    """Fold per-task result lists (as :func:`evaluate` returns them) into a Summary."""
    scored = passed_1 = passed_2 = infra = 0
    for attempts in results.values():
        final = [r for r in attempts if r.verdict != Verdict.INFRA_ERROR]
        if not final:
            infra += 1
            continue
        scored += 1
        first_pass = any(r.attempt == 1 and r.verdict == Verdict.PASS for r in final)
        passed_1 += first_pass
        passed_2 += first_pass or any(r.verdict == Verdict.PASS for r in final)
    return Summary(len(results), scored, passed_1, passed_2, infra)


def evaluate_node(run: Run, node_id: int, tasks: list[Task], ctx: EvalContext, workers: int,
                  on_result: Callable[[Task, list[TaskResult]], None] | None = None
                  ) -> dict[str, list[TaskResult]]:
    """Evaluate node ``node_id`` of ``run`` on ``tasks`` with ``workers`` threads; each
    task's results are recorded when it finishes and passed to ``on_result``. Raises
    NotFoundError for an unknown node, and ModelUnavailableError (after recording what
    finished, without starting more tasks) when ``PROVIDER_DOWN_LIMIT`` tasks in a row
    were lost because the model provider did not answer. At most ``workers`` tasks are in
    flight: the next starts when one ends."""
    results: dict[str, list[TaskResult]] = {}
    down: list[str] = []  # the reasons of the tasks lost in a row to a provider outage
    with scratch.shared("agent") as tmp:
        agent_dir = run.agents.materialize(run.node_commit(node_id), Path(tmp) / "agent")
        agent_dir.chmod(0o755)
        queue = iter(tasks)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cladist-eval") as pool:
            running: dict[Future[list[TaskResult]], Task] = {}

            def start_next() -> None:
                task = next(queue, None)
                if task is not None:
                    running[pool.submit(evaluate, ctx, agent_dir, node_id, task)] = task

            for _ in range(max(workers, 1)):
                start_next()
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    outcome = future.result()
                    record_results(run, node_id, outcome)  # only this thread records
                    results[task.id] = outcome
                    if on_result is not None:
                        on_result(task, outcome)
                    last = outcome[-1]
                    down = [*down, str(last.infra_reason)] if is_provider_down(
                        last.infra_reason) else []
                    if len(down) < PROVIDER_DOWN_LIMIT:  # else: let the running ones end
                        start_next()
    if len(down) >= PROVIDER_DOWN_LIMIT:
        raise ModelUnavailableError(
            f"{MODEL_UNAVAILABLE}: {len(down)} tasks in a row were lost because the model "
            f"provider did not answer (last: {down[-1]}); {len(tasks) - len(results)} of "
            f"{len(tasks)} tasks were not run, the {len(results)} finished are in run {run.id}")
    return results


def eval_agent(config: Config, agent: str,
               on_start: Callable[[Run, list[Task]], None] | None = None,
               on_result: Callable[[Task, list[TaskResult]], None] | None = None
               ) -> tuple[Run, dict[str, list[TaskResult]]]:
    """``cladist eval``: a run whose root is the agent at ``agent`` (a folder or a bundled
    agent name), evaluated on the configured tasks; returns the run (closed) and results.

    Raises what loading the suite, the provider (e.g. a missing key or local model) and the
    sandbox backend raise, before anything is evaluated; ModelUnavailableError when the
    provider stays down (see :func:`evaluate_node`; the run is then stopped, not finished).
    """
    from cladist.evaluator.evaluate import make_context
    from cladist.evaluator.selection import select_tasks
    from cladist.llm.factory import make_gateway

    tasks = select_tasks(config.evaluator, config.run.random_seed)
    ready_images(config, tasks)  # before the run exists: a missing image leaves no run behind
    name = "eval" if config.run.name == "run" else config.run.name
    config = config.model_copy(update={"run": config.run.model_copy(
        update={"seed_agent": agent, "name": name})})
    run = Run.create(config)
    try:
        run.store.set_run_status("running")
        gateway = make_gateway(config, run=run)
        try:
            ctx = make_context(config, gateway, run.id)
            if on_start is not None:
                on_start(run, tasks)
            results = evaluate_node(run, 0, tasks, ctx, config.budget.workers, on_result)
        finally:
            gateway.close()
            if gateway.provider is not None:
                gateway.provider.close()
        run.store.set_run_status("finished", "evaluated every task")
    except BaseException as err:
        why = str(err) if isinstance(err, CladistError) else f"{type(err).__name__}: {err}"
        run.store.set_run_status("stopped", why[:500])
        raise
    finally:
        run.close()
    return run, results


def check_backend(config: Config, tasks: list[Task]) -> None:
    """Tasks whose tools live only in Docker images need the Docker backend (bubblewrap
    runs the host's): those of a suite's own grading (they run in the images they name)
    and those of a runner that says so. Raises UsageError (one line naming a task) for
    such a task with another backend."""
    if config.sandbox.backend == "docker":
        return
    from cladist.errors import UsageError
    from cladist.evaluator.runners import runner_for

    needing: dict[str, list[str]] = {}
    for task in tasks:
        why = (f"{task.suite} runs agents in the images its tasks name"
               if task.grading is not None else runner_for(task.runner).needs_docker)
        if why:
            needing.setdefault(why, []).append(task.id)
    for why, ids in needing.items():
        raise UsageError(f"{why}: it needs sandbox.backend=docker ({len(ids)} "
                         f"task{'s' if len(ids) > 1 else ''}, e.g. {ids[0]})")


def ready_images(config: Config, tasks: list[Task]) -> None:
    """Before an evaluation starts: :func:`check_backend`, then every image the tasks name
    that cladist does not build (SWE-bench's instance images) made present (pulled when
    missing). Raises UsageError (see check_backend), SandboxUnavailable (one line) when the
    engine does not answer, an image is missing and cannot be pulled, or the disk is too
    full for the missing ones."""
    check_backend(config, tasks)
    if config.sandbox.backend != "docker":
        return
    from cladist.sandbox.images import bundled_recipes

    recipes = bundled_recipes()
    images = [t.image for t in tasks if t.image not in recipes]
    if not images:
        return
    from cladist.sandbox.docker import docker_client
    from cladist.sandbox.external import pull_missing

    client = docker_client()
    try:
        pull_missing(client, images)
    finally:
        client.close()
