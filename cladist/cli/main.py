"""The ``cladist`` console entry point: imports every command module, so each registers
its commands on the app of :mod:`cladist.cli.app`, and runs the app.

The import order below is the order of the commands in ``cladist --help``.
"""

from __future__ import annotations

# The order the commands are listed in:
# isort: off
import cladist.cli.runs  # noqa: F401 - init, runs, tree, show, export
import cladist.cli.sandbox  # noqa: F401 - images build/list, sandbox cleanup, doctor
import cladist.cli.replay  # noqa: F401 - replay
import cladist.cli.evolve  # noqa: F401 - run, eval
import cladist.cli.compare  # noqa: F401 - compare
import cladist.cli.view  # noqa: F401 - view, plot
import cladist.cli.config  # noqa: F401 - config show
import cladist.cli.llm  # noqa: F401 - llm chat, llm serve
import cladist.cli.sim  # noqa: F401 - sim
# isort: on
from cladist.cli.app import app, run_app

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: run the app with every command registered, turning user errors
    into one-line messages (see :func:`cladist.cli.app.run_app`)."""
    run_app()
