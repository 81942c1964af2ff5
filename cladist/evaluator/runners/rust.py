"""``cargo test``: libtest's per-test lines and per-binary result lines as the report."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cladist.evaluator.runners.base import HARNESS_DIR, REPORT, missing_report
from cladist.evaluator.testreport import Outcome, TestReport

if TYPE_CHECKING:
    from cladist.evaluator.contracts import Task
    from cladist.sandbox.contract import ExecResult

_TEST = re.compile(r"^test (.+?) \.\.\. (ok|FAILED|ignored)\b")  # doc tests: "src/lib.rs - X"
_RESULT = re.compile(r"^test result: (ok|FAILED)\. (\d+) passed; (\d+) failed")
_RUNNING = re.compile(r"^\s*(Running|Doc-tests)\b")
_OUTCOMES: dict[str, Outcome] = {"ok": "passed", "FAILED": "failed", "ignored": "skipped"}


class CargoRunner:
    """``cargo test --offline --no-fail-fast`` (``test_args`` go to the test binaries,
    e.g. ``--include-ignored``) with a target dir and cargo home of cladist's (the
    workspace's ``target/`` and ``.cargo/`` take no part) and no flags from the
    environment. Test ids are libtest's names; the report is complete when every test
    binary that started printed its ``test result:`` line and their counts add up."""

    name = "cargo"
    needs_docker: str | None = None
    probe = "cargo --version && rustc --version"

    def command(self, task: Task) -> str:
        """cargo test, its progress and the binaries' output to the report file."""
        extra = " ".join(shlex.quote(a) for a in ("--test-threads=2", *task.test_args))
        return f"cargo test --offline --no-fail-fast -- {extra} > {REPORT} 2>&1"

    def env(self) -> Mapping[str, str]:
        """A target dir and cargo home of cladist's; no flags from the environment."""
        return {"CARGO_TARGET_DIR": f"{HARNESS_DIR}/target", "RUSTFLAGS": "",
                "CARGO_BUILD_RUSTFLAGS": "", "RUSTDOCFLAGS": "", "CARGO_NET_OFFLINE": "true",
                "CARGO_TERM_COLOR": "never"}

    def stdin(self, key: str) -> None:
        """cargo test reads nothing."""
        return None

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """Per-test lines, checked against each binary's result line."""
        if report is None:
            return missing_report(result)
        text = report.decode("utf-8", "replace")
        pairs: list[tuple[str, Outcome]] = []
        sections = results = 0
        counted = [0, 0]
        in_section = [0, 0]
        consistent = True
        for line in text.splitlines():
            if _RUNNING.match(line):
                sections += 1
                in_section = [0, 0]
            elif match := _TEST.match(line):
                outcome = _OUTCOMES[match.group(2)]
                pairs.append((match.group(1), outcome))
                if outcome == "passed":
                    in_section[0] += 1
                elif outcome == "failed":
                    in_section[1] += 1
            elif match := _RESULT.match(line):
                results += 1
                claimed = [int(match.group(2)), int(match.group(3))]
                consistent &= claimed == in_section
                counted = [counted[0] + claimed[0], counted[1] + claimed[1]]
        complete = sections > 0 and results == sections and consistent
        log = text[-56_000:] + "\n" + result.err[-8_000:]
        return TestReport(TestReport.merge(pairs), complete, None, log)
