"""The ``cladist`` Typer app and what its commands share: the sub-apps, the option and
argument types, and helpers (a console, opening a run, config overrides from options). It
imports no command module; :mod:`cladist.cli.main` does, so the commands register.

Only the CLI configures logging and prints. Errors a user can cause are
:class:`cladist.errors.CladistError`: printed as one line, no traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cladist.errors import CladistError

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
BaseOpt = Annotated[str, typer.Option("--base", help="Debian trixie image the recipes start "
                                      "FROM (e.g. debian:trixie-slim where a registry is "
                                      "reachable).")]

ConfigOpt = Annotated[list[str] | None, typer.Option(
    "-c", "--config", help="YAML file or section.key=value override; repeatable, in order.")]
PresetOpt = Annotated[str | None, typer.Option(help="Preset shipped with cladist.")]
RunsDirOpt = Annotated[Path, typer.Option(envvar="CLADIST_RUNS_DIR",
                                          help="Folder holding run folders.")]
RunArg = Annotated[str, typer.Argument(help="Run id, a unique part of one, latest, or a path.")]


def make_console(stderr: bool = False):  # noqa: ANN201 - rich is imported lazily
    """A rich console on stdout (or stderr: when stdout carries JSON, or for notes)."""
    from rich.console import Console

    return Console(stderr=stderr)


def open_run(ref: str, runs_dir: Path):  # noqa: ANN201
    """Open the run named by ``ref`` (see :func:`cladist.archive.run.resolve_run`) under
    ``runs_dir``. Raises NotFoundError when there is no such run."""
    from cladist.archive.run import Run, resolve_run

    return Run.open(resolve_run(ref, runs_dir))


def overrides(pairs: dict[str, Any]) -> list[str]:
    """The options a user gave, as ``key=value`` config overrides (None: not given)."""
    return [f"{key}={value}" for key, value in pairs.items() if value is not None]


def run_app() -> None:
    """Run the app on ``sys.argv``, turning user errors into one-line messages: a
    CladistError exits with its code, Ctrl-C with 130, a closed pipe quietly. Commands
    register on import (see :mod:`cladist.cli.main`)."""
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
