"""The ``cladist`` command line: a thin Typer app, each command calling one typed function.

Only this module configures logging and prints. Errors a user can cause are
:class:`cladist.errors.CladistError`: printed as one line, no traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cladist.errors import CladistError, NotFoundError, UsageError

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Grow a tree of self-modifying coding agents.")
config_app = typer.Typer(no_args_is_help=True, help="Inspect configuration.")
app.add_typer(config_app, name="config")
images_app = typer.Typer(no_args_is_help=True, help="Build and list sandbox images.")
app.add_typer(images_app, name="images")
sandbox_app = typer.Typer(no_args_is_help=True, help="Manage sandboxes.")
app.add_typer(sandbox_app, name="sandbox")
llm_app = typer.Typer(no_args_is_help=True, help="Try the configured LLM; serve the gateway.")
app.add_typer(llm_app, name="llm")
BaseOpt = Annotated[str, typer.Option("--base", help="Debian bookworm image the recipes start "
                                      "FROM (e.g. debian:bookworm-slim where a registry is "
                                      "reachable).")]

ConfigOpt = Annotated[list[str] | None, typer.Option(
    "-c", "--config", help="YAML file or section.key=value override; repeatable, in order.")]
PresetOpt = Annotated[str | None, typer.Option(help="Preset shipped with cladist.")]
RunsDirOpt = Annotated[Path, typer.Option(envvar="CLADIST_RUNS_DIR",
                                          help="Folder holding run folders.")]
RunArg = Annotated[str, typer.Argument(help="Run id, a unique part of one, latest, or a path.")]


def _console(stderr: bool = False):  # noqa: ANN202 - rich is imported lazily
    from rich.console import Console

    return Console(stderr=stderr)


def _open_run(ref: str, runs_dir: Path):  # noqa: ANN202
    from cladist.archive.run import Run, resolve_run

    return Run.open(resolve_run(ref, runs_dir))


def _node_id(run, ref: str) -> int:  # noqa: ANN001
    from cladist.archive.lineage import best_belief

    if ref == "best":
        best = best_belief(run.store, run.config.archive.best_belief_epsilon)
        if best is None:
            raise NotFoundError(f"run {run.id}: no node has been evaluated yet, so no best "
                                "(give --node 0 for the seed)")
        return best
    try:
        node_id = int(ref)
    except ValueError:
        raise UsageError(f"node {ref!r}: expected a node id or 'best'") from None
    run.store.node(node_id)
    return node_id


@app.command()
def init(config: ConfigOpt = None, preset: PresetOpt = None) -> None:
    """Create a run folder and commit the seed agent as its root node."""
    from cladist.archive.run import Run
    from cladist.config import load_config

    cfg = load_config(config or [], preset=preset)
    with Run.create(cfg) as run:
        _console().print(f"created run [bold]{run.id}[/] ({run.path})", soft_wrap=True)


@app.command()
def runs(runs_dir: RunsDirOpt = Path("runs")) -> None:
    """List runs with their status, size and best agent."""
    from cladist.archive.run import list_runs
    from cladist.view.text import runs_table

    _console().print(runs_table(list_runs(runs_dir)))


@app.command()
def tree(run: RunArg, as_json: Annotated[bool, typer.Option("--json")] = False,
         runs_dir: RunsDirOpt = Path("runs"),
         max_nodes: Annotated[int, typer.Option(help="Most nodes drawn.")] = 2000) -> None:
    """Show the lineage tree: status, passes/evaluations and clade estimate per node."""
    from cladist.view.text import rich_tree, tree_data

    with _open_run(run, runs_dir) as opened:
        if as_json:
            sys.stdout.write(json.dumps(tree_data(opened)) + "\n")
        else:
            _console().print(rich_tree(opened, max_nodes=max_nodes))


@app.command()
def show(run: RunArg, node: Annotated[str, typer.Argument(help="Node id or 'best'.")],
         runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Show one node: metadata, lineage, results and its diff against its parent."""
    from rich.syntax import Syntax
    from rich.table import Table

    from cladist.view.text import node_label, node_report

    with _open_run(run, runs_dir) as opened:
        report = node_report(opened, _node_id(opened, node))
    n, console = report["node"], _console()
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
    from cladist.archive.export import export_node

    with _open_run(run, runs_dir) as opened:
        node_id = _node_id(opened, node)
        written = export_node(opened, node_id, out, fmt)
    _console().print(f"exported node {node_id} of {opened.id} as {fmt} to {written}")


@config_app.command("show")
def config_show(config: ConfigOpt = None, preset: PresetOpt = None) -> None:
    """Print the resolved configuration as YAML."""
    from cladist.config import load_config

    sys.stdout.write(load_config(config or [], preset=preset).to_yaml())


@images_app.command("build")
def images_build(base: BaseOpt = "cladist-base:bookworm",
                 only: Annotated[list[str] | None, typer.Option(
                     "--only", help="Image name (agent, python, go, rust, cpp, node); "
                     "repeatable.")] = None,
                 force: Annotated[bool, typer.Option(
                     help="Rebuild present images, without the layer cache.")] = False
                 ) -> None:
    """Build the sandbox images whose recipe (or base) changed; skip the others."""
    from cladist.sandbox.docker import docker_client
    from cladist.sandbox.images import build_images

    console = _console()
    for done in build_images(docker_client(timeout=3600), base, only or None, force=force):
        state = f"built in {done.seconds:.0f}s" if done.built else "present, skipped"
        console.print(f"{done.name:8} {done.tag:32} {state}")


