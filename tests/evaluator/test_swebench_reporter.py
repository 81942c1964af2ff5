"""cladist's signed pytest reporter (``runners/harness/cladist_pytest_report.py``) on a real
pytest run on the host, through the bundled runner's bootstrap: what it signs is what
pytest's ``-rA`` summary says, read by the harness's own parser; a report the tests write
themselves is recognised as forged; the key is never in the output."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from cladist.evaluator.runners import HARNESS_HOST_DIR
from cladist.evaluator.runners.python import ForgedReport, signed_body
from cladist.evaluator.suites.swebench.evidence import signed_statuses, summary_lines

TESTS = '''import pytest


def test_pass():
    pass


def test_fail():
    assert 1 == 2


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="fixed now")
def test_xpass():
    pass


def test_skip():
    pytest.skip("not here")


@pytest.fixture
def broken():
    raise RuntimeError("setup")


def test_setup_error(broken):
    pass


@pytest.mark.parametrize("v", ["a b", "c - d"])
def test_param(v):
    assert v != "c - d"


class TestGroup:
    def test_method(self):
        pass
'''
FORGER = '''import hashlib, hmac, json


def test_writes_a_report(tmp_path):
    body = json.dumps({"outcomes": {"t/test_x.py::test_fail": "passed"}, "complete": True})
    mac = hmac.new(b"guess", body.encode(), hashlib.sha256).hexdigest()
    with open(REPORT, "w") as out:
        json.dump({"body": body, "mac": mac}, out)
    import os
    os._exit(0)
'''


def _run(folder: Path, report: Path, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-B", str(HARNESS_HOST_DIR / "pytest_boot.py"), str(report),
         "--", "-rA", "-p", "no:cacheprovider", "t"], cwd=folder, input=key + "\n",
        capture_output=True, text=True, timeout=120)


def test_what_the_reporter_signs_is_what_pytest_prints(tmp_path: Path) -> None:
    pytest.importorskip("swebench")
    from swebench.harness.log_parsers import PARSER_REGISTRY

    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_x.py").write_text(TESTS)
    key, report = secrets.token_hex(32), tmp_path / "report.json"
    done = _run(tmp_path, report, key)
    assert done.returncode == 1 and key not in done.stdout + done.stderr
    statuses = signed_statuses(report.read_bytes(), key)
    assert statuses == {
        "t/test_x.py::test_pass": "PASSED", "t/test_x.py::test_fail": "FAILED",
        "t/test_x.py::test_xfail": "XFAIL", "t/test_x.py::test_xpass": "XPASS",
        "t/test_x.py::test_skip": "SKIPPED", "t/test_x.py::test_setup_error": "ERROR",
        "t/test_x.py::test_param[a b]": "PASSED", "t/test_x.py::test_param[c - d]": "FAILED",
        "t/test_x.py::TestGroup::test_method": "PASSED"}
    for name in ("parse_log_pytest", "parse_log_pytest_v2", "parse_log_pytest_options"):
        parse = PARSER_REGISTRY[name]
        printed = parse(done.stdout, None)
        signed = parse(summary_lines(statuses), None)
        passed = {k for k, v in printed.items() if v == "PASSED"}
        assert passed == {k for k, v in signed.items() if v == "PASSED"}, name
        # the rest: pytest folds skips by location, and some parsers keep the message of
        # an ERROR or XFAIL line in the name; the signed status is the same
        assert all(any(p.startswith(k) and signed[k] == v for k in signed)
                   for p, v in printed.items()), name
    outcomes = signed_body(report.read_bytes(), key)["outcomes"]
    assert outcomes["t/test_x.py::test_setup_error"] == "error"  # the bundled runner's view
    assert outcomes["t/test_x.py::test_pass"] == "passed"


def test_a_report_the_tests_write_is_forged(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    report = tmp_path / "report.json"
    (tmp_path / "t" / "test_x.py").write_text(f"REPORT = {str(report)!r}\n" + FORGER)
    key = secrets.token_hex(32)
    done = _run(tmp_path, report, key)
    assert done.returncode == 0  # the forger ended the run "successfully"
    with pytest.raises(ForgedReport):
        signed_statuses(report.read_bytes(), key)
    report.unlink()
    (tmp_path / "t" / "test_x.py").write_text("import os\nos._exit(0)\n")
    assert _run(tmp_path, report, key).returncode == 0 and not report.exists()
