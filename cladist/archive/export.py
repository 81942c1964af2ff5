"""Export a node's codebase: as a directory, a tar.gz, a patch series from the root, or a
git bundle. Every format round-trips to exactly the committed tree; the directory also gets
a provenance README (:mod:`cladist.archive.provenance`) beside the agent's files."""

from __future__ import annotations

from pathlib import Path

from cladist.archive.blobs import write_atomic
from cladist.archive.run import Run
from cladist.errors import UsageError

FORMATS = ("dir", "tar", "patch", "bundle")
RESULT_FORMATS = ("swebench-predictions",)
"""Formats of a node's results rather than its codebase."""


def export_node(run: Run, node_id: int, out: Path, fmt: str = "dir") -> Path:
    """Write node ``node_id`` of ``run`` to ``out`` in format ``fmt``; returns what was
    written. ``swebench-predictions`` writes the node's SWE-bench patches as a predictions
    file (see :func:`write_predictions`). Raises UsageError for an unknown format or an
    existing non-empty ``out``, NotFoundError for an unknown node."""
    if fmt not in FORMATS + RESULT_FORMATS:
        raise UsageError(f"format {fmt!r}: unknown (allowed: "
                         f"{', '.join(FORMATS + RESULT_FORMATS)})")
    out = Path(out)
    if out.exists() and (out.is_file() or any(out.iterdir())):
        raise UsageError(f"{out}: already exists; choose a new path")
    if fmt == "swebench-predictions":
        return write_predictions(run, node_id, out)
    sha = run.node_commit(node_id)
    if fmt == "dir":
        from cladist.archive.provenance import README_NAME, provenance_readme

        folder = run.agents.materialize(sha, out)
        if not (folder / README_NAME).exists():  # never overwrite the agent's own file
            write_atomic(folder / README_NAME, provenance_readme(run, node_id, str(out)))
        return folder
    if fmt == "tar":
        write_atomic(out, run.agents.archive_bytes(sha, "tar.gz", prefix=f"node-{node_id}/"))
        return out
    if fmt == "patch":
        run.agents.format_patches(sha, out)
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    return run.agents.bundle(node_id, out)


def write_predictions(run: Run, node_id: int, out: Path) -> Path:
    """Write the SWE-bench predictions of node ``node_id``: per instance it was graded on,
    the patch of its latest first attempt that ended in a verdict (second attempts saw the
    hidden tests' output, so they are not fit to submit). JSON lines, or a JSON list when
    ``out`` ends in ``.json``: the formats the harness reads. Raises NotFoundError for an
    unknown node, UsageError when the node has no SWE-bench result."""
    import json

    from cladist.archive.records import Verdict

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
