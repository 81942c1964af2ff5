"""The commands that run agents: ``cladist run`` (evolution) and ``cladist eval`` (one agent
on a suite). Registered on the app of :mod:`cladist.cli.app`; they print, the functions
they call do not."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from collections import deque
from pathlib import Path
from typing import Annotated, Any

import typer

from cladist import scratch
from cladist.cli.app import (
    ConfigOpt,
    PresetOpt,
    RunsDirOpt,
    app,
    make_console,
    overrides,
)


class RunDisplay:
    """The live panel of ``cladist run``: budget, tree, best agent, dollars, workers, and
    the latest events."""

    def __init__(self, run: Any, config: Any, echo: Any = None):
        self.run, self.config, self.loop = run, config, None
        self.recent: deque[str] = deque(maxlen=8)
        self.echo = echo  # a console printing each event as a line (not a terminal: logs)

    def event(self, event: Any) -> None:
        """Turn a run event (a :class:`~cladist.archive.records.RunEvent`) into a line of
        the panel (and of the log, when echoing)."""
        data = event.data
        if event.kind == "task_result":
            why = f" ({data['infra_reason']})" if data.get("infra_reason") else ""
            attempt = f" (attempt {data['attempt']})" if data.get("attempt", 1) > 1 else ""
            self.add(f"node {event.node_id} · {data['task']}{attempt}: "
                     f"[bold]{data['verdict']}[/]{why}")
        elif event.kind == "expansion_finished":
            child = f" → node {data['child']}" if data["child"] is not None else ""
            why = f" ({str(data['reason'])[:80]})" if data.get("reason") else ""
            self.add(f"expansion of node {event.node_id}: "
                     f"[bold]{data['outcome']}[/]{child}{why}")

    def add(self, line: str) -> None:
        """Append a line to the recent events (printed at once when echoing)."""
        self.recent.append(line)
        if self.echo is not None:
            self.echo.print(line, soft_wrap=True)

    def __rich__(self) -> Any:
        from rich.console import Group

        return Group(self.table(), *self.recent)

    def table(self) -> Any:
        """The figures of the panel: evaluations, tree, best-belief, dollars, workers."""
        from rich.table import Table

        from cladist.archive.lineage import best_belief

        table = Table.grid(padding=(0, 2))
        if self.loop is not None:
            usage = self.loop.usage(in_flight=False)
            limits = self.loop.budget.limits()
            evals = f"{usage.evaluations}" + (f" / {limits['task_evaluations']:g}"
                                              if "task_evaluations" in limits else "")
            best = best_belief(self.run.store, self.config.archive.best_belief_epsilon)
            shown = "-"
            if best is not None:
                node = self.run.store.node(best)
                shown = f"node {best} ({node.n_pass}/{node.evaluations} pass)"
            table.add_row("evaluations", evals, "tree", f"{self.loop.state.n} agents")
            table.add_row("best-belief", shown, "dollars", f"${usage.dollars:.4f}")
            table.add_row("workers busy", f"{len(self.loop.inflight)} / "
                          f"{self.config.budget.workers}", "elapsed", f"{usage.seconds:.0f}s")
        return table


@app.command("run")
def run_cmd(config: ConfigOpt = None, preset: PresetOpt = None,
            resume: Annotated[str | None, typer.Option(
                help="Resume this run (id or path) instead of starting one.")] = None,
            budget_evals: Annotated[int | None, typer.Option(
                help="Most task evaluations (budget.task_evaluations).")] = None,
            workers: Annotated[int | None, typer.Option(help="Concurrent workers.")] = None,
            policy: Annotated[str | None, typer.Option(
                help="hgm, dgm, greedy or uniform.")] = None,
            executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
            ray_address: Annotated[str | None, typer.Option(
                help="Ray cluster to join (default: start a local one).")] = None,
            runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Start an evolution run (or resume one): expand and evaluate agents until a budget
    is spent. Ctrl-C stops after in-flight work; a second Ctrl-C stops at once."""
    from rich.live import Live

    from cladist.archive.lineage import best_belief
    from cladist.archive.run import Run, resolve_run
    from cladist.config import load_config
    from cladist.evolve.session import evolve

    sources = [*(config or []), *overrides({
        "budget.task_evaluations": budget_evals, "budget.workers": workers,
        "scheduler.policy": policy})]
    console = make_console()
    if resume is not None:
        path = resolve_run(resume, runs_dir)
        cfg = load_config([str(path / "config.yaml"), *sources], preset=preset)
        opened = Run.resume(path, cfg)  # a live run is refused before anything changes
        console.print(f"resuming run [bold]{opened.id}[/]", soft_wrap=True)
    else:
        cfg = load_config(sources, preset=preset)
        opened = Run.create(cfg)
        console.print(f"started run [bold]{opened.id}[/] ({opened.path})", soft_wrap=True)
    # A terminal gets the live panel; a log (CI, a pipe) gets one line per event instead.
    display = RunDisplay(opened, cfg, echo=None if console.is_terminal else console)

    def hook(loop: Any) -> None:
        display.loop = loop

        def on_sigint(signum: int, frame: Any) -> None:
            if loop.stop_requested.is_set():
                raise KeyboardInterrupt
            loop.stop_requested.set()
            display.add("[yellow]stopping after in-flight work (Ctrl-C again: at once)[/]")
        signal.signal(signal.SIGINT, on_sigint)

    try:
        if console.is_terminal:
            with Live(display, console=console, refresh_per_second=2, transient=False):
                reason = evolve(opened, cfg, executor=executor, ray_address=ray_address,
                                on_event=display.event, stop_hook=hook)
        else:
            reason = evolve(opened, cfg, executor=executor, ray_address=ray_address,
                            on_event=display.event, stop_hook=hook)
            console.print(display.table())
    except KeyboardInterrupt:
        console.print(f"stopped at once; resume with: cladist run --resume {opened.id}")
        opened.close()
        os._exit(130)
    best = best_belief(opened.store, cfg.archive.best_belief_epsilon)
    console.print(f"run {opened.id} stopped: {reason}", soft_wrap=True)
    if best is not None:
        node = opened.store.node(best)
        console.print(f"best-belief agent: node {best} ({node.n_pass}/{node.evaluations} "
                      f"pass); export it with: cladist export {opened.id} --node {best} "
                      f"--out agent-{best}", soft_wrap=True)
    console.print(f"see the tree with: cladist tree {opened.id}", soft_wrap=True)
    opened.close()
    from cladist.evolve.budget import infra_stop

    if infra_stop(reason):  # the run did not do what was asked: the command fails
        print(f"cladist: error: run {opened.id} stopped: {reason}; fix it, then resume with: "
              f"cladist run --resume {opened.id}", file=sys.stderr)
        raise typer.Exit(1)


