"""Simulated runs compared (``cladist sim``).

:func:`run_policies` is what ``cladist sim`` (and ``bench/policies.py``) calls: every
policy on the same seeds (so the same landscapes), one :class:`SimResult` per run, each
run driven by the real loop (:mod:`cladist.sim.loop`; ``engine="reference"`` uses
the stand-alone event loop of :mod:`cladist.sim.reference` instead, kept as a
cross-check); :func:`summarise` turns them into mean ± sd rows. ``policy`` names are those
of the config plus ``oracle``; a name may carry switches, e.g.
``hgm+count_failed_expansions``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from cladist.config import SchedulerConfig
from cladist.scheduler.contracts import Policy
from cladist.scheduler.policies import OraclePolicy, make_policy
from cladist.sim.landscape import Landscape, LandscapeConfig
from cladist.sim.loop import simulate_loop
from cladist.sim.reference import PolicyFactory, SimResult, simulate

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


def landscape_config(settings: Sequence[str]) -> LandscapeConfig:
    """A LandscapeConfig with ``KEY=VALUE`` settings (``n_tasks=50``). Raises ValueError
    for an unknown key or a value of the wrong type."""
    known = {f.name: f for f in fields(LandscapeConfig)}
    values: dict[str, object] = {}
    for setting in settings:
        key, sep, raw = setting.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in known:
            raise ValueError(f"landscape setting {setting!r}: use KEY=VALUE with KEY one of "
                             f"{', '.join(known)}")
        kind: type = type(known[key].default)
        try:
            values[key] = kind(raw)
        except ValueError:
            raise ValueError(f"landscape setting {setting!r}: {raw!r} is not "
                             f"{kind.__name__}") from None
    return LandscapeConfig(**values)  # type: ignore[arg-type]
