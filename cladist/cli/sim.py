"""``cladist sim``: scheduling policies compared on the simulated landscape
(:mod:`cladist.sim`), every policy on the same seeds."""

from __future__ import annotations

from typing import Annotated

import typer

from cladist.cli.app import app
from cladist.errors import UsageError


@app.command("sim")
def sim_cmd(policy: Annotated[list[str] | None, typer.Option(
                help="hgm, dgm, greedy, uniform or oracle, optionally +switch "
                "(e.g. hgm+count_failed_expansions); repeatable. Default: all five.")] = None,
            budget: Annotated[float, typer.Option(help="Budget of each run.")] = 800.0,
            seeds: Annotated[int, typer.Option(help="Runs of each policy (seeds 0..N-1).")]
            = 5,
            target: Annotated[float, typer.Option(help="Quality whose first reach is "
                                                  "timed.")] = 0.6,
            engine: Annotated[str, typer.Option(help="loop (the real loop) or reference.")]
            = "loop",
            landscape: Annotated[list[str] | None, typer.Option(
                help="Landscape setting KEY=VALUE (e.g. n_tasks=50); repeatable.")] = None
            ) -> None:
    """Compare policies on simulated runs: pick quality, regret, budget to the target and
    the correlation of each estimator with true clade metaproductivity (mean ± sd)."""
    from cladist.sim.runs import format_table, landscape_config, run_policies

    try:
        config = landscape_config(landscape or [])
        results = run_policies(policy or ["hgm", "dgm", "greedy", "uniform", "oracle"],
                               range(seeds), budget, config, target, engine)
    except ValueError as err:
        raise UsageError(str(err).splitlines()[0]) from None
    typer.echo(format_table(results))
