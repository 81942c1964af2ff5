"""Grading a SWE-bench prediction through the official harness, from the evaluator's side.

Each grading gets a fresh harness run id (the harness silently reuses an existing
``report.json`` of a run id, which would grade a new patch with an old verdict) and runs
``python -m cladist.evaluator.suites.swebench`` with its working directory at ``log_root``
(``<run folder>/swebench``), so the harness's logs land at
``<log_root>/logs/run_evaluation/<run id>/cladist/<instance>/`` beside our request and
outcome files. The outcome becomes a :class:`~cladist.evaluator.grader.Grade`:

- resolved (every FAIL_TO_PASS passes, every PASS_TO_PASS passes or skips) -> pass;
- a report that is not resolved -> fail, unless the harness classified the failure as an
  environment fault (its ``infra_failure``) -> infra_error;
- an empty patch -> fail without starting a container (the harness counts it unresolved);
- tests timed out -> fail (as for every suite);
- no report: the patch did not apply to the image it was made in, the image is missing,
  Docker failed, the harness crashed -> infra_error, never the agent's fault.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from cladist.archive.records import Verdict
from cladist.evaluator.contracts import Task
from cladist.evaluator.grader import Grade

MODEL_NAME = "cladist"
"""The ``model_name_or_path`` of our predictions (a folder level of the harness's logs)."""
HARNESS_SLACK_S = 600
"""Time the harness gets beyond the test timeout (container start, patch, cleanup)."""


def harness_run_dir(log_root: Path, run_id: str) -> Path:
    """Where the harness keeps the logs of ``run_id`` under ``log_root``."""
    return Path(log_root) / "logs" / "run_evaluation" / run_id


def new_run_id(log_root: Path, label: str) -> str:
    """A harness run id never used under ``log_root``: ``<label>-<random>`` with only the
    characters Docker container names accept (the harness puts it in one)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-._")[:60] or "cladist"
    while True:
        run_id = f"{stem}-{uuid.uuid4().hex[:12]}"
        if not harness_run_dir(log_root, run_id).exists():
            return run_id


def prediction(instance_id: str, patch: str, model: str = MODEL_NAME) -> dict[str, str]:
    """A prediction in the harness's format."""
    return {"instance_id": instance_id, "model_name_or_path": model, "model_patch": patch}


def grade_swebench(task: Task, patch: str, log_root: Path, label: str = "cladist") -> Grade:
    """Grade ``patch`` on the SWE-bench ``task`` with the harness, logs under ``log_root``.
    Never raises for what the patch, the harness or Docker does (see the module doc)."""
    started = time.monotonic()
    instance = dict(task.metadata["instance"])
    if not patch.strip():
        return Grade(Verdict.FAIL, "[cladist: empty patch: unresolved, not graded]", 0.0,
                     detail={"resolved": False, "empty_patch": True})
    log_root = Path(log_root).resolve()
    run_id = new_run_id(log_root, label)
    folder = harness_run_dir(log_root, run_id)
    folder.mkdir(parents=True)
    request, outcome_path = folder / "cladist-request.json", folder / "cladist-outcome.json"
    request.write_text(json.dumps({
        "instance": instance, "prediction": prediction(task.id, patch), "run_id": run_id,
        "timeout": task.test_timeout_s, "outcome": str(outcome_path)}))
    where = {"swebench_run_id": run_id, "swebench_logs": str(folder)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cladist.evaluator.suites.swebench", str(request)],
            cwd=log_root, capture_output=True, text=True,
            timeout=task.test_timeout_s + HARNESS_SLACK_S, check=False)
    except subprocess.TimeoutExpired:  # the child was killed before the harness cleaned up
        remove_container(f"sweb.eval.{task.id.lower()}.{run_id}")
        return Grade(Verdict.INFRA_ERROR, "", time.monotonic() - started,
                     "the SWE-bench harness did not finish in time", detail=where)
    seconds = time.monotonic() - started
    if not outcome_path.exists():
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return Grade(Verdict.INFRA_ERROR, (done.stdout + done.stderr)[-8000:], seconds,
                     f"the SWE-bench harness crashed: {tail}", detail=where)
    outcome = json.loads(outcome_path.read_text())
    verdict, reason, detail = interpret(outcome)
    return Grade(verdict, str(outcome.get("test_output") or ""), seconds, reason,
                 detail={**detail, **where})


def interpret(outcome: dict[str, Any]) -> tuple[Verdict, str | None, dict[str, Any]]:
    """(verdict, infra reason, detail) of a harness outcome (see the module doc)."""
    report = outcome.get("report")
    if report is not None:
        tests = report.get("tests_status") or {}
        detail: dict[str, Any] = {
            "resolved": bool(report.get("resolved")),
            "patch_applied": bool(report.get("patch_successfully_applied")),
            "FAIL_TO_PASS": tests.get("FAIL_TO_PASS", {}),
            "PASS_TO_PASS": tests.get("PASS_TO_PASS", {})}
        if report.get("infra_failure_reason"):
            detail["harness_infra_reason"] = report["infra_failure_reason"]
        if report.get("resolved"):
            return Verdict.PASS, None, detail
        if report.get("infra_failure"):
            return (Verdict.INFRA_ERROR, "SWE-bench harness: environment failure "
                    f"({report.get('infra_failure_reason')})", detail)
        return Verdict.FAIL, None, detail
    if outcome.get("timed_out"):
        return Verdict.FAIL, None, {"resolved": False, "tests_timed_out": True}
    if outcome.get("apply_failed"):
        return (Verdict.INFRA_ERROR, "the patch does not apply in the instance image it was "
                "made in (SWE-bench harness)", {"resolved": False})
    why = outcome.get("error") or outcome.get("log_tail") or "no report"
    if outcome.get("image_missing"):
        why = "the instance image is missing and could not be pulled"
    return (Verdict.INFRA_ERROR, f"SWE-bench harness error: {str(why).splitlines()[-1][:300]}",
            {"resolved": False})


def remove_container(name: str) -> None:
    """Remove the harness's container ``name`` if it is still there (best effort)."""
    try:
        from cladist.sandbox.docker import docker_client

        client = docker_client()
        try:
            client.containers.get(name).remove(force=True)
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - gone already, or no engine: nothing to clean
        pass
