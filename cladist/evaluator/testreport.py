"""What a test run proved: the tests a trusted runner reported, and the verdict they give.

A pass is evidence, never an exit code: the test runner of the task's language writes a
structured report naming each test it ran and how it ended (:mod:`cladist.evaluator.runners`),
and :func:`judge` passes a task only when the report is complete (the runner recorded that
it finished), every expected test of the task is in it as passed, and every canary (a test
cladist adds at grading that always fails, where the report comes from the process that
runs the code under test) is in it as failed: code that prints or writes the runner's
"passed" lines for every test it finds also claims the canary. An exit status of 0
with a missing, unsigned or short report is a fail with the reason said.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["passed", "failed", "skipped", "error"]
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


@dataclass(frozen=True)
class TestReport:
    """The runner's account of one test run.

    ``outcomes`` maps test ids (the runner's own naming: pytest node ids, Go test names,
    ...) to how each ended; ``complete`` says the runner recorded its own end (a process
    that died or exited early leaves it False); ``problem`` says why the report could not
    be used at all (missing, unreadable, forged signature); ``log`` is a readable test log.
    """

    __test__ = False  # not a pytest class

    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    complete: bool = False
    problem: str | None = None
    log: str = ""

    @staticmethod
    def merge(pairs: Iterable[tuple[str, Outcome]]) -> dict[str, Outcome]:
        """Outcomes by id where an id reported twice keeps its worst outcome."""
        merged: dict[str, Outcome] = {}
        for name, outcome in pairs:
            old = merged.get(name)
            if old is None or _RANK[outcome] > _RANK[old]:
                merged[name] = outcome
        return merged


@dataclass(frozen=True)
class Judgement:
    """Whether the report proves the task solved; ``reason`` says why not, in one line."""

    passed: bool
    reason: str | None
    expected: int
    reported_passed: int
    missing: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    def detail(self) -> dict[str, object]:
        """The judgement as JSON-able data for the stored result."""
        return {"expected_tests": self.expected, "passed_tests": self.reported_passed,
                "missing_tests": list(self.missing[:20]),
                "failed_tests": list(self.failed[:20]), "fail_reason": self.reason}


def judge(report: TestReport, expected: frozenset[str] | None,
          canaries: frozenset[str] = frozenset()) -> Judgement:
    """Pass only when ``report`` is usable and complete, every canary (a test cladist
    added that always fails) is reported and not passed, and every test of ``expected``
    is reported passed (tests outside ``expected`` do not count). Without an expected set
    (a task that does not know its tests), at least one test must run and every reported
    test must pass."""
    outcomes = {t: o for t, o in report.outcomes.items() if t not in canaries}
    passed = {t for t, o in outcomes.items() if o == "passed"}
    wanted = expected if expected else frozenset(outcomes)
    if report.problem is not None:
        return Judgement(False, report.problem, len(wanted), len(passed))
    forged = sorted(c for c in canaries if report.outcomes.get(c) == "passed")
    if forged:
        return Judgement(False, "the report says a test passed that always fails (a canary "
                         "cladist added): it was not written by an honest test run",
                         len(wanted), len(passed))
    unheard = sorted(c for c in canaries if c not in report.outcomes)
    if unheard and report.complete:
        return Judgement(False, "the report leaves out a test that ran (a canary cladist "
                         "added): it was not written by an honest test run", len(wanted),
                         len(passed))
    if not report.complete:
        return Judgement(False, "the test runner did not record its end (it was stopped, "
                         "or the code under test ended the process)", len(wanted),
                         len(passed), tuple(sorted(wanted - passed)))
    if not wanted:
        return Judgement(False, "no test ran", 0, 0)
    missing = tuple(sorted(t for t in wanted if t not in outcomes))
    failed = tuple(sorted(t for t in wanted if t in outcomes and t not in passed))
    if missing:
        return Judgement(False, f"{len(missing)} of {len(wanted)} expected tests did not run "
                         f"(e.g. {missing[0]})", len(wanted), len(passed & wanted), missing,
                         failed)
    if failed:
        return Judgement(False, f"{len(failed)} of {len(wanted)} expected tests did not pass "
                         f"(e.g. {failed[0]}: {outcomes[failed[0]]})", len(wanted),
                         len(passed & wanted), missing, failed)
    return Judgement(True, None, len(wanted), len(wanted))
