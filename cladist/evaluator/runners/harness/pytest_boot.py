"""cladist's pytest bootstrap, run in the grading sandbox as
``python3 -I -B pytest_boot.py REPORT -- PYTEST ARGS`` with the signing key on stdin.

Isolated mode (-I) keeps the workspace, PYTHON* variables and user site-packages out of
``sys.path``; the key is read and stdin closed before pytest or any test is imported; the
workspace is appended after the standard library and pytest, so no file of the agent's can
stand in for them; the results of every test are written at the session's end, signed
with the key (HMAC-SHA256), so a report the code under test writes is recognised as forged.
"""

import hashlib
import hmac
import json
import os
import sys

KEY = sys.stdin.buffer.readline().strip()
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)
os.close(_null)
sys.stdin = open(os.devnull)  # noqa: SIM115 - stays open for the process
RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


class CladistReport:
    """Collects each test's outcome and writes the signed report at the end."""

    def __init__(self, path):
        self.path, self.outcomes, self.collect_errors = path, {}, []

    def _set(self, nodeid, outcome):
        old = self.outcomes.get(nodeid)
        if old is None or RANK[outcome] > RANK[old]:
            self.outcomes[nodeid] = outcome

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self._set(report.nodeid, "passed" if report.passed else
                      "skipped" if report.skipped else "failed")
        elif report.failed:
            self._set(report.nodeid, "error")
        elif report.skipped:
            self._set(report.nodeid, "skipped")

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(report.nodeid)

    def pytest_sessionfinish(self, session, exitstatus):
        body = json.dumps({"outcomes": self.outcomes, "collect_errors": self.collect_errors,
                           "exitstatus": int(exitstatus), "complete": True}, sort_keys=True)
        mac = hmac.new(KEY, body.encode(), hashlib.sha256).hexdigest()
        with open(self.path, "w") as out:
            json.dump({"body": body, "mac": mac}, out)


def main():
    report, separator, *args = sys.argv[1:]
    assert separator == "--", "usage: pytest_boot.py REPORT -- ARGS"
    sys.path.append(os.getcwd())  # the code under test: after the stdlib and pytest
    import pytest

    return pytest.main(args, plugins=[CladistReport(report)])


if __name__ == "__main__":
    sys.exit(main())
