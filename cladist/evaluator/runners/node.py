"""``node --test`` with cladist's reporter: the runner's own events as the report."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cladist.evaluator.runners.base import HARNESS_DIR, REPORT, missing_report
from cladist.evaluator.testreport import Outcome, TestReport

if TYPE_CHECKING:
    from cladist.evaluator.contracts import Task
    from cladist.sandbox.contract import ExecResult


class NodeRunner:
    """``node --test`` on the task's test paths (``test_args``) with the reporter
    ``harness/node_reporter.mjs``, writing the report. The test files run in child
    processes of the runner; a child that ends early reports nothing. Test ids are the
    test names (nested ones as ``outer > inner``; the per-file wrapper tests that some
    Node versions add are left out); the report is complete when the reporter wrote its
    end line after the runner's event stream closed."""

    name = "node"
    needs_docker: str | None = None
    probe = "node --version"

    def command(self, task: Task) -> str:
        """node --test with the reporter and its destination."""
        paths = " ".join(shlex.quote(p) for p in (task.test_args or ("test/",)))
        return (f"node --test --test-reporter={HARNESS_DIR}/node_reporter.mjs "
                f"--test-reporter-destination={REPORT} --test-reporter=spec "
                f"--test-reporter-destination=stdout {paths}")

    def env(self) -> Mapping[str, str]:
        """No options or module paths from the environment."""
        return {"NODE_OPTIONS": "", "NODE_PATH": ""}

    def stdin(self, key: str) -> None:
        """node reads nothing."""
        return None

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """The reporter's test lines, named by their nesting, and its end line."""
        if report is None:
            return missing_report(result)
        events, complete = [], False
        for line in report.decode("utf-8", "replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if event.get("type") == "cladist:end":
                complete = True
            elif event.get("type") in ("test:pass", "test:fail"):
                events.append(event)
        pairs: list[tuple[str, Outcome]] = []
        for name, event in _named(events):
            outcome: Outcome = ("skipped" if event.get("skip") or event.get("todo") else
                                "passed" if event["type"] == "test:pass" else "failed")
            pairs.append((name, outcome))
        log = (result.out + result.err)[-64_000:]
        return TestReport(TestReport.merge(pairs), complete, None, log)


def _named(events: list[dict]) -> list[tuple[str, dict]]:
    """(id, event) per test. Events end children first, so a test at nesting n adopts
    every pending test deeper than n (its name becomes ``parent > child``); a per-file
    wrapper (named after its file) adopts without a prefix and is not a test itself."""
    pending: list[tuple[int, str, dict]] = []
    for event in events:
        nesting, name = int(event.get("nesting") or 0), str(event.get("name"))
        wrapper = name == event.get("file") or (name.endswith((".js", ".mjs", ".cjs"))
                                                and "/" in name)
        kept = [p for p in pending if p[0] <= nesting]
        adopted = [(nesting, child if wrapper else f"{name} > {child}", child_event)
                   for depth, child, child_event in pending if depth > nesting]
        pending = kept + adopted
        if not wrapper:
            pending.append((nesting, name, event))
    return [(name, event) for _, name, event in pending]
