"""Archive at scale: a random tree of 100,000 nodes with 1,000,000 results.

Prints, measured in this one run: node and result insert rates, the cost of one result
update (clade counts included) under both SQLite synchronous modes, the time of a
best-belief pick, the time of ``cladist tree --json`` on the run, and a check that the
incremental clade counts equal a brute-force recomputation.

Usage: python bench/archive_scale.py [--nodes N] [--results M] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cladist.archive.lineage import best_belief, check_clade_counts
from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.archive.store import ArchiveStore
from cladist.config import load_config


def build(run: Run, nodes: int, results: int, rng: random.Random) -> tuple[float, float]:
    """Grow the tree and record results in batches; returns (nodes/s, results/s)."""
    sha = run.node_commit(0)
    t0 = time.perf_counter()
    created = 1
    while created < nodes:
        size = min(1000, nodes - created)
        # Half the parents are recent nodes (deep chains), half uniform (bushy tree).
        specs = []
        for k in range(size):
            newest = created + k - 1
            parent = newest - rng.randint(0, 50) if rng.random() < 0.5 else rng.randint(0, newest)
            specs.append((max(parent, 0), sha, NodeStatus.VALID, None, None))
        run.store.add_nodes(specs)
        created += size
    node_rate = (nodes - 1) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    done = 0
    while done < results:
        size = min(2000, results - done)
        batch = [NewResult(rng.randrange(nodes), f"task-{rng.randrange(400)}",
                           Verdict.PASS if rng.random() < 0.4 else Verdict.FAIL,
                           attempt=1 + (done + k) % 3) for k in range(size)]
        run.store.record_results(batch)
        done += size
    return node_rate, results / (time.perf_counter() - t0)


def single_updates(db: Path, synchronous: str, nodes: int, rng: random.Random,
                   count: int = 200) -> float:
    """Median seconds of one record_result transaction (own + clade counts)."""
    store = ArchiveStore(db, synchronous=synchronous)
    times = []
    try:
        for i in range(count):
            result = NewResult(rng.randrange(nodes), f"single-{synchronous}-{i}", Verdict.PASS)
            t0 = time.perf_counter()
            store.record_result(result)
            times.append(time.perf_counter() - t0)
    finally:
        store.close()
    return statistics.median(times)


def main() -> None:
    """Measure and print the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Keep the run under this folder.")
    args = parser.parse_args()
    rng = random.Random(7)
    base = args.keep or Path(tempfile.mkdtemp(prefix="cladist-bench-"))
    cfg = load_config([f"run.runs_dir={base}", "run.name=scale",
                       "archive.sqlite_synchronous=NORMAL"])
    with Run.create(cfg) as run:
        node_rate, result_rate = build(run, args.nodes, args.results, rng)
        depth = max(n.depth for n in run.store.nodes())
        db = run.store.path
        t0 = time.perf_counter()
        best = best_belief(run.store)
        first_pick = time.perf_counter() - t0  # includes importing numpy/scipy
        t0 = time.perf_counter()
        best = best_belief(run.store)
        pick = time.perf_counter() - t0
        t0 = time.perf_counter()
        problems = check_clade_counts(run.store)
        brute = time.perf_counter() - t0
    one_normal = single_updates(db, "NORMAL", args.nodes, rng)
    one_full = single_updates(db, "FULL", args.nodes, rng)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "cladist", "tree", str(db.parent), "--json"],
                         capture_output=True, check=True).stdout
    tree_json = time.perf_counter() - t0

    print(f"tree: {args.nodes:,} nodes (max depth {depth}), {args.results:,} results")
    print(f"node insert rate:              {node_rate:12,.0f} nodes/s (batches of 1000)")
    print(f"result insert rate:            {result_rate:12,.0f} results/s (batches of 2000)")
    print(f"one result update, NORMAL:     {one_normal * 1e3:12.2f} ms (median of 200)")
    print(f"one result update, FULL:       {one_full * 1e3:12.2f} ms (median of 200)")
    print(f"  ratio FULL/NORMAL:           {one_full / one_normal:12.2f}x")
    print(f"best-belief pick:              {pick * 1e3:12.1f} ms (node {best}; first call "
          f"{first_pick * 1e3:.0f} ms with imports)")
    print(f"cladist tree --json:           {tree_json:12.2f} s ({len(out) / 1e6:.1f} MB)")
    print(f"brute-force clade check:       {brute:12.2f} s, "
          f"{'counts agree' if not problems else f'{len(problems)} MISMATCHES'}")
    print(f"archive.db size:               {db.stat().st_size / 1e6:12.1f} MB ({base})")


if __name__ == "__main__":
    main()
