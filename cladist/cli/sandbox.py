"""The sandbox commands: ``cladist images build|list``, ``cladist sandbox cleanup`` and
``cladist doctor`` (is this machine ready to run agents). Registered on the app and the
``images`` and ``sandbox`` sub-apps of :mod:`cladist.cli.app`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cladist.cli.app import BaseOpt, RunsDirOpt, app, images_app, make_console, sandbox_app


@images_app.command("build")
def images_build(base: BaseOpt = "cladist-base:trixie",
                 only: Annotated[list[str] | None, typer.Option(
                     "--only", help="Image name (agent, python, go, rust, cpp, node); "
                     "repeatable.")] = None,
                 force: Annotated[bool, typer.Option(
                     help="Rebuild present images, without the layer cache.")] = False
                 ) -> None:
    """Build the sandbox images whose recipe (or base) changed; skip the others."""
    from cladist.sandbox.docker import docker_client
    from cladist.sandbox.images import build_images

    console = make_console()
    for done in build_images(docker_client(timeout=3600), base, only or None, force=force):
        state = f"built in {done.seconds:.0f}s" if done.built else "present, skipped"
        console.print(f"{done.name:8} {done.tag:32} {state}")


@images_app.command("list")
def images_list(base: BaseOpt = "cladist-base:trixie") -> None:
    """Show each sandbox image: present, stale (recipe or base changed) or missing."""
    from cladist.sandbox.docker import docker_client
    from cladist.sandbox.images import image_status

    for info in image_status(docker_client(), base):
        make_console().print(f"{info.name:8} {info.tag:32} {info.state}")


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
        make_console().print(f"{state} {item.kind} {item.name} (run {item.run_id or '?'}{why})",
                             soft_wrap=True)
    kept = sum(item.live for item in found)
    make_console().print(f"{len(found) - kept} leftover(s)" + (" (dry run)" if dry_run else "")
                         + (f", {kept} kept for live runs" if kept else ""))


@app.command()
def doctor(base: BaseOpt = "cladist-base:trixie") -> None:
    """Check the Docker engine, images, bubblewrap, disk space and local models; say what
    to fix."""
    from cladist.llm.models import local_model_checks
    from cladist.sandbox.doctor import run_checks

    checks = run_checks(base) + local_model_checks()
    for check in checks:
        mark = "ok " if check.ok else "FAIL"
        line = f"{mark} {check.name}: {check.detail}"
        make_console().print(line + ("" if check.ok else f" -> {check.fix}"), soft_wrap=True)
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
