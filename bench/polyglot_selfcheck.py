"""Self-check of a Polyglot benchmark checkout: every exercise's reference solution must
pass and its empty stub must fail, graded exactly as agents are.

Usage: python bench/polyglot_selfcheck.py PATH [--languages cpp,go,python,rust]
       [--limit N] [--workers 2] [--backend docker|bubblewrap]

Prints per language: exercises, oracle passes, empty passes (each one a hole an agent
could pass without work), then every exercise whose reference does not pass, with the
grader's reason, and the languages cladist cannot run offline with theirs.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cladist.archive.records import Verdict
from cladist.config import load_config
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import EvalContext, make_context
from cladist.evaluator.grader import grade
from cladist.evaluator.oracle import solution_patch
from cladist.evaluator.suites.polyglot import PolyglotSuite
from cladist.sandbox.contract import Limits, SandboxSpec


def check(task: Task, context: EvalContext, limits: Limits) -> tuple[str, str, str, str]:
    """(task id, oracle verdict, empty verdict, why the oracle did not pass)."""
    spec = SandboxSpec(image=context.image_for(task.image), limits=limits, role="grader",
                       run_id="polyglot-selfcheck")
    oracle = grade(task, solution_patch(task), context.open_sandbox, spec)
    empty = grade(task, "", context.open_sandbox, spec)
    why = oracle.infra_reason or str(oracle.detail.get("fail_reason") or "")
    return task.id, str(oracle.verdict), str(empty.verdict), why[:300]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--languages", default="cpp,go,python,rust")
    parser.add_argument("--limit", type=int, default=None, help="First N per language.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", default="docker", choices=["docker", "bubblewrap"])
    args = parser.parse_args()
    languages = args.languages.split(",")
    with tempfile.TemporaryDirectory(prefix="cladist-selfcheck-") as stage:
        suite = PolyglotSuite(args.path, staging=Path(stage))
        by_language: dict[str, list[Task]] = defaultdict(list)
        for task in suite.tasks():
            if task.language in languages:
                by_language[task.language].append(task)
        chosen = [t for lang in languages for t in by_language[lang][:args.limit]]
        context = make_context(load_config([f"sandbox.backend={args.backend}"]), gateway=None)
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            rows = list(pool.map(lambda t: check(t, context, Limits(memory="2g")), chosen))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for task_id, oracle, empty, _ in rows:
        cell = counts[task_id.split("/")[0]]
        cell[0] += 1
        cell[1] += oracle == Verdict.PASS
        cell[2] += empty == Verdict.PASS
    print(f"{'language':10} {'exercises':>9} {'oracle passes':>13} {'empty passes':>12}")
    for language in languages:
        n, oracle_ok, empty_ok = counts[language]
        print(f"{language:10} {n:>9} {oracle_ok:>13} {empty_ok:>12}")
    failing = [(i, o, why) for i, o, _, why in rows if o != Verdict.PASS]
    holes = [i for i, _, e, _ in rows if e == Verdict.PASS]
    print(f"\nreference solutions that do not pass ({len(failing)}):")
    for task_id, verdict, why in failing:
        print(f"  {task_id}: {verdict}: {why}")
    print(f"empty stubs that pass ({len(holes)}): {', '.join(holes) or 'none'}")
    unsupported = sorted(set(suite.unsupported.values()))
    print(f"not runnable offline: {len(suite.unsupported)} exercises ({'; '.join(unsupported)})")


if __name__ == "__main__":
    main()
