"""How long grading takes per Polyglot language: median seconds of grading the reference
solution and the empty patch, the first N exercises of every language, side by side in
one run (one grading at a time by default, so the figures do not share the cores).

Usage: python bench/polyglot_grading.py PATH [--per-language 5] [--workers 1]
       [--backend docker|bubblewrap]

Each grading is what an evaluation pays after the agent finished: a fresh sandbox from
the language's image, the patched tree copied in, the toolchain probe (once per image and
process), build and tests. The ratio column compares each language with the fastest.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from polyglot_selfcheck import grade_all

from cladist.evaluator.suites.polyglot.suite import LANGUAGES


def main() -> None:
    """Grade, then print the median seconds per language."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--per-language", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backend", default="docker", choices=["docker", "bubblewrap"])
    args = parser.parse_args()
    languages = sorted(LANGUAGES)
    rows, _ = grade_all(args.path, languages, args.per_language, args.workers, args.backend)
    medians = {}
    for language in languages:
        mine = [r for r in rows if r["language"] == language]
        if mine:
            medians[language] = (statistics.median(r["oracle_s"] for r in mine),
                                 statistics.median(r["empty_s"] for r in mine), len(mine))
    fastest = min(oracle for oracle, _, _ in medians.values())
    print(f"{'language':10} {'graded':>6} {'oracle s (median)':>17} {'empty s (median)':>16} "
          f"{'oracle / fastest':>16}")
    for language, (oracle, empty, count) in medians.items():
        print(f"{language:10} {count:>6} {oracle:>17.1f} {empty:>16.1f} "
              f"{oracle / fastest:>16.1f}")
    wrong = [r["task"] for r in rows if r["oracle"] != "pass" or r["empty"] != "fail"]
    print(f"\nnot oracle-pass/empty-fail: {', '.join(wrong) or 'none'}")


if __name__ == "__main__":
    main()
