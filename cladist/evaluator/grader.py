"""Grading: the patch applied to the trusted workspace on the host, every protected file
made the trusted one again, then the task's trusted test runner in a fresh sandbox from
the pristine image, judged from the runner's report (never from an exit code).

Who is at fault:

- ``fail``: the patch does not apply to the task's own workspace, the tests fail, time out,
  run out of memory or flood the output, the report is missing, forged or short, or the
  sandbox broke while the agent's code ran under the tests and a fresh sandbox of the same
  image works (the code broke it);
- ``infra_error``: the sandbox could not be made or failed before any code of the agent
  ran, the toolchain probe failed there, or the sandbox broke and a fresh one fails too.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cladist import scratch
from cladist.archive.records import Verdict
from cladist.evaluator.contracts import Grade, Task
from cladist.evaluator.runners import HARNESS_DIR, HARNESS_HOST_DIR, REPORT, runner_for
from cladist.evaluator.runners.canary import add_canaries
from cladist.evaluator.testreport import TestReport, judge
from cladist.evaluator.treepatch import PatchFailed, apply
from cladist.evaluator.worktree import protect, trusted_files
from cladist.sandbox.contract import (
    ExecResult,
    Sandbox,
    SandboxDiskFull,
    SandboxError,
    SandboxFileNotFound,
    SandboxFileTooLarge,
    SandboxIsADirectory,
    SandboxPermissionError,
    SandboxRemoved,
    SandboxSpec,
)

OUTPUT_TAIL = 64_000  # characters of test output kept
PROBE_TIMEOUT_S = 120
_WORKING: set[tuple[str, str]] = set()
"""(image, runner) pairs whose toolchain probe passed in this process: probed once, and
again whenever a run of the tests finds a command missing."""


def graded_tree(task: Task, patch: str, dest: Path) -> tuple[list[str], frozenset[str]]:
    """Write into ``dest`` the tree the tests run on: the task's workspace, ``patch``
    applied, then every protected path made the trusted one (the workspace's protected
    files and the hidden tests restored, new protected files deleted), then the canaries
    added to the hidden tests. Returns the protected paths that had to change and the
    canaries' test ids. Raises PatchFailed when the patch does not apply to the
    workspace."""
    if task.workspace is None:
        dest.mkdir(parents=True)
    else:
        shutil.copytree(task.workspace, dest, symlinks=True)
    apply(dest, patch)
    hidden = trusted_files(task.hidden_tests)
    trusted = {**trusted_files(task.workspace, task.test_files), **hidden}
    restored = protect(dest, task.test_files, trusted)
    return restored, add_canaries(task.runner, dest, hidden)


def image_works(open_sandbox: Callable[[SandboxSpec], Any], spec: SandboxSpec,
                probe: str = "true") -> bool:
    """Whether a fresh sandbox of ``spec`` starts and runs ``probe``: the evidence that
    tells a fault of the infrastructure from one the agent's code caused."""
    try:
        with open_sandbox(replace(spec, role="probe", agent_code=None,
                                  gateway_socket=None)) as sandbox:
            return bool(sandbox.exec(probe, timeout=PROBE_TIMEOUT_S).ok)
    except SandboxError:
        return False


def grade(task: Task, patch: str, open_sandbox: Callable[[SandboxSpec], Any],
          spec: SandboxSpec, log_root: Path | None = None) -> Grade:
    """Grade ``patch`` on ``task`` in a new sandbox made by ``open_sandbox(spec)``: by the
    task's trusted runner, or by its suite's own :attr:`Task.grading` (which may keep logs
    under ``log_root``). Never raises for what the patch or the tests do (see the module
    doc for the verdicts). The task's own needs (:attr:`Task.pids`, :attr:`Task.memory`)
    raise ``spec``'s limits."""
    spec = replace(spec, limits=spec.limits.for_task(task.pids, task.memory))
    if task.grading is not None:
        return task.grading.grade(task, patch, open_sandbox, spec, log_root)
    return grade_with_report(task, patch, open_sandbox, spec)[0]


def grade_with_report(task: Task, patch: str, open_sandbox: Callable[[SandboxSpec], Any],
                      spec: SandboxSpec) -> tuple[Grade, TestReport | None]:
    """:func:`grade` for a task with a trusted runner, with the runner's report (None
    when the tests never ran)."""
    started = time.monotonic()
    with scratch.temporary("grade") as tmp:
        tree = Path(tmp) / "tree"
        try:
            restored, canaries = graded_tree(task, patch, tree)
        except PatchFailed as err:
            return _fail(started, f"the patch does not apply to the task's workspace: {err}"), \
                None
        return _run_tests(task, tree, restored, canaries, open_sandbox, spec, started)


