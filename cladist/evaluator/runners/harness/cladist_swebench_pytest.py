"""cladist's reporter inside SWE-bench's own pytest runs, loaded by
``-p cladist_swebench_pytest`` (cladist's grading puts that in ``PYTEST_ADDOPTS`` and this
folder on the path just before the instance's test command starts).

On import (before any conftest or entry-point plugin of the repository is loaded) the first
pytest process of the test command claims the run by creating ``REPORT_DIR/claimed`` and
reads the key cladist wrote to ``REPORT_DIR/key``; its session then writes the signed report
(:mod:`cladist_pytest_report`) to ``REPORT_DIR/report.json``. Every other pytest session
(xdist workers, pytest started by the tests themselves) writes nothing.
Python 3.5 syntax, standard library only.
"""

import os

from cladist_pytest_report import SignedReport

REPORT_DIR = "/tmp/cladist-swebench"


def _claim():
    """The key when this process is the first pytest session of the run, else None."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        claimed = os.open(os.path.join(REPORT_DIR, "claimed"), flags, 0o600)
    except OSError:
        return None
    try:
        os.write(claimed, str(os.getpid()).encode("ascii"))
    finally:
        os.close(claimed)
    try:
        with open(os.path.join(REPORT_DIR, "key"), "rb") as source:
            return source.read().strip() or None
    except OSError:
        return None


_KEY = [_claim()]


def pytest_configure(config):
    """Register the signed report, once, with the key read at import."""
    key, _KEY[0] = _KEY[0], None
    if key is not None:
        report = SignedReport(os.path.join(REPORT_DIR, "report.json"), key, config)
        config.pluginmanager.register(report, "cladist-signed-report")
