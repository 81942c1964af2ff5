"""Jest with Babel, for Polyglot's JavaScript exercises: the tools baked into the node
image (``/opt/cladist-js``), configured by cladist alone, with its reporter's lines as the
report."""

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

TOOLS = "/opt/cladist-js/node_modules"
"""Where the node image keeps jest, Babel and the exercises' Babel preset."""
_SKIPPED = {"pending", "skipped", "todo", "disabled"}


def jest_config() -> dict:
    """The whole jest configuration. Every module jest loads is named by an absolute path
    into :data:`TOOLS`, Babel reads no config file of the workspace (``babel.config.js``,
    ``.babelrc``), and with ``--config`` jest reads no ``jest.config.*`` or package.json
    of the workspace either."""
    preset = f"{TOOLS}/@exercism/babel-preset-javascript"
    return {
        "transform": {r"\.[cm]?jsx?$": [f"{TOOLS}/babel-jest",
                                         {"configFile": False, "babelrc": False,
                                          "presets": [preset]}]},
        "testRunner": f"{TOOLS}/jest-circus/runner.js",
        "testEnvironment": f"{TOOLS}/jest-environment-node/build/index.js",
        "modulePaths": [TOOLS],
        "reporters": [[f"{HARNESS_DIR}/jest_reporter.cjs", {"path": REPORT}], "default"],
        "watchman": False, "cache": False, "ci": True, "maxWorkers": 2,
    }


class JestRunner:
    """The task's test files (``test_args``) by path, after removing any ``node_modules``
    of the workspace (the tools come from the image). Test ids are the describe titles and
    the test title joined by ``" > "``; the report is complete at the reporter's end
    line, which jest writes once every test file has run."""

    name = "jest"
    needs_docker: str | None = (
        "Polyglot JavaScript is graded with the jest and Babel of the node image")
    probe = f"node --version && test -f {TOOLS}/jest/bin/jest.js"

    def command(self, task: Task) -> str:
        """rm the workspace's node_modules, then jest on the test paths."""
        paths = " ".join(shlex.quote(p) for p in task.test_args)
        config = shlex.quote(json.dumps(jest_config()))
        return (f"rm -rf node_modules && node {TOOLS}/jest/bin/jest.js --config {config} "
                f"--runTestsByPath {paths}")

    def env(self) -> Mapping[str, str]:
        """No options or module paths from the environment."""
        return {"NODE_OPTIONS": "", "NODE_PATH": "", "BABEL_ENV": "test", "NODE_ENV": "test"}

    def stdin(self, key: str) -> None:
        """jest reads nothing."""
        return None

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """The reporter's test lines; a test file that could not run counts as a failed
        test named after it."""
        if report is None:
            return missing_report(result)
        pairs: list[tuple[str, Outcome]] = []
        complete = False
        for line in report.decode("utf-8", "replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict) or complete:
                continue
            kind = event.get("type")
            if kind == "cladist:end":
                complete = True
            elif kind == "file-error":
                pairs.append((f"{event.get('file')} (could not run)", "failed"))
            elif kind == "test" and isinstance(event.get("name"), str):
                status = event.get("status")
                outcome: Outcome = ("passed" if status == "passed" else
                                    "skipped" if status in _SKIPPED else "failed")
                pairs.append((event["name"], outcome))
        return TestReport(TestReport.merge(pairs), complete, None,
                          (result.out + result.err)[-64_000:])
