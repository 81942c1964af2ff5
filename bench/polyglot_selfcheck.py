"""Self-check of a Polyglot benchmark checkout: every exercise's reference solution must
pass and its empty stub must fail, graded exactly as agents are.

Usage: python bench/polyglot_selfcheck.py PATH [--languages cpp,go,java,javascript,python,rust]
       [--limit N] [--only ID,...] [--workers 2] [--backend docker|bubblewrap] [--json FILE]

Prints per language: exercises, oracle passes, empty passes (each one a hole an agent
could pass without work) and the median grading seconds of each, then every exercise
whose reference does not pass with the grader's reason, and every exercise cladist cannot
build offline with its reason. ``--json`` also writes every row.
"""

from __future__ import annotations

import argparse
import json
import statistics
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
from cladist.evaluator.suites.polyglot.suite import LANGUAGES, PolyglotSuite
from cladist.sandbox.contract import Limits, SandboxSpec


def check(task: Task, context: EvalContext, limits: Limits) -> dict:
    """The oracle's and the empty patch's verdicts and seconds, and why the oracle did not
    pass (the infra reason, the judge's reason and the test output's tail)."""
    spec = SandboxSpec(image=context.image_for(task.image), limits=limits, role="grader",
                       run_id="polyglot-selfcheck")
    oracle = grade(task, solution_patch(task), context.open_sandbox, spec)
    empty = grade(task, "", context.open_sandbox, spec)
    why = oracle.infra_reason or str(oracle.detail.get("fail_reason") or "")
    if oracle.verdict != Verdict.PASS:
        why += " | " + " ".join(oracle.test_output.split())[-300:]
    return {"task": task.id, "language": task.language, "oracle": str(oracle.verdict),
            "reference_needs": task.metadata.get("reference_needs"),
            "empty": str(empty.verdict), "oracle_s": round(oracle.seconds, 2),
            "empty_s": round(empty.seconds, 2), "why": why}


def grade_all(path: Path, languages: list[str], limit: int | None, workers: int,
              backend: str, only: list[str] | None = None
              ) -> tuple[list[dict], dict[str, str]]:
    """Rows of :func:`check` for the first ``limit`` exercises of each language (or the
    ``only`` ones), and the exercises the suite cannot run offline with their reasons."""
    with tempfile.TemporaryDirectory(prefix="cladist-selfcheck-") as stage:
        suite = PolyglotSuite(path, staging=Path(stage))
        by_language: dict[str, list[Task]] = defaultdict(list)
        for task in suite.tasks(only):
            if task.language in languages:
                by_language[task.language].append(task)
        chosen = [t for lang in languages for t in by_language[lang][:limit]]
        context = make_context(load_config([f"sandbox.backend={backend}"]), gateway=None)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(lambda t: check(t, context, Limits(memory="2g")), chosen))
    blocked = {i: why for i, why in suite.unsupported.items() if i.split("/")[0] in languages}
    return rows, blocked


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "-"


def main() -> None:
    """Grade, then print the table, the exceptions and the holes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--languages", default=",".join(sorted(LANGUAGES)))
    parser.add_argument("--limit", type=int, default=None, help="First N per language.")
    parser.add_argument("--only", default=None, help="Exercise ids (lang/name), comma-separated.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", default="docker", choices=["docker", "bubblewrap"])
    parser.add_argument("--json", type=Path, default=None, help="Write every row here.")
    args = parser.parse_args()
    languages = args.languages.split(",")
    only = args.only.split(",") if args.only else None
    rows, blocked = grade_all(args.path, languages, args.limit, args.workers, args.backend,
                              only)
    print(f"{'language':10} {'exercises':>9} {'oracle passes':>13} {'empty passes':>12} "
          f"{'not graded':>15} {'median s oracle':>15} {'median s empty':>14}")
    for language in languages:
        mine = [r for r in rows if r["language"] == language]
        print(f"{language:10} {len(mine):>9} "
              f"{sum(r['oracle'] == Verdict.PASS for r in mine):>13} "
              f"{sum(r['empty'] == Verdict.PASS for r in mine):>12} "
              f"{sum(i.startswith(language + '/') for i in blocked):>15} "
              f"{_median([r['oracle_s'] for r in mine]):>15} "
              f"{_median([r['empty_s'] for r in mine]):>14}")
    failing = [r for r in rows if r["oracle"] != Verdict.PASS and not r["reference_needs"]]
    print(f"\nreference solutions that do not pass ({len(failing)}):")
    for row in failing:
        print(f"  {row['task']}: {row['oracle']}: {row['why']}")
    needs = [r for r in rows if r["reference_needs"]]
    print(f"reference solutions that need a download (the task does not) ({len(needs)}):")
    for row in needs:
        print(f"  {row['task']}: needs {row['reference_needs']}; oracle {row['oracle']}")
    holes = [r["task"] for r in rows if r["empty"] == Verdict.PASS]
    print(f"empty stubs that pass ({len(holes)}): {', '.join(holes) or 'none'}")
    print(f"not graded ({len(blocked)}):")
    for task_id, why in sorted(blocked.items()):
        print(f"  {task_id}: {why}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "blocked": blocked}, indent=1))


if __name__ == "__main__":
    main()