def _agent_folder(spec: str, runs_dir: Path, tmp: Path) -> str:
    """An agent given as RUN:NODE is exported into ``tmp``; other specs pass through."""
    if ":" not in spec or Path(spec).exists():
        return spec
    from cladist.evaluator.compare import agent_folder

    return str(agent_folder(spec, runs_dir, tmp / "agent"))


@app.command("eval")
def eval_cmd(agent: Annotated[str, typer.Option(
                 help="Agent folder, a bundled agent name (seed), or RUN:NODE.")],
             suite: Annotated[str | None, typer.Option(
                 help="bundled, polyglot or swebench.")] = None,
             dataset: Annotated[str | None, typer.Option(
                 help="SWE-bench dataset: a Hub name (SWE-bench/SWE-bench_Verified) or a "
                 ".json/.jsonl/.parquet file.")] = None,
             count: Annotated[int | None, typer.Option(
                 help="Only the first N selected tasks in the suite's order (SWE-bench: "
                 "10 = DGM's first stage).")] = None,
             tasks: Annotated[list[str] | None, typer.Option(
                 "--tasks", "--task", help="Task ids, comma-separated; repeatable.")] = None,
             tier: Annotated[str | None, typer.Option(help="easy, medium, hard or all.")] = None,
             sample: Annotated[int | None, typer.Option(
                 help="Evaluate a random sample of this many of the selected tasks.")] = None,
             attempts: Annotated[int | None, typer.Option(
                 help="2 adds a retry with the failing test output (pass@2).")] = None,
             polyglot_path: Annotated[Path | None, typer.Option(
                 help="Clone of Aider's polyglot-benchmark.")] = None,
             workers: Annotated[int | None, typer.Option(help="Concurrent tasks.")] = None,
             as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")]
             = False,
             config: ConfigOpt = None, preset: PresetOpt = None,
             runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Evaluate one agent on a suite; the results go into a new run (see `cladist show`)."""
    from rich.progress import Progress
    from rich.table import Table

    from cladist.config import load_config
    from cladist.evaluator.batch import eval_agent, summarize

    ids = [i.strip() for item in tasks or [] for i in item.split(",") if i.strip()]
    sources = [*(config or []), *overrides({
        "evaluator.suite": suite, "evaluator.tier": tier, "evaluator.sample": sample,
        "evaluator.attempts": attempts, "evaluator.polyglot_path": polyglot_path,
        "evaluator.dataset": dataset, "evaluator.count": count, "budget.workers": workers,
        "evaluator.tasks": f"[{', '.join(ids)}]" if ids else None})]
    cfg = load_config(sources, preset=preset)
    console = make_console(stderr=as_json)  # with --json, stdout carries only the JSON
    tmp = scratch.make("eval")
    try:
        source = _agent_folder(agent, runs_dir, tmp)
        with Progress(console=console, transient=True) as progress:
            bar = progress.add_task("starting", total=None)

            def started(run: Any, chosen: list[Any]) -> None:
                progress.update(bar, description=f"evaluating on {len(chosen)} tasks",
                                total=len(chosen))

            def finished(done_task: Any, results: list[Any]) -> None:
                final = results[-1]
                why = f" {final.infra_reason}" if final.infra_reason else ""
                progress.console.print(f"{done_task.id}: [bold]{final.verdict}[/] (attempt "
                                       f"{final.attempt}, {final.agent_seconds:.0f}s){why}")
                progress.advance(bar)

            run, results = eval_agent(cfg, source, started, finished)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = summarize(results)
    _fail_if_nothing_scored(run.id, summary, results)
    if as_json:
        sys.stdout.write(json.dumps({
            "run": run.id, "path": str(run.path), "pass@1": summary.pass_at_1,
            "pass@2": summary.pass_at_2 if cfg.evaluator.attempts == 2 else None,
            "scored": summary.scored, "infra_errors": summary.infra_errors,
            "tasks": {task_id: [{"attempt": r.attempt, "verdict": str(r.verdict),
                                 "agent_seconds": r.agent_seconds, "tokens_in": r.tokens_in,
                                 "tokens_out": r.tokens_out, "cost_usd": r.cost_usd,
                                 "infra_reason": r.infra_reason} for r in rows]
                      for task_id, rows in sorted(results.items())}}, indent=1) + "\n")
        if summary.tasks and not summary.scored:
            raise typer.Exit(1)
        return
    table = Table("task", "verdict", "attempts", "tokens", "$")
    for task_id in sorted(results):
        rows = results[task_id]
        table.add_row(task_id, str(rows[-1].verdict), str(len(rows)),
                      str(sum(r.tokens_in + r.tokens_out for r in rows)),
                      f"{sum(r.cost_usd for r in rows):.4f}")
    console.print(table)
    line = (f"pass@1 {summary.pass_at_1:.2f} ({summary.passed_1}/{summary.scored} scored, "
            f"{summary.infra_errors} infra errors)")
    if cfg.evaluator.attempts == 2:
        line += f", pass@2 {summary.pass_at_2:.2f}"
    console.print(f"{line}; run {run.id}; per-task logs: cladist show {run.id} 0",
                  soft_wrap=True)
    if summary.tasks and not summary.scored:
        raise typer.Exit(1)


def _fail_if_nothing_scored(run_id: str, summary: Any, results: dict[str, list[Any]]) -> None:
    """Print one line saying why when no task got a verdict (every one an infra_error,
    e.g. the model never answered); the command then exits 1 after its report."""
    if not summary.tasks or summary.scored:
        return
    reasons = [rows[-1].infra_reason for rows in results.values() if rows[-1].infra_reason]
    last = " ".join(reasons[-1].split())[:400] if reasons else "unknown"
    print(f"cladist: error: run {run_id}: no task was scored: {summary.infra_errors} "
          f"infra error(s) (last: {last})", file=sys.stderr)
