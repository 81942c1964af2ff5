"""The commands that make and inspect runs: ``cladist init``, ``runs``, ``tree``, ``show``
and ``export``. Registered on the app of :mod:`cladist.cli.app`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from cladist.cli.app import (
    ConfigOpt,
    PresetOpt,
    RunArg,
    RunsDirOpt,
    app,
    make_console,
    open_run,
)


@app.command()
def init(config: ConfigOpt = None, preset: PresetOpt = None) -> None:
    """Create a run folder and commit the seed agent as its root node."""
    from cladist.archive.run import Run
    from cladist.config import load_config

    cfg = load_config(config or [], preset=preset)
    with Run.create(cfg) as run:
        make_console().print(f"created run [bold]{run.id}[/] ({run.path})", soft_wrap=True)


@app.command()
def runs(runs_dir: RunsDirOpt = Path("runs")) -> None:
    """List runs with their status, size and best agent."""
    from cladist.archive.run import list_runs
    from cladist.view.text import runs_table

    make_console().print(runs_table(list_runs(runs_dir)))


@app.command()
def tree(run: RunArg, as_json: Annotated[bool, typer.Option("--json")] = False,
         runs_dir: RunsDirOpt = Path("runs"),
         max_nodes: Annotated[int, typer.Option(help="Most nodes drawn.")] = 2000) -> None:
    """Show the lineage tree: status, passes/evaluations and clade estimate per node."""
    from cladist.view.text import rich_tree, tree_data

    with open_run(run, runs_dir) as opened:
        if as_json:
            sys.stdout.write(json.dumps(tree_data(opened)) + "\n")
        else:
            make_console().print(rich_tree(opened, max_nodes=max_nodes))


@app.command()
def show(run: RunArg, node: Annotated[str, typer.Argument(help="Node id or 'best'.")],
         runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Show one node: metadata, lineage, results and its diff against its parent."""
    from rich.syntax import Syntax
    from rich.table import Table

    from cladist.archive.run import resolve_node
    from cladist.view.text import node_label, node_report

    with open_run(run, runs_dir) as opened:
        report = node_report(opened, resolve_node(opened, node))
    n, console = report["node"], make_console()
    console.print(node_label(n))
    console.print(f"commit {n.commit_sha}  depth {n.depth}  lineage "
                  f"{' → '.join(map(str, [*report['lineage'], n.id]))}")
    console.print(f"children: {', '.join(map(str, report['children'])) or 'none'}")
    if n.reason:
        console.print(f"reason: {n.reason}", markup=False, highlight=False)
    table = Table("task", "attempt", "verdict", "agent s", "tokens", "$")
    for r in report["results"]:
        table.add_row(r.task_id, str(r.attempt), str(r.verdict), f"{r.agent_seconds or 0:.1f}",
                      str(r.tokens_in + r.tokens_out), f"{r.cost_usd:.4f}")
    console.print(table if report["results"] else "no results yet")
    if report["diff"]:
        console.print(Syntax(report["diff"], "diff", theme="ansi_dark"))


@app.command()
def export(run: RunArg, out: Annotated[Path, typer.Option(help="Where to write.")],
           node: Annotated[str, typer.Option(help="Node id or 'best'.")] = "best",
           fmt: Annotated[str, typer.Option("--format", help="dir, tar, patch, bundle, or "
                                            "swebench-predictions (the node's SWE-bench "
                                            "patches as a .jsonl/.json predictions file).")]
           = "dir",
           runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Export a node's codebase as a folder, a tar.gz, a patch series or a git bundle, or
    its SWE-bench patches as a predictions file for the official harness."""
    from cladist.archive.export import FORMATS, export_node
    from cladist.archive.run import resolve_node
    from cladist.errors import UsageError

    if fmt not in (*FORMATS, "swebench-predictions"):
        raise UsageError(f"format {fmt!r}: unknown (allowed: {', '.join(FORMATS)}, "
                         "swebench-predictions)")
    with open_run(run, runs_dir) as opened:
        node_id = resolve_node(opened, node)
        if fmt == "swebench-predictions":  # the node's results, not its codebase
            from cladist.evaluator.suites.swebench.predictions import write_predictions

            written = write_predictions(opened, node_id, out)
        else:
            written = export_node(opened, node_id, out, fmt)
    make_console().print(f"exported node {node_id} of {opened.id} as {fmt} to {written}")
