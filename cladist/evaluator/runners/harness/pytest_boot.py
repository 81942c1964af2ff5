"""cladist's pytest bootstrap, run in the grading sandbox as
``python3 -I -B pytest_boot.py REPORT -- PYTEST ARGS`` with the signing key on stdin.

Isolated mode (-I) keeps the workspace, PYTHON* variables and user site-packages out of
``sys.path``; the key is read and stdin closed before pytest or any test is imported; the
workspace is appended after the standard library and pytest, so no file of the agent's can
stand in for them; the results of every test are written at the session's end, signed
with the key (:mod:`cladist_pytest_report`, beside this file), so a report the code under
test writes is recognised as forged.
"""

import os
import sys

_KEY = [sys.stdin.buffer.readline().strip()]
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)
os.close(_null)
sys.stdin = open(os.devnull)  # noqa: SIM115 - stays open for the process


def main():
    """Run pytest with cladist's signed report: ``pytest_boot.py REPORT -- ARGS``."""
    report, separator, *args = sys.argv[1:]
    assert separator == "--", "usage: pytest_boot.py REPORT -- ARGS"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # cladist's own modules
    from cladist_pytest_report import SignedReport

    del sys.path[0]
    sys.path.append(os.getcwd())  # the code under test: after the stdlib and pytest
    import pytest

    key, _KEY[0] = _KEY[0], None
    return pytest.main(args, plugins=[SignedReport(report, key)])


if __name__ == "__main__":
    sys.exit(main())
