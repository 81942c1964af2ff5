"""Trusted test runners, one per language: how a task's tests run in the grading sandbox
and how the runner's structured report becomes a :class:`~cladist.evaluator.testreport.TestReport`.

A runner never trusts what the code under test can say about itself: the exit status is
ignored, the verdict comes from a report file the runner writes (pytest's results signed
with a key the tests never see, ``go test -json``, cargo's per-test lines, the node test
runner's events, a JUnit file), and each runner keeps the workspace from configuring it
(no conftest, config file, plugin autoload, ``go.work``, ``.cargo/config``, build dir of
the agent's). Runner files (``harness/``) are copied to :data:`HARNESS_DIR` in the
sandbox before any code of the agent runs there.
"""

from __future__ import annotations

from cladist.evaluator.runners.base import (
    HARNESS_DIR,
    HARNESS_HOST_DIR,
    REPORT,
    TestRunner,
    junit_report,
    missing_report,
)

__all__ = ["HARNESS_DIR", "HARNESS_HOST_DIR", "REPORT", "TestRunner", "junit_report",
           "missing_report", "runner_for"]


def runner_for(name: str) -> TestRunner:
    """The runner called ``name``. Raises KeyError for an unknown one."""
    from cladist.evaluator.runners.cpp import Catch2Runner, CMakeRunner
    from cladist.evaluator.runners.go import GoRunner
    from cladist.evaluator.runners.jest import JestRunner
    from cladist.evaluator.runners.junit import JUnitRunner
    from cladist.evaluator.runners.node import NodeRunner
    from cladist.evaluator.runners.python import PytestRunner
    from cladist.evaluator.runners.rust import CargoRunner

    runners: dict[str, TestRunner] = {r.name: r for r in (
        PytestRunner(), GoRunner(), CargoRunner(), NodeRunner(), CMakeRunner(), Catch2Runner(),
        JestRunner(), JUnitRunner())}
    return runners[name]
