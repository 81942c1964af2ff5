"""cladist's reporter inside SWE-bench's unittest runs (Django's ``tests/runtests.py``),
imported at interpreter start by a ``.pth`` file cladist's grading writes just before the
instance's test command starts.

It wraps the outcome methods of ``unittest.TestResult`` (which every text result of the
standard library and Django's runner reach through ``super()``). The first result whose
run starts (``startTestRun``) after the key was written claims the run by creating
``REPORT_DIR/claimed`` and reads ``REPORT_DIR/key``; at its ``stopTestRun`` it writes the
signed report (``statuses``: each test's description, as the verbose runner prints it, ->
PASSED, FAILED, ERROR, SKIPPED, XFAIL or XPASS; a description two tests share keeps the
later one's, as the harness's log parser does) to ``REPORT_DIR/report.json``. Other
results (runs the tests start themselves, other processes) are not recorded.
Python 3.5 syntax, standard library only.
"""

import hashlib
import hmac
import json
import os

REPORT_DIR = "/tmp/cladist-swebench"
_RUN: dict = {"result": None, "mac": None, "statuses": {}, "tried": False}


def _claim(result):
    """Make ``result`` the recorded one if this is the run's first result to start."""
    if _RUN["tried"]:
        return
    _RUN["tried"] = True
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        claimed = os.open(os.path.join(REPORT_DIR, "claimed"), flags, 0o600)
    except OSError:
        return
    os.close(claimed)
    try:
        with open(os.path.join(REPORT_DIR, "key"), "rb") as source:
            key = source.read().strip()
    except OSError:
        return
    if key:
        _RUN["result"], _RUN["mac"] = result, hmac.new(key, digestmod=hashlib.sha256)


def _record(result, test, status):
    if result is not _RUN["result"]:
        return
    describe = getattr(result, "getDescription", None)
    try:
        name = describe(test) if describe is not None else str(test)
    except Exception:  # noqa: BLE001 - a test whose description fails: its id
        name = str(test)
    _RUN["statuses"][name] = status  # the last word, as the log's reader takes it


def _write(result):
    if result is not _RUN["result"]:
        return
    body = json.dumps({"statuses": _RUN["statuses"], "runner": "unittest",
                       "complete": True}, sort_keys=True)
    mac = _RUN["mac"].copy()
    mac.update(body.encode("utf-8"))
    _RUN["result"] = None
    with open(os.path.join(REPORT_DIR, "report.json"), "w") as out:
        json.dump({"body": body, "mac": mac.hexdigest()}, out)


def _wrap(cls, method, before):
    original = getattr(cls, method)

    def wrapper(self, *args, **kwargs):
        try:
            before(self, *args)
        except Exception:  # noqa: BLE001 - never change how the tests run
            pass
        return original(self, *args, **kwargs)

    setattr(cls, method, wrapper)


def _sub_test(result, test, subtest, err=None):
    if err is not None:
        failed = issubclass(err[0], getattr(test, "failureException", AssertionError))
        _record(result, test, "FAILED" if failed else "ERROR")


def install():
    """Wrap ``unittest.TestResult`` once, unless the run was claimed already."""
    if os.path.exists(os.path.join(REPORT_DIR, "claimed")):
        return
    from unittest.result import TestResult

    if getattr(TestResult, "_cladist_reporter", False):
        return
    TestResult._cladist_reporter = True
    outcomes = (("addSuccess", "PASSED"), ("addFailure", "FAILED"), ("addError", "ERROR"),
                ("addSkip", "SKIPPED"), ("addExpectedFailure", "XFAIL"),
                ("addUnexpectedSuccess", "XPASS"))
    for method, status in outcomes:
        _wrap(TestResult, method,
              lambda result, test, *rest, _status=status: _record(result, test, _status))
    _wrap(TestResult, "addSubTest", _sub_test)
    _wrap(TestResult, "startTestRun", _claim)
    _wrap(TestResult, "stopTestRun", _write)


if os.path.isfile(os.path.join(REPORT_DIR, "key")):
    install()
