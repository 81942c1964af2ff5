"""Does evolution help? An evolution run on the training split, then its best-belief agent
against its seed on the held-out split, paired and repeated.

Usage: python bench/self_improvement.py [--hours 2] [--repeats 3] [--policy hgm|dgm]
       [--tier all] [--split-fraction 0.5] [--runs-dir DIR] [--run RUN] [-c KEY=VALUE ...]

1. ``cladist run`` with the embedded default model and the quickstart preset's settings for
   it, on the train side of ``evaluator.split`` of the bundled suite (every language at
   ``--tier all``), stopping after ``--hours`` of wall clock (other budgets left large).
2. ``cladist compare --agent RUN:best --agent RUN:0 --split test --exclude-run RUN
   --repeats K --json``: the evolved agent and the seed on tasks the run never saw.
3. Prints the tree (nodes, valid children), the evaluations, each agent's held-out pass
   rate with its 95% interval, the paired difference with its interval and p-value, and
   the best-belief agent's change against the seed (``git diff --stat``).

Both steps run as CLI subprocesses (what a user runs); their output streams through. Takes
``--hours`` plus the comparison: about 2 agents x repeats x held-out tasks x 1-2 minutes
on 2 cores with the default model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from cladist.archive.lineage import best_belief
from cladist.archive.records import NodeStatus
from cladist.archive.run import Run, resolve_run


def cladist(*args: str) -> subprocess.CompletedProcess[str]:
    """``cladist ARGS``, stderr streaming through; stdout captured (and echoed)."""
    done = subprocess.run([sys.executable, "-m", "cladist", *args], stdout=subprocess.PIPE,
                          text=True, env={**os.environ, "COLUMNS": "160"})
    sys.stdout.write(done.stdout if "--json" not in args else "")
    return done


def main() -> None:
    """Run the experiment and print its figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--policy", default="hgm", choices=["hgm", "dgm"])
    parser.add_argument("--tier", default="all")
    parser.add_argument("--split-fraction", type=float, default=0.5)
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    parser.add_argument("--run", help="Compare and report on this finished evolution run "
                        "(id or path) instead of making a new one.")
    parser.add_argument("-c", dest="overrides", action="append", default=[],
                        help="Extra config override for both steps (repeatable).")
    args = parser.parse_args()
    # the quickstart's settings for the embedded model, on the whole (split) bundled suite
    common = ["--preset", "quickstart", "-c", "evaluator.tasks=[]", "-c", "llm.provider=local",
              "-c", "evaluator.suite=bundled",
              "-c", f"evaluator.tier={args.tier}", "-c", f"run.runs_dir={args.runs_dir}",
              "-c", f"evaluator.split_fraction={args.split_fraction}", "-c", "budget.workers=1",
              *[x for o in args.overrides for x in ("-c", o)]]
    name = f"selfimp-{args.policy}"
    started = time.monotonic()
    if args.run:  # an evolution run made before: only the comparison and the report
        path, status = resolve_run(args.run, args.runs_dir), "given"
    else:
        evolved = cladist("run", *common, "-c", "evaluator.split=train",
                          "-c", f"run.name={name}", "-c", f"scheduler.policy={args.policy}",
                          "-c", f"budget.wall_clock_s={int(args.hours * 3600)}",
                          "-c", "budget.task_evaluations=100000", "-c", "budget.expansions=10000",
                          "--runs-dir", str(args.runs_dir))
        found = re.search(r"started run (\S+)", evolved.stdout)
        if found is None:
            sys.exit(f"the evolution run did not start (exit {evolved.returncode})")
        path, status = resolve_run(found.group(1), args.runs_dir), f"exit {evolved.returncode}"
    with Run.open(path, read_only=True) as run:
        nodes = run.store.nodes()
        best = best_belief(run.store, run.config.archive.best_belief_epsilon)
        evaluations = sum(n.evaluations for n in nodes)
        diff = run.agents.diff(run.node_commit(0), run.node_commit(best)) if best else ""
        outcomes = Counter(f"{e.outcome}" + (f" ({e.reason[:60]})" if e.reason else "")
                           for e in run.store.expansions())
    valid = sum(n.status == NodeStatus.VALID for n in nodes) - 1
    compared = cladist("compare", "--agent", f"{path}:best", "--agent", f"{path}:0",
                       "--repeats", str(args.repeats), "--split", "test",
                       "--exclude-run", str(path), "--json", *common,
                       "-c", f"run.name={name}-compare",
                       "--runs-dir", str(args.runs_dir))
    if compared.returncode != 0:
        sys.exit(f"the comparison failed (exit {compared.returncode}); the run is {path}")
    report = json.loads(compared.stdout)
    run_minutes = (time.monotonic() - started) / 60
    seconds = sum(float(e.get("elapsed_s", 0)) for e in _events(path, "session_stopped"))
    print(f"\nrun {path.name} ({args.policy}, {status}, {seconds / 60:.0f} min evolving, "
          f"{run_minutes:.0f} min for this script): "
          f"{len(nodes)} nodes, {valid} valid children, {evaluations} scored evaluations; "
          f"best-belief node {best}")
    for outcome, count in outcomes.most_common():
        print(f"  expansions {outcome}: {count}")
    if not best:
        print("  no child is believed better than the seed: the comparison below is the "
              "seed against itself (how much repeats of one agent differ)")
    for agent in report["agents"]:
        rate = agent["pass_rate"]
        print(f"  held out, {agent['label'].rsplit(':', 1)[-1]:>4}: {rate['value']:.3f} "
              f"[{rate['low']:.3f}, {rate['high']:.3f}] over {agent['tasks']} tasks x "
              f"{args.repeats}")
    (pair,) = report["pairs"]
    d = pair["difference"]
    print(f"  best - seed: {d['value']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}], p = "
          f"{pair['p_value']:.3f}; wins {len(pair['wins'])}, losses {len(pair['losses'])}, "
          f"ties {pair['ties']} (compare run {report['run_id']})")
    print("  best-belief agent's change:" + (f"\n{_stat(diff)}" if diff else " none (the seed)"))


def _events(path: Path, kind: str) -> list[dict]:
    """The run's events of ``kind`` from its ``events.jsonl``."""
    lines = (path / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, filter(None, lines)) if e.get("kind") == kind]


def _stat(diff: str) -> str:
    """A ``git diff --stat``-like summary of a unified diff: files and lines changed."""
    files: dict[str, list[int]] = {}
    current = None
    for line in diff.splitlines():
        if line.startswith("+++ b/"):
            current = line[6:]
            files[current] = [0, 0]
        elif current and line.startswith("+") and not line.startswith("+++"):
            files[current][0] += 1
        elif current and line.startswith("-") and not line.startswith("---"):
            files[current][1] += 1
    return "\n".join(f"    {name}: +{a} -{r}" for name, (a, r) in files.items())


if __name__ == "__main__":
    main()
