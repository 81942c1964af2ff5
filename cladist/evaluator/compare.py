"""``cladist compare``: several agents on the same tasks, repeated, in one run folder, and
the paired statistics of :mod:`cladist.evaluator.stats`.

The comparison run stores each (agent, repeat) as a node of its own (the archive keeps one
scored result per node, task and attempt): node 0 is the first agent's first repeat, the
others are its children only for storage, each with the summary ``compare: LABEL (repeat
K)``; ``cladist show RUN N`` shows any of them. Repeats run in rounds (every agent once,
then again) so that a slow drift of the machine or the model touches all agents alike.
``--exclude-run`` leaves out every task a run evaluated, so an evolved agent is compared
on tasks it never saw. The report is also written as ``compare.json`` in the run folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cladist import scratch
from cladist.archive.records import NodeStatus, Verdict
from cladist.archive.run import Run, resolve_node, resolve_run
from cladist.config import Config
from cladist.errors import UsageError
from cladist.evaluator.contracts import Task, TaskResult
from cladist.evaluator.stats import AgentScore, PairScore, agent_score, pair_score

REPORT = "compare.json"


@dataclass(frozen=True)
class CompareReport:
    """What ``cladist compare`` prints: per agent its score, per pair the paired test,
    and the run holding every result."""

    run_id: str
    tasks: tuple[str, ...]
    excluded: int
    repeats: int
    agents: tuple[AgentScore, ...]
    pairs: tuple[PairScore, ...]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (the file ``compare.json``)."""
        return {**asdict(self), "method": "bootstrap over tasks (10,000 draws, 95%), "
                "two-sided sign-flip permutation test of the per-task differences"}


def held_out(tasks: list[Task], exclude_runs: Sequence[str], runs_dir: Path
             ) -> tuple[list[Task], int]:
    """``tasks`` without those any of ``exclude_runs`` evaluated; returns them and how
    many were left out. Raises NotFoundError for an unknown run."""
    seen: set[str] = set()
    for ref in exclude_runs:
        with Run.open(resolve_run(ref, runs_dir), read_only=True) as run:
            seen |= {r.task_id for r in run.store.results()}
    kept = [t for t in tasks if t.id not in seen]
    return kept, len(tasks) - len(kept)


def agent_folder(spec: str, runs_dir: Path, dest: Path) -> Path:
    """Write the agent ``spec`` names into ``dest``: a folder, a bundled agent (``seed``),
    ``RUN:NODE`` or ``RUN:best``. Raises NotFoundError or UsageError for a bad spec."""
    from cladist.agents import prepare_agent

    if Path(spec).is_dir() or ":" not in spec:
        return prepare_agent(spec, dest)
    run_ref, node_ref = spec.rsplit(":", 1)
    with Run.open(resolve_run(run_ref, runs_dir), read_only=True) as run:
        return run.agents.materialize(run.node_commit(resolve_node(run, node_ref)), dest)


def compare(config: Config, specs: Sequence[str], tasks: list[Task], *, repeats: int,
            excluded: int = 0, runs_dir: Path = Path("runs"),
            on_result: Callable[[str, Task, list[TaskResult]], None] | None = None
            ) -> CompareReport:
    """Evaluate every agent of ``specs`` ``repeats`` times on ``tasks`` in a new run and
    score them (see the module doc). Raises UsageError for fewer than two agents, no tasks
    or repeats below 1; what resolving an agent raises; and what evaluating raises
    (ModelUnavailableError when the model stays down: the run keeps what finished)."""
    if len(specs) < 2 or len(set(specs)) != len(specs):
        raise UsageError("compare needs two or more different agents (--agent, repeated)")
    if not tasks:
        raise UsageError("no task left to compare on (check --tasks/--tier/--exclude-run)")
    if repeats < 1:
        raise UsageError(f"--repeats {repeats}: at least 1")
    from cladist.evaluator.batch import evaluate_node, ready_images
    from cladist.evaluator.evaluate import make_context
    from cladist.llm.factory import make_gateway

    ready_images(config, tasks)  # SWE-bench images, before the run exists
    name = "compare" if config.run.name == "run" else config.run.name
    config = config.model_copy(update={"run": config.run.model_copy(update={"name": name})})
    with scratch.temporary("compare") as tmp:
        folders = [agent_folder(s, runs_dir, Path(tmp) / f"agent-{i}")
                   for i, s in enumerate(specs)]
        run = Run.create(config, folders[0])
        try:
            nodes = _nodes(run, specs, folders, repeats)
        except BaseException:
            run.close()
            raise
    outcomes: dict[str, dict[str, list[bool]]] = {s: {t.id: [] for t in tasks} for s in specs}
    try:
        run.store.set_run_status("running")
        gateway = make_gateway(config, run=run)
        try:
            ctx = make_context(config, gateway, run.id)
            for (spec, _), node in nodes.items():
                def record(task: Task, results: list[TaskResult], spec: str = spec) -> None:
                    scored = [r for r in results if r.verdict != Verdict.INFRA_ERROR]
                    if scored:
                        outcomes[spec][task.id].append(scored[0].verdict == Verdict.PASS)
                    if on_result is not None:
                        on_result(spec, task, results)

                evaluate_node(run, node, tasks, ctx, config.budget.workers, record)
        finally:
            gateway.close()
            if gateway.provider is not None:
                gateway.provider.close()
        report = _report(run.id, tasks, excluded, repeats, specs, outcomes,
                         config.run.random_seed)
        (run.path / REPORT).write_text(json.dumps(report.to_json(), indent=1))
        run.store.set_run_status("finished", "compared every agent")
        return report
    except BaseException as err:
        run.store.set_run_status("stopped", f"{type(err).__name__}: {err}"[:500])
        raise
    finally:
        run.close()


def _nodes(run: Run, specs: Sequence[str], folders: list[Path], repeats: int
           ) -> dict[tuple[str, int], int]:
    """One node per (agent, repeat), in the order they are evaluated (rounds)."""
    shas = [run.node_commit(0)] + [
        run.agents.commit_dir(folder, None, f"compare: {spec}")
        for spec, folder in zip(specs[1:], folders[1:], strict=True)]
    nodes: dict[tuple[str, int], int] = {}
    for repeat in range(1, repeats + 1):
        for spec, sha in zip(specs, shas, strict=True):
            if not nodes:
                nodes[(spec, repeat)] = 0
                continue
            node = run.store.add_node(0, sha, status=NodeStatus.VALID,
                                      summary=f"compare: {spec} (repeat {repeat})")
            run.agents.set_node_ref(node, sha)
            nodes[(spec, repeat)] = node
    return nodes


def _report(run_id: str, tasks: list[Task], excluded: int, repeats: int,
            specs: Sequence[str], outcomes: dict[str, dict[str, list[bool]]],
            seed: int) -> CompareReport:
    scores = tuple(agent_score(s, outcomes[s], seed) for s in specs)
    pairs = tuple(pair_score(a, outcomes[a], b, outcomes[b], seed)
                  for i, a in enumerate(specs) for b in specs[i + 1:])
    return CompareReport(run_id, tuple(t.id for t in tasks), excluded, repeats, scores, pairs)
