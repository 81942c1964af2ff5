"""``cladist compare``: two or more agents on the same tasks, repeated, with paired
statistics (see :mod:`cladist.evaluator.compare` and :mod:`cladist.evaluator.stats`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cladist.cli.app import ConfigOpt, PresetOpt, RunsDirOpt, app, make_console, overrides


@app.command("compare")
def compare_cmd(agent: Annotated[list[str], typer.Option(
                    help="An agent: a folder, seed, RUN:NODE or RUN:best; give two or more.")],
                repeats: Annotated[int, typer.Option(help="Runs of every agent on every "
                                                     "task.")] = 3,
                exclude_run: Annotated[list[str] | None, typer.Option(
                    help="Leave out every task this run evaluated (held out); "
                    "repeatable.")] = None,
                suite: Annotated[str | None, typer.Option(
                    help="bundled, polyglot or swebench.")] = None,
                tasks: Annotated[list[str] | None, typer.Option(
                    "--tasks", "--task", help="Task ids, comma-separated; repeatable.")] = None,
                tier: Annotated[str | None, typer.Option(help="easy, medium, hard or all.")]
                = None,
                split: Annotated[str | None, typer.Option(
                    help="train or test side of evaluator.split.")] = None,
                polyglot_path: Annotated[Path | None, typer.Option(
                    help="Clone of Aider's polyglot-benchmark.")] = None,
                workers: Annotated[int | None, typer.Option(help="Concurrent tasks.")] = None,
                as_json: Annotated[bool, typer.Option("--json", help="Print the report as "
                                                      "JSON.")] = False,
                config: ConfigOpt = None, preset: PresetOpt = None,
                runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Compare agents on the same tasks: pass rates with 95% intervals and, per pair, the
    paired difference, its interval, a permutation test and per-task wins and losses."""
    from rich.progress import Progress

    from cladist.config import load_config
    from cladist.evaluator.compare import compare, held_out
    from cladist.evaluator.selection import select_tasks

    ids = [i.strip() for item in tasks or [] for i in item.split(",") if i.strip()]
    cfg = load_config([*(config or []), *overrides({
        "evaluator.suite": suite, "evaluator.tier": tier, "evaluator.split": split,
        "evaluator.polyglot_path": polyglot_path, "budget.workers": workers,
        "evaluator.tasks": f"[{', '.join(ids)}]" if ids else None})], preset=preset)
    chosen, excluded = held_out(select_tasks(cfg.evaluator, cfg.run.random_seed),
                                exclude_run or [], runs_dir)
    console = make_console(stderr=as_json)  # with --json, stdout carries only the JSON
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task(f"{len(agent)} agents x {len(chosen)} tasks x {repeats}",
                                total=len(agent) * len(chosen) * repeats)

        def finished(spec: str, task: Any, results: list[Any]) -> None:
            final = results[-1]
            progress.console.print(f"{spec} · {task.id}: [bold]{final.verdict}[/]")
            progress.advance(bar)

        report = compare(cfg, agent, chosen, repeats=repeats, excluded=excluded,
                         runs_dir=runs_dir, on_result=finished)
    _plot(report, runs_dir, cfg, console)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), indent=1) + "\n")
        return
    console.print(_tables(report))
    console.print(f"run {report.run_id}: {len(report.tasks)} tasks ({report.excluded} left "
                  f"out as seen by --exclude-run), {report.repeats} repeats; intervals: "
                  "bootstrap over tasks; p: sign-flip permutation test", soft_wrap=True)


def _plot(report: Any, runs_dir: Path, cfg: Any, console: Any) -> None:
    """Draw the report's figure into its run folder (a note instead without matplotlib)."""
    from cladist.archive.run import resolve_run
    from cladist.errors import UsageError

    try:
        from cladist.view.compare_plot import write_compare_plot

        write_compare_plot(report, resolve_run(report.run_id, cfg.run.runs_dir))
    except UsageError as err:  # no matplotlib: the numbers are the report
        console.print(f"no plot: {err}", soft_wrap=True)


def _tables(report: Any) -> Any:
    from rich.console import Group
    from rich.table import Table

    agents = Table("agent", "tasks", "runs", "pass rate", "95% interval")
    for a in report.agents:
        agents.add_row(a.label, str(a.tasks), str(a.runs), f"{a.pass_rate.value:.2f}",
                       f"[{a.pass_rate.low:.2f}, {a.pass_rate.high:.2f}]")
    pairs = Table("a - b", "tasks", "difference", "95% interval", "p", "wins", "losses",
                  "ties")
    for p in report.pairs:
        pairs.add_row(f"{p.a} - {p.b}", str(p.tasks), f"{p.difference.value:+.2f}",
                      f"[{p.difference.low:+.2f}, {p.difference.high:+.2f}]",
                      f"{p.p_value:.3f}", ", ".join(p.wins) or "-",
                      ", ".join(p.losses) or "-", str(p.ties))
    return Group(agents, pairs)
