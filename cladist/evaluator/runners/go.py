"""``go test -json``: the go command's own event stream (test2json) as the report."""

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

WARM_CACHE = "/opt/cladist-go/cache"
"""The go image's build cache of the standard packages tests use (Go >= 1.20 ships none)."""
_ACTIONS: dict[str, Outcome] = {"pass": "passed", "fail": "failed", "skip": "skipped"}


class GoRunner:
    """``go test -json`` on the task's packages (``test_args``, default ``./...``), offline,
    with the workspace kept from configuring the toolchain (``GOWORK``, ``GOFLAGS``,
    ``GOENV`` off, a fresh build cache). Test ids are test names (``TestX``,
    ``TestX/sub``); the report is complete when every package that ran tests has its own
    end event (``pass`` or ``fail``) from the go command."""

    name = "go"
    needs_docker: str | None = None
    probe = "go version"

    def command(self, task: Task) -> str:
        """``go test -json`` writing its events to the report file, its fresh build cache
        started from the image's (:data:`WARM_CACHE`, where there is one)."""
        packages = " ".join(shlex.quote(p) for p in (task.test_args or ("./...",)))
        return (f"mkdir -p {HARNESS_DIR}/gocache && "
                f"{{ cp -R {WARM_CACHE}/. {HARNESS_DIR}/gocache/ 2>/dev/null || true; }} && "
                f"go test -json -count=1 {packages} > {REPORT}")

    def env(self) -> Mapping[str, str]:
        """Offline and unconfigurable by the workspace."""
        return {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOSUMDB": "off", "GOWORK": "off",
                "GOENV": "off", "GOTOOLCHAIN": "local", "GOCACHE": f"{HARNESS_DIR}/gocache",
                "GOPATH": f"{HARNESS_DIR}/gopath", "CGO_ENABLED": "0"}

    def stdin(self, key: str) -> None:
        """go test reads nothing."""
        return None

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """Per-test end events, and whether every package that started tests ended."""
        if report is None:
            return missing_report(result)
        pairs: list[tuple[str, Outcome]] = []
        output: list[str] = []
        started, ended = set(), set()
        for line in report.decode("utf-8", "replace").splitlines():
            try:
                event = json.loads(line)
                action, package = str(event.get("Action")), str(event.get("Package", ""))
            except (ValueError, AttributeError):
                output.append(line)  # build errors are printed as plain text
                continue
            test = event.get("Test")
            if action == "output":
                output.append(str(event.get("Output", "")).rstrip("\n"))
            elif test and action == "run":
                started.add(package)
            elif test and action in _ACTIONS:
                pairs.append((str(test), _ACTIONS[action]))
                started.add(package)
            elif not test and action in _ACTIONS:
                ended.add(package)
        log = "\n".join(output)[-64_000:] + "\n" + (result.out + result.err)[-8_000:]
        complete = bool(ended) and started <= ended
        if not started and ("[build failed]" in log or "[setup failed]" in log):
            return TestReport(problem="the package and its tests do not build", log=log)
        return TestReport(TestReport.merge(pairs), complete, None, log)
