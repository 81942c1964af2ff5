"""Grading a SWE-bench prediction: the official harness's test spec, patch commands, log
parser and report, run in cladist's own sandbox (:mod:`.swebench_sandbox`), a pass backed
by cladist's signed report where the instance runs pytest or unittest
(:mod:`.swebench_evidence`).

Each grading gets a fresh id and keeps its records under ``log_root`` (the run folder's
``swebench/``) in the harness's layout: ``logs/run_evaluation/<id>/`` holds
``cladist-request.json`` and ``cladist-outcome.json``, and its ``cladist/<instance>/``
the ``patch.diff``, ``eval.sh`` (as it ran: the harness's, instrumented), ``run_instance.log``
(the patch commands), ``test_output.txt`` and the harness's ``report.json``.

Who is at fault:

- ``fail``: an empty patch (no container is started), a patch the harness's commands cannot
  apply to the instance's base commit, tests that time out, run out of memory or flood the
  output, a sandbox that broke while the agent's code ran when a fresh one works, a harness
  report that is not resolved, a resolved one the signed report does not back;
- ``infra_error``: the image is missing, or the sandbox or its probe failed before the
  agent's code could run; the sandbox broke and a fresh one fails too; the harness sees an
  environment fault and the same evaluation without the patch shows it too; the signed
  report is missing and is missing without the patch too (cladist's reporter cannot run in
  this instance); the instance needs assets fetched from URLs (grading is offline).
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cladist.archive.records import Verdict
from cladist.errors import ConfigError, UsageError
from cladist.evaluator.contracts import Grade, Task
from cladist.evaluator.grader import OUTPUT_TAIL, image_works
from cladist.evaluator.suites.swebench.adapter import InstanceHarness
from cladist.evaluator.suites.swebench.evidence import check, signed_statuses
from cladist.evaluator.suites.swebench.sandbox import (
    EvalRun,
    grading_spec,
    instrument,
    run_eval,
)
from cladist.sandbox.contract import ExecResult, SandboxSpec

MODEL_NAME = "cladist"
"""The ``model_name_or_path`` of our predictions (a folder level of the logs)."""
Judged = tuple[Verdict, str | None, dict[str, Any]]


def harness_run_dir(log_root: Path, run_id: str) -> Path:
    """Where the records of grading ``run_id`` are kept under ``log_root``."""
    return Path(log_root) / "logs" / "run_evaluation" / run_id


def new_run_id(log_root: Path, label: str) -> str:
    """A grading id never used under ``log_root``: ``<label>-<random>``, in the characters
    Docker names accept."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-._")[:60] or "cladist"
    while True:
        run_id = f"{stem}-{uuid.uuid4().hex[:12]}"
        if not harness_run_dir(log_root, run_id).exists():
            return run_id


def prediction(instance_id: str, patch: str, model: str = MODEL_NAME) -> dict[str, str]:
    """A prediction in the harness's format."""
    return {"instance_id": instance_id, "model_name_or_path": model, "model_patch": patch}


class HarnessGrading:
    """SWE-bench's :class:`~cladist.evaluator.contracts.Grading`: :func:`grade_swebench`,
    its records in the run folder's ``swebench/`` (else a temporary folder)."""

    def grade(self, task: Task, patch: str, open_sandbox: Callable[[SandboxSpec], Any],
              spec: SandboxSpec, log_root: Path | None) -> Grade:
        """See :func:`grade_swebench`."""
        import tempfile

        root = (Path(log_root) / "swebench" if log_root is not None
                else Path(tempfile.mkdtemp(prefix="cladist-swebench-")))
        return grade_swebench(task, patch, open_sandbox, spec, root)


HARNESS_GRADING = HarnessGrading()


