"""What every test runner shares: the :class:`TestRunner` protocol, where its files and
report sit in the grading sandbox, and the readers of a missing or JUnit XML report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from xml.etree import ElementTree

from cladist.evaluator.testreport import Outcome, TestReport

if TYPE_CHECKING:
    from cladist.evaluator.contracts import Task
    from cladist.sandbox.contract import ExecResult

HARNESS_DIR = "/tmp/cladist-harness"
"""Where the runner files sit in the grading sandbox."""
REPORT = f"{HARNESS_DIR}/report"
"""The report file every runner writes."""
HARNESS_HOST_DIR = Path(__file__).resolve().parent / "harness"
"""The runner files on the host (package data)."""


class TestRunner(Protocol):
    """How one kind of test suite is run and read.

    ``probe`` is a shell command proving the toolchain works, run in the fresh grading
    sandbox before any code of the agent is there (a failure is an infrastructure fault).
    ``command`` is the shell command running the task's tests in its workdir and writing
    :data:`REPORT`; ``env`` its environment; ``stdin`` what it reads on standard input
    (the signing key, for runners that sign); ``parse`` turns the report file (None when
    missing) into a TestReport and never raises. ``needs_docker`` says why the runner's
    tools live only in its Docker image (bubblewrap runs the host's), or is None.
    """

    if not TYPE_CHECKING:
        __test__ = False  # not a test class for pytest (runtime only: not a member)
    name: str
    probe: str
    needs_docker: str | None

    def command(self, task: Task) -> str:
        """The shell command running ``task``'s tests in its workdir."""
        ...

    def env(self) -> Mapping[str, str]:
        """Environment variables the command runs with."""
        ...

    def stdin(self, key: str) -> bytes | None:
        """What the command reads on standard input."""
        ...

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """The report file as a TestReport; never raises."""
        ...


def missing_report(result: ExecResult) -> TestReport:
    """The report of a run that left no report file."""
    how = ("it timed out" if result.timed_out else "it ran out of memory" if result.oom_killed
           else "its output went past the cap" if result.truncated
           else f"it exited with status {result.returncode}")
    return TestReport(problem=f"the test runner wrote no report ({how})",
                      log=(result.out + result.err)[-64_000:])


def junit_report(report: bytes | None, result: ExecResult,
                 ids: Callable[[str, str], Iterable[str]]) -> TestReport:
    """A JUnit XML report (Catch2's reporter, the JUnit console launcher) as a TestReport:
    each ``<testcase>`` gives its outcome (failed with a failure or error, skipped with
    skipped, else passed) to the ids ``ids(classname, name)`` names, the worst kept; the
    report is complete when the XML is whole (both write it at the end of the run)."""
    if report is None:
        return missing_report(result)
    log = (result.out + result.err)[-64_000:]
    try:
        root = ElementTree.fromstring(report)
    except ElementTree.ParseError:
        return TestReport(problem="the JUnit report is not well-formed XML", log=log)
    pairs: list[tuple[str, Outcome]] = []
    for case in root.iter("testcase"):
        outcome: Outcome = (
            "failed" if case.find("failure") is not None or case.find("error") is not None
            else "skipped" if case.find("skipped") is not None else "passed")
        pairs += [(test_id, outcome)
                  for test_id in ids(case.get("classname") or "", case.get("name") or "")]
    return TestReport(TestReport.merge(pairs), root.tag in ("testsuites", "testsuite"), None,
                      log)
