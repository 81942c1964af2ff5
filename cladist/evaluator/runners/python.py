"""pytest, hardened against the workspace and reporting through a signed file."""

from __future__ import annotations

import hashlib
import hmac
import json
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cladist.evaluator.runners.base import HARNESS_DIR, REPORT, missing_report
from cladist.evaluator.testreport import Outcome, TestReport

if TYPE_CHECKING:
    from cladist.evaluator.contracts import Task
    from cladist.sandbox.contract import ExecResult

_OUTCOMES = ("passed", "failed", "skipped", "error")


class PytestRunner:
    """``python3 -I -B`` running pytest through ``harness/pytest_boot.py``: the working
    directory is not on ``sys.path`` (the workspace is appended after the standard
    library and pytest), cladist's own ``pytest.ini`` and rootdir, no conftest files,
    plugin autoload and cache off, and the report signed with a key given on stdin."""

    name = "pytest"
    needs_docker: str | None = None
    probe = "python3 -I -c 'import pytest'"

    def command(self, task: Task) -> str:
        """The pytest command for ``task`` (its ``test_args`` are the test paths)."""
        args = ["-q", "-rfE", "-p", "no:cacheprovider", "--noconftest",
                "-c", f"{HARNESS_DIR}/pytest.ini", f"--rootdir={task.workdir}",
                "--import-mode=append", *(task.test_args or (".",))]
        return shlex.join(["python3", "-I", "-B", f"{HARNESS_DIR}/pytest_boot.py", REPORT,
                           "--", *args])

    def env(self) -> Mapping[str, str]:
        """No plugin autoload, no extra options from the environment."""
        return {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": "",
                "PYTEST_PLUGINS": "", "PYTHONDONTWRITEBYTECODE": "1"}

    def stdin(self, key: str) -> bytes:
        """The signing key, on its own line."""
        return key.encode() + b"\n"

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """The signed report's outcomes; unsigned, forged or malformed -> a problem."""
        log = (result.out + result.err)[-64_000:]
        if report is None:
            return missing_report(result)
        try:
            data = signed_body(report, key)
            outcomes = {str(k): v for k, v in data["outcomes"].items() if v in _OUTCOMES}
        except ForgedReport as err:
            return TestReport(problem=str(err), log=log)
        except (ValueError, KeyError, TypeError, AttributeError):
            return TestReport(problem="the test report is malformed", log=log)
        for nodeid in data.get("collect_errors") or []:
            log += f"\n[cladist: collection error in {nodeid}]"
        typed: dict[str, Outcome] = outcomes
        return TestReport(typed, bool(data.get("complete")), None, log)


class ForgedReport(ValueError):
    """A report whose signature is not the one cladist's reporter makes with the key."""


def signed_body(report: bytes, key: str) -> dict[str, Any]:
    """The body of a report written by cladist's signed pytest reporter
    (``harness/cladist_pytest_report.py``) with ``key``. Raises ForgedReport when the
    signature is wrong, ValueError (or KeyError/TypeError) when it is malformed."""
    wrapper = json.loads(report)
    body, mac = wrapper["body"], wrapper["mac"]
    expected = hmac.new(key.encode(), str(body).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(mac)):
        raise ForgedReport("the test report's signature is wrong (a report not written by "
                           "cladist's test runner)")
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("the test report's body is not an object")
    return data