def grade_swebench(task: Task, patch: str, open_sandbox: Callable[[SandboxSpec], Any],
                   spec: SandboxSpec, log_root: Path) -> Grade:
    """Grade ``patch`` on the SWE-bench ``task`` in a sandbox made by ``open_sandbox`` from
    ``spec``, records under ``log_root``. Never raises for what the patch, the tests or the
    sandbox do (see the module doc)."""
    started = time.monotonic()
    if not patch.strip():
        return Grade(Verdict.FAIL, "[cladist: empty patch: unresolved, not graded]", 0.0,
                     detail={"resolved": False, "empty_patch": True,
                             "fail_reason": "the patch is empty"})
    log_root = Path(log_root).resolve()
    run_id = new_run_id(log_root, f"{spec.run_id}-n{spec.node_id}")
    folder = harness_run_dir(log_root, run_id) / MODEL_NAME / task.id
    folder.mkdir(parents=True)
    where = {"swebench_run_id": run_id, "swebench_logs": str(folder.parent.parent)}
    try:
        harness = InstanceHarness(task.metadata["instance"])
    except (ConfigError, UsageError) as err:
        return Grade(Verdict.INFRA_ERROR, "", time.monotonic() - started, str(err),
                     detail=where)
    key = secrets.token_hex(32) if harness.runner else None
    (folder / "patch.diff").write_text(patch, encoding="utf-8", errors="surrogateescape")
    (folder / "eval.sh").write_text(instrument(
        harness.eval_script, harness.marker("START_TEST_OUTPUT"), key and harness.runner))
    _write_json(folder.parent.parent / "cladist-request.json", {
        "instance_id": task.id, "image": task.image, "timeout": task.test_timeout_s,
        "signed_report": key is not None, "prediction": prediction(task.id, patch)})
    if harness.has_image_assets:
        judged: Judged = (Verdict.INFRA_ERROR, "the instance needs binary assets fetched "
                          "from URLs, which offline grading cannot do", {"resolved": False})
        output = ""
    else:
        ran = run_eval(harness, task, patch, open_sandbox, spec, key)
        (folder / "run_instance.log").write_text(ran.apply_log, encoding="utf-8",
                                                 errors="replace")
        output = _log(ran.result) if ran.result is not None else ran.apply_log
        judged = _judge(harness, task, patch, ran, key, open_sandbox, spec, folder)
    verdict, reason, detail = judged
    detail = {**detail, **where, "evidence": f"signed {harness.runner} report" if key
              else "test log"}
    _write_json(folder.parent.parent / "cladist-outcome.json",
                {"verdict": str(verdict), "infra_reason": reason, "detail": detail})
    notes = "" if detail.get("fail_reason") is None else \
        f"\n[cladist: fail: {detail['fail_reason']}]"
    return Grade(verdict, output[-OUTPUT_TAIL:] + notes, time.monotonic() - started, reason,
                 detail=detail)


