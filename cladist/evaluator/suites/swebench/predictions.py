"""A node's SWE-bench patches as a predictions file for the official harness
(``cladist export --format swebench-predictions``)."""

from __future__ import annotations

import json
from pathlib import Path

from cladist.archive.blobs import write_atomic
from cladist.archive.export import new_target
from cladist.archive.records import Verdict
from cladist.archive.run import Run
from cladist.errors import UsageError


def write_predictions(run: Run, node_id: int, out: Path) -> Path:
    """Write the SWE-bench predictions of node ``node_id``: per instance it was graded on,
    the patch of its latest first attempt that ended in a verdict (second attempts saw the
    hidden tests' output, so they are not fit to submit). JSON lines, or a JSON list when
    ``out`` ends in ``.json``: the formats the harness reads. Raises NotFoundError for an
    unknown node, UsageError when ``out`` exists or the node has no SWE-bench result."""
    out = new_target(out)
    run.node_commit(node_id)  # NotFoundError for an unknown node
    if run.config.evaluator.suite != "swebench":
        raise UsageError(f"run {run.id} evaluated on {run.config.evaluator.suite}, not "
                         "swebench: it has no SWE-bench predictions")
    patches: dict[str, str] = {}
    for row in run.store.results(node_id):
        if row.attempt == 1 and row.verdict != Verdict.INFRA_ERROR:
            patches[row.task_id] = run.blobs.get_text(row.patch_ref) if row.patch_ref else ""
    if not patches:
        raise UsageError(f"node {node_id} of {run.id} has no graded SWE-bench result")
    model = f"cladist-{run.id}-node{node_id}"
    preds = [{"instance_id": task, "model_name_or_path": model, "model_patch": patch}
             for task, patch in sorted(patches.items())]
    text = (json.dumps(preds, indent=1) + "\n" if out.suffix == ".json"
            else "".join(json.dumps(p) + "\n" for p in preds))
    write_atomic(out, text)
    return out
