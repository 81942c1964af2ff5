"""Grading: apply a patch in a fresh sandbox from the pristine image, restore the hidden
tests, run the test command, and turn what happened into a verdict.

Verdicts: ``pass`` (tests exit 0), ``fail`` (tests fail, time out, or flood the output),
``infra_error`` (the sandbox died, the grader ran out of memory, the patch we produced
does not apply to the baseline it came from): never the agent's fault.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cladist.archive.records import Verdict
from cladist.evaluator.contracts import Task
from cladist.evaluator.patches import BASELINE_SCRIPT
from cladist.sandbox.contract import Sandbox, SandboxError, SandboxSpec

OUTPUT_TAIL = 64_000  # characters of test output kept


@dataclass(frozen=True)
class Grade:
    """The verdict of one grading with the test output and how long it took; ``detail``
    holds what the grader adds (SWE-bench: FAIL_TO_PASS/PASS_TO_PASS outcomes, log folder).
    """

    verdict: Verdict
    test_output: str
    seconds: float
    infra_reason: str | None = None
    returncode: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


def prepare_workspace(sandbox: Sandbox, task: Task, patch: str = "") -> str | None:
    """Copy the task's workspace into the sandbox, commit it as the baseline and apply
    ``patch``. Returns None, or the reason the patch did not apply.

    Raises SandboxError subclasses when the sandbox fails.
    """
    if task.workspace is not None:
        sandbox.copy_in(task.workspace, task.workdir)
    setup = sandbox.exec(BASELINE_SCRIPT, cwd=task.workdir, timeout=120)
    if setup.returncode != 0:
        raise SandboxError(f"cannot record the baseline: {setup.err.strip()[-300:]}")
    if patch.strip():
        sandbox.write_file("/tmp/cladist/patch.diff", patch)
        applied = sandbox.exec("git apply --whitespace=nowarn /tmp/cladist/patch.diff",
                               cwd=task.workdir, timeout=120)
        if applied.returncode != 0:
            return applied.err.strip()[-500:] or "git apply failed"
    return None


def grade(task: Task, patch: str, open_sandbox, spec: SandboxSpec,  # noqa: ANN001
          log_root: Path | None = None) -> Grade:
    """Grade ``patch`` on ``task`` in a new sandbox made by ``open_sandbox(spec)``, or, for
    a SWE-bench task, through the official harness with its logs under ``log_root`` (a
    temporary folder when None).

    Never raises for what the patch or the tests do; sandbox failures become
    ``infra_error`` grades.
    """
    if task.grader == "swebench":
        import tempfile

        from cladist.evaluator.suites.swebench_grading import grade_swebench

        root = log_root or Path(tempfile.mkdtemp(prefix="cladist-swebench-"))
        return grade_swebench(task, patch, root, f"{spec.run_id}-n{spec.node_id}")
    started = time.monotonic()
    try:
        with open_sandbox(spec) as sandbox:
            problem = prepare_workspace(sandbox, task, patch)
            if problem is not None:
                return Grade(Verdict.INFRA_ERROR, "", time.monotonic() - started,
                             f"patch does not apply to its own baseline: {problem}")
            if task.hidden_tests is not None:
                sandbox.copy_in(task.hidden_tests, task.workdir)
            result = sandbox.exec(task.test_command, cwd=task.workdir,
                                  timeout=task.test_timeout_s)
    except SandboxError as err:
        return Grade(Verdict.INFRA_ERROR, "", time.monotonic() - started,
                     f"{type(err).__name__}: {err}")
    seconds = time.monotonic() - started
    output = (result.out + result.err)[-OUTPUT_TAIL:]
    if result.oom_killed:
        return Grade(Verdict.INFRA_ERROR, output, seconds, "the grader ran out of memory",
                     result.returncode)
    if result.timed_out:
        output += f"\n[cladist: tests timed out after {task.test_timeout_s}s]"
    elif result.truncated:
        output += "\n[cladist: test output exceeded the cap; the tests were stopped]"
    verdict = Verdict.PASS if result.ok else Verdict.FAIL
    return Grade(verdict, output, seconds, None, result.returncode)
