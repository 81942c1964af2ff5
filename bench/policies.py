"""Compare scheduling policies on the simulated landscape, side by side.

Every policy runs on the same seeds (so on the same landscapes: common random numbers), at
each budget. Prints, per budget, mean ± sd over seeds of: true quality of the final pick,
regret against the best agent created, budget to reach the target quality (over the runs
that reached it), weighted Pearson correlation of HGM's clade estimator and of DGM's
own-score estimator with the true clade metaproductivity, agents created. Then the HGM
weakness switches as paired differences against plain ``hgm`` (mean ± standard error).
``--scale`` also measures simulator speed when growing 10^4 and 10^5 agents.

Every run goes through the real loop (:class:`cladist.evolve.loop.Evolution` with the
simulated executor and archive, :mod:`cladist.sim.loop`); ``--reference`` uses
the stand-alone event loop of :mod:`cladist.sim.reference` instead.

    .venv/bin/python bench/policies.py --seeds 50 --budgets 800 8000 [--scale]
"""

from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from cladist.sim.landscape import LandscapeConfig
from cladist.sim.loop import simulate_loop
from cladist.sim.reference import SimResult, simulate
from cladist.sim.runs import format_table, policy_factory

POLICIES = ["hgm", "dgm", "greedy", "uniform", "oracle"]
SWITCHES = ["hgm+count_failed_expansions", "hgm+correct_async_bias", "hgm+expand_all_fail",
            "hgm+count_failed_expansions+correct_async_bias+expand_all_fail"]


def _one(job: tuple[str, int, float, float, bool]) -> SimResult:
    spec, seed, budget, target, reference = job
    run = simulate if reference else simulate_loop
    return run(policy_factory(spec), budget, seed, LandscapeConfig(), target)


def paired(results: list[SimResult], spec: str, base: str = "hgm") -> str:
    """One line: mean ± se of (spec − base) per seed for quality, regret, correlation."""
    by = {(r.policy, r.seed): r for r in results}
    seeds = sorted(s for p, s in by if p == spec)
    cells = []
    for col in ("pick_quality", "regret", "corr_hgm"):
        d = np.array([getattr(by[(spec, s)], col) - getattr(by[(base, s)], col)
                      for s in seeds])
        d = d[~np.isnan(d)]
        se = d.std(ddof=1) / math.sqrt(d.size) if d.size > 1 else math.nan
        cells.append(f"{col} {d.mean():+.3f} ± {se:.3f}")
    return f"{spec:<64}" + "   ".join(cells)


def scale(reference: bool) -> None:
    """Time runs that grow about 10^4 and 10^5 agents."""
    run = simulate if reference else simulate_loop
    print(f"\nsimulator speed ({'reference loop' if reference else 'real loop'}, "
          "32 simulated workers, 100 tasks)")
    cases = [("uniform", 120_000.0, {}), ("dgm", 500_000.0, {}),
             ("hgm", 30_000.0, {"alpha": 1.0}), ("oracle", 200_000.0, {}),
             ("hgm", 300_000.0, {"alpha": 1.0})]
    for spec, budget, extra in cases:
        r = run(policy_factory(spec, **extra), budget, 0, LandscapeConfig(workers=32))
        label = spec + (f" alpha={extra['alpha']}" if extra else "")
        print(f"  {label:<18} budget {budget:>9.0f}: {r.agents:>7} agents, "
              f"{r.evaluations:>7} evaluations, {r.decisions:>7} decisions in "
              f"{r.seconds:6.1f} s ({r.decisions / r.seconds:,.0f} decisions/s, "
              f"{r.agents / r.seconds:,.0f} nodes/s)", flush=True)


def main() -> None:
    """Parse options, run every (policy, seed, budget), print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--policies", nargs="+", help="specs to run (default: all and "
                        "the switch variants)")
    parser.add_argument("--budgets", type=float, nargs="*", default=[800.0, 8000.0])
    parser.add_argument("--target", type=float, default=0.6)
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--no-switches", action="store_true")
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--reference", action="store_true",
                        help="the stand-alone reference event loop instead of the real loop")
    args = parser.parse_args()
    specs = args.policies or POLICIES + ([] if args.no_switches else SWITCHES)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for budget in args.budgets:
        started = time.perf_counter()
        jobs = [(spec, seed, budget, args.target, args.reference) for spec in specs
                for seed in seeds]
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(_one, jobs, chunksize=4))
        print(f"\nbudget {budget:.0f} (task-evaluation units; an expansion costs "
              f"{LandscapeConfig().expansion_cost:g}), {args.seeds} seeds, target "
              f"{args.target}, {time.perf_counter() - started:.0f} s")
        print(format_table(results), flush=True)
        compared = [spec for spec in specs if spec.startswith("hgm+")]
        if "hgm" in specs and compared:
            print("\nswitches vs plain hgm, paired by seed (mean ± se):")
            for spec in compared:
                print("  " + paired(results, spec))
    if args.scale:
        scale(args.reference)


if __name__ == "__main__":
    main()
