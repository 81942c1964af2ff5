"""``cladist replay``: re-run a node's agent on one task of its stored evaluation and grade
it, from the gateway recordings (default) or against the model again. Registered on the
app of :mod:`cladist.cli.app`; it prints, :func:`cladist.evaluator.replay.replay` does not."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from cladist.cli.app import (
    ConfigOpt,
    RunArg,
    RunsDirOpt,
    app,
    make_console,
    open_run,
)


@app.command("replay")
def replay_cmd(run: RunArg,
               node: Annotated[str, typer.Argument(help="Node id or 'best'.")],
               task: Annotated[str, typer.Option("--task", help="Task id to replay.")],
               recorded: Annotated[bool, typer.Option(
                   "--recorded/--live", help="Serve the recorded model answers (no network, "
                   "no key), or call the configured model again.")] = True,
               keep: Annotated[bool, typer.Option(
                   help="Keep the workspace (work dir, patch, test output) to inspect.")]
               = False,
               out: Annotated[Path | None, typer.Option(
                   help="Folder for the kept workspace (implies --keep; default "
                   "<run>/replays/<time>-n<node>-<task>).")] = None,
               attempt: Annotated[int, typer.Option(
                   help="Which stored attempt: 1, or 2 (the retry with test feedback).")] = 1,
               as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as "
                                                     "JSON.")] = False,
               config: ConfigOpt = None,
               runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Replay a node's evaluation of one task in a fresh sandbox and grade it: --recorded
    reproduces the stored patch and verdict (or says where it diverged; exit status 1),
    --live shows a new verdict beside the stored one."""
    from cladist.archive.run import resolve_node
    from cladist.config import load_config
    from cladist.evaluator.replay import Mode, replay

    with open_run(run, runs_dir) as opened:
        node_id = resolve_node(opened, node)
        cfg = (load_config([str(opened.path / "config.yaml"), *config]) if config
               else opened.config)
        folder = out
        if keep and folder is None:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", task)[:60]
            folder = opened.path / "replays" / f"{time.strftime('%Y%m%d-%H%M%S')}-n{node_id}-{name}"
        console = make_console(stderr=as_json)
        mode: Mode = "recorded" if recorded else "live"
        console.print(f"replaying node {node_id} of {opened.id} on {task} (attempt {attempt}, "
                      f"{mode}) in a fresh sandbox…", soft_wrap=True)
        outcome = replay(opened, node_id, task, mode=mode, attempt=attempt, keep=folder,
                         config=cfg)
    if as_json:
        sys.stdout.write(json.dumps(outcome.to_json(), indent=1) + "\n")
    else:
        _print(console, outcome)
    if mode == "recorded" and not outcome.reproduced:
        raise typer.Exit(1)


def _print(console: Any, outcome: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from cladist.archive.safetext import printable, to_bytes

    table = Table("", "stored", "replay" if outcome.mode == "recorded" else "live")
    table.add_row("verdict", str(outcome.stored_verdict), str(outcome.verdict))
    same = "identical" if outcome.patch_identical else "differs"
    table.add_row("patch", f"{len(to_bytes(outcome.stored_patch))} bytes",
                  f"{len(to_bytes(outcome.patch))} bytes, {same}")
    table.add_row("model calls", str(outcome.steps_recorded), str(outcome.steps_served))
    console.print(table)
    if outcome.infra_reason:  # may quote what the agent printed: no markup, no escapes
        console.print(f"infrastructure error: {printable(outcome.infra_reason)}",
                      soft_wrap=True, markup=False)
    if outcome.note:
        console.print(f"note: {outcome.note}", soft_wrap=True, highlight=False)
    div = outcome.divergence
    if div is not None:
        console.print(f"[bold red]diverged[/] (step {div.step}): "
                      f"{escape(printable(div.message))}", soft_wrap=True, highlight=False)
        console.print(f"  what differed: {printable(div.differs)}", soft_wrap=True,
                      markup=False, highlight=False)
    elif outcome.mode == "recorded":
        verdict = "reproduced: the same patch and verdict" if outcome.reproduced else \
            "not reproduced: the recording was followed but the result differs"
        console.print(verdict)
    else:
        change = "the same verdict" if outcome.verdict_identical else "a different verdict"
        console.print(f"live: {change} ({outcome.stored_verdict} stored, {outcome.verdict} "
                      "now)")
    if outcome.workspace is not None:
        console.print(f"workspace kept in {outcome.workspace} (workdir/, patch.diff, "
                      "test_output.txt, trajectory.json, stored/, replay.json)", soft_wrap=True)