def _judge(harness: InstanceHarness, task: Task, patch: str, ran: EvalRun, key: str | None,
           open_sandbox: Callable[[SandboxSpec], Any], spec: SandboxSpec,
           folder: Path) -> Judged:
    """(verdict, infra reason, detail) of one evaluation run (see the module doc)."""
    if ran.infra_reason is not None:
        return Verdict.INFRA_ERROR, ran.infra_reason, {"resolved": False}
    if ran.broke is not None:
        if image_works(open_sandbox, grading_spec(task, spec)):
            return _fail("the grading sandbox broke while the agent's code ran, and a fresh "
                         f"one works ({ran.broke})")
        return Verdict.INFRA_ERROR, ran.broke, {"resolved": False}
    if not ran.applied or ran.result is None:
        return _fail("the patch does not apply to the instance's base commit (every patch "
                     "command of the harness failed)", patch_applied=False)
    result, test_log = ran.result, folder / "test_output.txt"
    timeout_note = f"\n\nTimeout error: {task.test_timeout_s} seconds exceeded." \
        if result.timed_out else ""
    test_log.write_text(_log(result) + timeout_note, encoding="utf-8", errors="replace")
    if result.timed_out:
        return _fail(f"the tests timed out after {task.test_timeout_s}s", tests_timed_out=True)
    if result.truncated:
        return _fail("the test output exceeded the cap; the tests were stopped")
    try:
        report = harness.report(patch, test_log)
    except Exception as err:  # noqa: BLE001 - the official harness ends unresolved too
        return _fail(f"the harness's log parser failed on the test output "
                     f"({type(err).__name__}: {str(err)[:200]})")
    _write_json(folder / "report.json", {task.id: report})
    tests = report.get("tests_status") or {}
    resolved = bool(report.get("resolved"))
    detail: dict[str, Any] = {
        "resolved": resolved, "harness_resolved": resolved,
        "patch_applied": bool(report.get("patch_successfully_applied")),
        "FAIL_TO_PASS": tests.get("FAIL_TO_PASS", {}),
        "PASS_TO_PASS": tests.get("PASS_TO_PASS", {})}
    if report.get("infra_failure_reason"):
        detail["harness_infra_reason"] = report["infra_failure_reason"]
    if not report.get("resolved"):
        if result.oom_killed or ran.oom_kills:
            return _fail("the tests ran out of memory", tests_oom=True, **detail)
        if report.get("infra_failure"):
            return _environment_fault(harness, task, open_sandbox, spec, detail)
        return _fail("the harness's report is not resolved", **detail)
    if key is None:
        return Verdict.PASS, None, detail
    test_files = ran.tracked | set(task.metadata.get("test_paths") or ())
    try:
        evidence = check(harness, ran.report, key, test_files)
    except Exception as err:  # noqa: BLE001 - the parser on names the tests made up
        return _fail(f"the signed report cannot be read by the harness's parser "
                     f"({type(err).__name__}: {str(err)[:200]})", **detail)
    detail["signed_report"] = evidence.detail()
    if evidence.problem is None:
        return Verdict.PASS, None, detail
    if evidence.missing and not _reporter_works(harness, task, open_sandbox, spec):
        return (Verdict.INFRA_ERROR, f"cladist's signed {harness.runner} reporter does not "
                "run in this instance's test command (no report without the patch either)",
                detail)
    return _fail(f"the log says resolved but {evidence.problem}", **detail)


def _environment_fault(harness: InstanceHarness, task: Task,
                       open_sandbox: Callable[[SandboxSpec], Any], spec: SandboxSpec,
                       detail: dict[str, Any]) -> Judged:
    """infra_error when the same evaluation without the patch shows the environment fault
    the harness saw (its reason), else the agent's fail."""
    reason = detail.get("harness_infra_reason")
    pristine = run_eval(harness, task, "", open_sandbox, spec, None)
    if pristine.result is None:  # the probe's sandbox failed: the environment is broken
        return (Verdict.INFRA_ERROR, f"SWE-bench environment fault ({reason}); the probe "
                f"without the patch failed too ({pristine.infra_reason or pristine.broke})",
                detail)
    if harness.environment_fault(_log(pristine.result)) == reason:
        return (Verdict.INFRA_ERROR, f"SWE-bench environment fault ({reason}), also without "
                "the patch", detail)
    return _fail(f"the harness saw an environment fault ({reason}) that the tests without "
                 "the patch do not show", **detail)


def _reporter_works(harness: InstanceHarness, task: Task,
                    open_sandbox: Callable[[SandboxSpec], Any], spec: SandboxSpec) -> bool:
    """Whether cladist's reporter writes a complete signed report when the instance's
    tests run without any patch (the probe that tells whose fault a missing report is)."""
    key = secrets.token_hex(32)
    pristine = run_eval(harness, task, "", open_sandbox, spec, key)
    if pristine.report is None:
        return False
    try:
        signed_statuses(pristine.report, key)
    except ValueError:
        return False
    return True


def _log(result: ExecResult) -> str:
    """The eval script's output (stderr is merged into stdout by the script; what is left
    there came from outside it, e.g. the timeout wrapper)."""
    return result.out + (f"\n{result.err}" if result.err else "")


def _fail(reason: str, **detail: Any) -> Judged:
    return Verdict.FAIL, None, {**detail, "resolved": False, "fail_reason": reason}


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, default=str))