@images_app.command("list")
def images_list(base: BaseOpt = "cladist-base:bookworm") -> None:
    """Show each sandbox image: present, stale (recipe or base changed) or missing."""
    from cladist.sandbox.docker import docker_client
    from cladist.sandbox.images import image_status

    for info in image_status(docker_client(), base):
        _console().print(f"{info.name:8} {info.tag:32} {info.state}")


@sandbox_app.command("cleanup")
def sandbox_cleanup(run_id: Annotated[str | None, typer.Option(
                        "--run", help="Only this run's leftovers (default: every run's).")]
                    = None,
                    dry_run: Annotated[bool, typer.Option(
                        "--dry-run", help="List, remove nothing.")] = False,
                    live: Annotated[bool, typer.Option(
                        "--live", help="Also stop the sandboxes of runs still going.")]
                    = False,
                    runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Remove containers, networks and temp dirs left by crashed runs (found by label), and
    run folders whose creation was killed. A live run's sandboxes are kept unless --live."""
    from cladist.sandbox.cleanup import cleanup

    found = cleanup(run_id, dry_run=dry_run, include_live=live, runs_dir=runs_dir)
    verb = "would remove" if dry_run else "removed"
    for item in found:
        state = ("kept" if item.live else verb if dry_run or item.removed
                 else "could not remove")
        why = " is running; --live stops it" if item.live else ""
        _console().print(f"{state} {item.kind} {item.name} (run {item.run_id or '?'}{why})",
                         soft_wrap=True)
    kept = sum(item.live for item in found)
    _console().print(f"{len(found) - kept} leftover(s)" + (" (dry run)" if dry_run else "")
                     + (f", {kept} kept for live runs" if kept else ""))


@app.command()
def doctor(base: BaseOpt = "cladist-base:bookworm") -> None:
    """Check the Docker engine, images, bubblewrap, disk space and local models; say what
    to fix."""
    from cladist.sandbox.doctor import run_checks

    checks = run_checks(base)
    for check in checks:
        mark = "ok " if check.ok else "FAIL"
        line = f"{mark} {check.name}: {check.detail}"
        _console().print(line + ("" if check.ok else f" -> {check.fix}"), soft_wrap=True)
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


@llm_app.command("chat")
def llm_chat(prompt: Annotated[str, typer.Argument(help="What to ask.")],
             config: ConfigOpt = None, preset: PresetOpt = None) -> None:
    """Ask the configured provider one question (checks keys, endpoint or local model)."""
    from cladist.config import load_config
    from cladist.llm.contracts import ChatRequest
    from cladist.llm.factory import make_provider

    provider = make_provider(load_config(config or [], preset=preset).llm)
    try:
        result = provider.chat(ChatRequest([{"role": "user", "content": prompt}]))
    finally:
        provider.close()
    print(result.content or "")
    u = result.usage
    print(f"[{result.provider} {result.model}: {u.input_tokens} in ({u.cached_tokens} cached), "
          f"{u.output_tokens} out, ${result.cost_usd:.6f}, {result.latency_s:.2f}s]",
          file=sys.stderr)


@llm_app.command("serve")
def llm_serve(config: ConfigOpt = None, preset: PresetOpt = None,
              socket: Annotated[Path | None, typer.Option(help="Unix socket path to create "
                                                          "(default: a fresh temporary one).")
                                ] = None,
              tcp: Annotated[bool, typer.Option(help="Also serve on loopback TCP.")] = False,
              record: Annotated[Path, typer.Option(help="Folder for recordings.")] = Path(
                  "llm-recordings"),
              replay: Annotated[str | None, typer.Option(help="Replay this recorded session "
                                                         "(from --record) instead.")] = None,
              node: Annotated[int | None, typer.Option(help="Node id of the session.")] = None,
              purpose: Annotated[str, typer.Option(help="diagnosis, self-edit or evaluation."
                                                   )] = "evaluation") -> None:
    """Serve one gateway session until Ctrl-C (point an agent at its socket)."""
    import time

    from cladist.config import load_config
    from cladist.llm.factory import make_gateway
    from cladist.llm.session import SessionIdentity

    cfg = load_config(config or [], preset=preset)
    gateway = make_gateway(cfg, folder=record, replay_only=replay is not None)
    try:
        identity = SessionIdentity("manual", node, purpose, None)  # type: ignore[arg-type]
        opened = gateway.open_session(identity, socket_path=socket, tcp=tcp, replay=replay)
        print(f"session {opened.identity.session}: CLADIST_LLM_SOCKET={opened.socket_path}")
        if opened.tcp_url:
            print(f"  CLADIST_LLM_URL={opened.tcp_url}")
        print(f"  recording into {gateway.sink.root}; Ctrl-C stops", flush=True)
        while True:
            time.sleep(3600)
    finally:
        gateway.close()
        if gateway.provider is not None:
            gateway.provider.close()


import cladist.cli_replay  # noqa: E402,F401 - registers `replay` on the app
import cladist.cli_run  # noqa: E402,F401 - registers `run` and `eval` on the app
import cladist.cli_view  # noqa: E402,F401 - registers `view` on the app


def main() -> None:
    """Console entry point: run the app, turning user errors into one-line messages."""
    try:
        app()
    except CladistError as err:
        for line in str(err).splitlines() or [type(err).__name__]:
            print(f"cladist: error: {line}", file=sys.stderr)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        print("cladist: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        os._exit(0)
