"""Whether cladist's signed test report backs a "resolved" the harness read from a log.

The harness reads test results from the text the tests printed, which the code under test
can print too (``PASSED tests/x.py::test_y``, then exit). Where the instance's runner is
pytest or unittest (Django), cladist's reporter (``runners/harness/cladist_swebench_*.py``)
also writes the run's results, signed with a key the tests never saw. Its results are
turned into the lines that runner prints (pytest's ``-rA`` summary, unittest's verbose
``name ... ok``) and read by the instance's own log parser, so test names come out exactly
as the harness names them; the harness's own grading of that status map must then say
resolved too. A FAIL_TO_PASS or PASS_TO_PASS test the harness counts as a success is:

- backed when the signed report says so (passed or xfailed; skipped too for PASS_TO_PASS);
- contradicted when the signed report has it ending otherwise;
- unbacked when the signed report lacks it and it is a real test: for pytest, its file
  exists at the base commit or comes with the test patch; for unittest, any name but the
  one the Django parser makes up from printed text (:data:`PARSER_ARTIFACTS`);
- otherwise not a test of this run (for pytest, names the harness picked up from captured
  output, such as an inner pytest run's lines or ``[100%]``): accepted, as the harness
  accepts them, and listed.

Resolved is kept only when the report is genuine, complete and leaves nothing
contradicted or unbacked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cladist.evaluator.runners.python import ForgedReport, signed_body
from cladist.evaluator.suites.swebench.adapter import InstanceHarness


@dataclass(frozen=True)
class Evidence:
    """The signed report's verdict on a resolved run; ``problem`` says why it does not back
    it (None: it does), ``missing`` when there is no report at all."""

    problem: str | None
    missing: bool = False
    contradicted: tuple[str, ...] = ()
    unbacked: tuple[str, ...] = ()
    not_tests: tuple[str, ...] = ()
    forged: bool = False

    def detail(self) -> dict[str, object]:
        """JSON-able data for the stored result."""
        return {"backed": self.problem is None, "problem": self.problem,
                "contradicted": list(self.contradicted[:20]),
                "unbacked": list(self.unbacked[:20]),
                "not_tests_of_this_run": list(self.not_tests[:20])}


PARSER_ARTIFACTS = frozenset({"--version is equivalent to version"})
"""Names the Django parser makes up from printed text rather than from a test's line."""
UNITTEST_WORDS = {"PASSED": "ok", "FAILED": "FAIL", "ERROR": "ERROR", "SKIPPED": "skipped ''",
                  "XFAIL": "expected failure", "XPASS": "unexpected success"}


def summary_lines(statuses: Mapping[str, str], runner: str = "pytest") -> str:
    """The signed statuses as the lines ``runner`` prints: pytest's ``-rA`` summary, or
    unittest's verbose ``description ... ok``."""
    if runner == "unittest":
        return "".join(f"{name} ... {UNITTEST_WORDS.get(status, status)}\n"
                       for name, status in statuses.items())
    return "".join(f"{status} {name}\n" for name, status in statuses.items())


def signed_statuses(report: bytes, key: str) -> dict[str, str]:
    """The ``statuses`` of a complete signed report (pytest's or unittest's reporter).
    Raises ForgedReport (wrong signature), ValueError (malformed or incomplete)."""
    try:
        body = signed_body(report, key)
        statuses = body["statuses"]
        complete = body.get("complete") is True
    except ForgedReport:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"the signed test report is malformed ({type(err).__name__})") \
            from None
    if not isinstance(statuses, dict) or not complete:
        raise ValueError("the signed test report is incomplete")
    return {str(k): str(v) for k, v in statuses.items()}


def check(harness: InstanceHarness, report: bytes | None, key: str,
          repository_files: Iterable[str]) -> Evidence:
    """Whether ``report`` (the signed report file, None when missing) backs the harness's
    resolved verdict; ``repository_files`` are the test files of the instance known from
    trusted sources (tracked at the base commit, or touched by the test patch)."""
    if report is None:
        return Evidence("the tests left no signed report (cladist's reporter did not see "
                        "the test run end)", missing=True)
    try:
        statuses = signed_statuses(report, key)
    except ForgedReport as err:
        return Evidence(str(err), forged=True)
    except ValueError as err:
        return Evidence(str(err))
    runner = harness.runner or "pytest"
    backed = harness.parse(summary_lines(statuses, runner))
    found = harness.tests_report(backed)
    files = set(repository_files)
    contradicted, unbacked, not_tests = [], [], []
    for name in (*found["FAIL_TO_PASS"]["failure"], *found["PASS_TO_PASS"]["failure"]):
        if harness.entry(name, backed) is not None:
            contradicted.append(name)
        elif (name not in PARSER_ARTIFACTS if runner == "unittest"
              else "::" in name and name.split("::", 1)[0] in files):
            unbacked.append(name)
        else:
            not_tests.append(name)
    problem = None
    if contradicted:
        first = contradicted[0]
        ended = backed.get(harness.entry(first, backed) or "", "?")
        problem = (f"{len(contradicted)} test(s) the log shows passing did not pass in the "
                   f"signed report (e.g. {first}: {ended})")
    elif unbacked:
        problem = (f"{len(unbacked)} test(s) the log shows passing are not in the signed "
                   f"report (e.g. {unbacked[0]})")
    return Evidence(problem, contradicted=tuple(contradicted), unbacked=tuple(unbacked),
                    not_tests=tuple(not_tests))
