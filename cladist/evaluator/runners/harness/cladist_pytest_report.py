"""cladist's signed pytest report: a pytest plugin object that records how every test ended
and, at the end of the session, writes them to a file signed (HMAC-SHA256) with a key the
code under test was never given, so a report that code prints or writes is recognised as
forged, and a run it ends early leaves no report at all.

Shared by ``pytest_boot.py`` (cladist's own pytest runner) and ``cladist_swebench_pytest.py``
(SWE-bench's test commands). It runs inside grading sandboxes on whatever Python the image
has, down to 3.5: standard library only, no f-strings, no annotations.

The signed body is JSON: ``outcomes`` (node id -> passed/failed/skipped/error, the worst of
a test's phases), ``statuses`` (the id pytest prints, relative to the working directory ->
the word of pytest's ``-rA`` summary: PASSED, FAILED, SKIPPED, ERROR, XFAIL, XPASS),
``collect_errors``, ``exitstatus`` and ``complete``.
"""

import hashlib
import hmac
import json

RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
STATUS_RANK = {"PASSED": 0, "XFAIL": 0, "XPASS": 1, "SKIPPED": 1, "FAILED": 2, "ERROR": 3}


def outcome_of(report):
    """passed/failed/skipped/error of one phase's report (None: a setup or teardown that
    went well says nothing)."""
    if report.when == "call":
        return "passed" if report.passed else "skipped" if report.skipped else "failed"
    if report.failed:
        return "error"
    return "skipped" if report.skipped else None


def status_of(report):
    """The word pytest's ``-rA`` summary gives one phase's report (None: nothing to say)."""
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            return "XPASS" if xfail else "PASSED"
        if report.skipped:
            return "XFAIL" if xfail else "SKIPPED"
        return "FAILED"
    if report.failed:
        return "ERROR"
    if report.skipped:
        return "XFAIL" if xfail else "SKIPPED"
    return None


def _worst(found, name, value, rank):
    old = found.get(name)
    if old is None or rank[value] > rank[old]:
        found[name] = value


class SignedReport:
    """Collects each test's outcome; writes the signed report to ``path`` when the session
    finishes. ``key`` (bytes) is kept only inside an HMAC object; ``config`` (optional)
    gives the ids as pytest prints them."""

    def __init__(self, path, key, config=None):
        self._path = path
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._config = config
        self.outcomes, self.statuses, self.collect_errors = {}, {}, []

    def pytest_configure(self, config):
        """Keep pytest's config (for node ids as pytest shows them)."""
        if self._config is None:
            self._config = config

    def _shown(self, nodeid):
        relative = getattr(self._config, "cwd_relative_nodeid", None)
        try:
            return relative(nodeid) if relative is not None else nodeid
        except Exception:  # noqa: BLE001 - an odd id: keep it as it is
            return nodeid

    def pytest_runtest_logreport(self, report):
        """Record the worst outcome and status of each test."""
        outcome, status = outcome_of(report), status_of(report)
        if outcome is not None:
            _worst(self.outcomes, report.nodeid, outcome, RANK)
        if status is not None:
            _worst(self.statuses, self._shown(report.nodeid), status, STATUS_RANK)

    def pytest_collectreport(self, report):
        """Record the modules that could not be collected."""
        if report.failed:
            self.collect_errors.append(report.nodeid)

    def pytest_sessionfinish(self, session, exitstatus):
        """Write the signed report."""
        body = json.dumps({"outcomes": self.outcomes, "statuses": self.statuses,
                           "collect_errors": self.collect_errors,
                           "exitstatus": int(exitstatus), "complete": True}, sort_keys=True)
        mac = self._mac.copy()
        mac.update(body.encode("utf-8"))
        with open(self._path, "w") as out:
            json.dump({"body": body, "mac": mac.hexdigest()}, out)
