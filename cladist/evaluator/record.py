"""Storing evaluation results in a run: blobs (patch, test output, trajectory) as files
under the node's folder, then the rows, so a row never points at a missing file."""

from __future__ import annotations

import uuid

from cladist.archive.records import NewResult, RunEvent
from cladist.archive.run import Run
from cladist.evaluator.contracts import TaskResult


def record_results(run: Run, node_id: int, results: list[TaskResult]) -> list[RunEvent]:
    """Write ``results`` of node ``node_id`` (blobs first, then one transaction of rows),
    then one ``task_result`` event each (its ``result_id`` is the row's id); returns the
    events. Raises NotFoundError for an unknown node."""
    rows = []
    for result in results:
        folder = f"nodes/{node_id}/{_safe(result.task_id)}/a{result.attempt}-{uuid.uuid4().hex[:8]}"
        refs = {}
        for name, text in (("patch", result.patch), ("test_output", result.test_output),
                           ("trajectory", result.trajectory)):
            if text:
                suffix = {"patch": "diff", "test_output": "txt", "trajectory": "json"}[name]
                refs[f"{name}_ref"] = run.blobs.put(f"{folder}/{name}.{suffix}", text)
        detail = dict(result.detail)
        if result.infra_reason:
            detail["infra_reason"] = result.infra_reason
        if result.agent_exit_code is not None:
            detail["agent_exit_code"] = result.agent_exit_code
        rows.append(NewResult(node_id, result.task_id, result.verdict, attempt=result.attempt,
                              agent_seconds=result.agent_seconds,
                              grade_seconds=result.grade_seconds, tokens_in=result.tokens_in,
                              tokens_out=result.tokens_out, cost_usd=result.cost_usd,
                              detail=detail, **refs))
    ids = run.store.record_results(rows)
    return [run.event("task_result", node_id=node_id, task=result.task_id,
                      attempt=result.attempt, verdict=str(result.verdict),
                      infra_reason=result.infra_reason, result_id=row_id)
            for result, row_id in zip(results, ids, strict=True)]


def _safe(task_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in task_id)[:80]
