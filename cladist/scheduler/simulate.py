"""Entry point for simulated runs: ``python -m cladist.scheduler.simulate [options]``.

:func:`run_policies` is what a CLI command (or ``bench/policies.py``) calls: every
policy on the same seeds (so the same landscapes), one :class:`SimResult` per run, each
run driven by the real loop (:mod:`cladist.scheduler.simloop`; ``engine="reference"`` uses
the stand-alone event loop of :mod:`cladist.scheduler.simulator` instead, kept as a
cross-check); :func:`summarise` turns them into mean ± sd rows. ``policy`` names are those
of the config plus ``oracle``; a name may carry switches, e.g.
``hgm+count_failed_expansions``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from cladist.config import SchedulerConfig
from cladist.scheduler.contracts import Policy
from cladist.scheduler.landscape import Landscape, LandscapeConfig
from cladist.scheduler.policies import OraclePolicy, make_policy
from cladist.scheduler.simloop import simulate_loop
from cladist.scheduler.simulator import PolicyFactory, SimResult, simulate

COLUMNS = ("pick_quality", "regret", "budget_to_target", "corr_hgm", "corr_dgm", "agents")


def policy_factory(spec: str, **overrides: object) -> PolicyFactory:
    """A factory for the policy ``spec`` (``name[+switch...]``, e.g. ``hgm+expand_all_fail``)
    with extra SchedulerConfig ``overrides``. Raises ValueError for an unknown name or
    switch (pydantic's ValidationError is a ValueError)."""
    name, *switches = spec.split("+")
    if name == "oracle":
        return lambda land, seed: OraclePolicy(land.quality, land.potential)
    settings = {**overrides, **{s: True for s in switches}, "policy": name}
    scheduler = SchedulerConfig(**settings)  # type: ignore[arg-type]

    def make(land: Landscape, seed: int) -> Policy:
        policy = make_policy(scheduler, seed=seed)
        policy.name = spec
        return policy

    return make


def run_policies(specs: Sequence[str], seeds: Sequence[int], budget: float,
                 config: LandscapeConfig | None = None, target: float = 0.6,
                 engine: str = "loop", **overrides: object) -> list[SimResult]:
    """Every policy in ``specs`` on every seed; results in (policy, seed) order.
    ``engine`` is ``loop`` (the real loop) or ``reference``; raises ValueError for
    another."""
    run = {"loop": simulate_loop, "reference": simulate}.get(engine)
    if run is None:
        raise ValueError(f"engine {engine!r}: unknown (allowed: loop, reference)")
    return [run(policy_factory(spec, **overrides), budget, seed, config, target)
            for spec in specs for seed in seeds]


def summarise(results: Sequence[SimResult]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per policy and column of :data:`COLUMNS`: (mean, sd) over seeds, NaNs left out
    (``budget_to_target`` is NaN when the target was never reached)."""
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for name in dict.fromkeys(r.policy for r in results):
        rows = [r for r in results if r.policy == name]
        table[name] = {}
        for col in COLUMNS:
            values = np.array([float(getattr(r, col)) for r in rows])
            values = values[~np.isnan(values)]
            table[name][col] = ((float(values.mean()), float(values.std()))
                                if values.size else (math.nan, math.nan))
    return table


def format_table(results: Sequence[SimResult]) -> str:
    """A plain-text table of :func:`summarise` (mean ± sd), plus how often the target
    was reached."""
    table = summarise(results)
    width = max([len("policy"), *(len(name) for name in table)]) + 2
    head = f"{'policy':<{width}}" + "".join(f"{c:>20}" for c in COLUMNS) + f"{'reached':>9}"
    lines = [head, "-" * len(head)]
    for name, cols in table.items():
        runs = [r for r in results if r.policy == name]
        hit = sum(not math.isnan(r.budget_to_target) for r in runs)
        cells = "".join(f"{m:>11.3f} ± {s:<6.3f}" if c != "agents" and c != "budget_to_target"
                        else f"{m:>11.0f} ± {s:<6.0f}" for c, (m, s) in cols.items())
        lines.append(f"{name:<{width}}{cells}{hit:>5}/{len(runs)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run, print the table; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m cladist.scheduler.simulate",
                                     description="Compare policies on the simulated landscape.")
    parser.add_argument("--policy", action="append",
                        help="policy (repeatable): hgm, dgm, greedy, uniform, oracle, "
                             "optionally +switch (default: all five)")
    parser.add_argument("--budget", type=float, default=800.0)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--target", type=float, default=0.6)
    parser.add_argument("--engine", choices=("loop", "reference"), default="loop")
    for f in fields(LandscapeConfig):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default),
                            default=f.default)
    args = parser.parse_args(argv)
    config = LandscapeConfig(**{f.name: getattr(args, f.name) for f in fields(LandscapeConfig)})
    specs = args.policy or ["hgm", "dgm", "greedy", "uniform", "oracle"]
    results = run_policies(specs, range(args.seeds), args.budget, config, args.target,
                           args.engine)
    print(format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