def _run_tests(task: Task, tree: Path, restored: list[str], canaries: frozenset[str],
               open_sandbox: Callable[..., Any], spec: SandboxSpec, started: float
               ) -> tuple[Grade, TestReport | None]:
    runner = runner_for(task.runner)
    key = secrets.token_hex(32)
    agent_code_ran = False
    try:
        with open_sandbox(spec) as sandbox:
            if (spec.image, runner.name) not in _WORKING:
                probe = sandbox.exec(runner.probe, cwd=task.workdir, timeout=PROBE_TIMEOUT_S)
                if not probe.ok:
                    return _broken_toolchain(runner.name, probe, started), None
                _WORKING.add((spec.image, runner.name))
            sandbox.copy_in(HARNESS_HOST_DIR, HARNESS_DIR)
            try:
                sandbox.copy_in(tree, task.workdir)
            except SandboxDiskFull as err:
                return _fail(started, f"the patched work tree does not fit the sandbox's "
                             f"disk ({err})"), None
            agent_code_ran = True
            result = sandbox.exec(runner.command(task), cwd=task.workdir, env=runner.env(),
                                  timeout=task.test_timeout_s, input=runner.stdin(key))
            sandbox.exec("kill -9 -1 2>/dev/null; true", timeout=30)  # stragglers
            report = read_report(sandbox)
    except SandboxError as err:
        why = f"{type(err).__name__}: {err}"
        removed = isinstance(err, SandboxRemoved)  # deleted on the engine: not by the code
        if not agent_code_ran or removed or not image_works(open_sandbox, spec):
            return Grade(Verdict.INFRA_ERROR, "", time.monotonic() - started, why), None
        return _fail(started, "the grading sandbox broke while the agent's code ran under "
                     f"the tests, and a fresh one works ({why})"), None
    if report is None and result.returncode in (126, 127):  # a command missing: ours?
        _WORKING.discard((spec.image, runner.name))
        if not image_works(open_sandbox, spec, runner.probe):
            return Grade(Verdict.INFRA_ERROR, (result.out + result.err)[-4000:],
                         time.monotonic() - started, f"the {runner.name} toolchain stopped "
                         "working in the grading sandbox"), None
    parsed = runner.parse(report, result, key)
    verdict = judge(parsed, task.expected_tests, canaries)
    output = parsed.log[-OUTPUT_TAIL:]
    if result.timed_out:
        output += f"\n[cladist: tests timed out after {task.test_timeout_s}s]"
    elif result.oom_killed:
        output += "\n[cladist: the tests ran out of memory]"
    elif result.truncated:
        output += "\n[cladist: test output exceeded the cap; the tests were stopped]"
    if result.disk_full:
        output += "\n[cladist: the tests filled the sandbox's disk]"
    if not verdict.passed:
        output += f"\n[cladist: fail: {verdict.reason}]"
    detail = {**verdict.detail(), "restored_protected": restored[:50],
              "canaries": sorted(canaries),
              "tests_timed_out": result.timed_out, "tests_oom": result.oom_killed,
              "tests_disk_full": result.disk_full}
    return Grade(Verdict.PASS if verdict.passed else Verdict.FAIL, output,
                 time.monotonic() - started, None, result.returncode, detail), parsed


def _broken_toolchain(runner: str, probe: ExecResult, started: float) -> Grade:
    return Grade(Verdict.INFRA_ERROR, (probe.out + probe.err)[-4000:],
                 time.monotonic() - started, f"the {runner} toolchain does not work in the "
                 f"grading sandbox: {(probe.err or probe.out).strip()[-300:]}")


def read_report(sandbox: Sandbox, path: str = REPORT, limit: int | None = None
                ) -> bytes | None:
    """The bytes of the report file at ``path``, or None when the tests left none that can
    be read (gone, made a directory or unreadable, over ``limit``, default the file cap);
    raises SandboxUnavailable and the sandbox errors that are not about the file."""
    try:
        data = sandbox.read_file(path, text=False, limit=limit)
    except (SandboxFileNotFound, SandboxPermissionError, SandboxIsADirectory,
            SandboxFileTooLarge):
        return None
    except SandboxError as err:
        if type(err) is SandboxError:  # the file operation failed otherwise
            return None
        raise
    return data if isinstance(data, bytes) else data.encode()


def _fail(started: float, reason: str) -> Grade:
    return Grade(Verdict.FAIL, f"[cladist: fail: {reason}]", time.monotonic() - started,
                 detail={"fail_reason": reason})
