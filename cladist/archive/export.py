"""Export a node's codebase: as a directory, a tar.gz, a patch series from the root, or a
git bundle. Every format round-trips to exactly the committed tree; the directory also gets
a provenance README (:mod:`cladist.archive.provenance`) beside the agent's files."""

from __future__ import annotations

from pathlib import Path

from cladist.archive.blobs import write_atomic
from cladist.archive.run import Run
from cladist.errors import UsageError

FORMATS = ("dir", "tar", "patch", "bundle")


def export_node(run: Run, node_id: int, out: Path, fmt: str = "dir") -> Path:
    """Write node ``node_id`` of ``run`` to ``out`` in format ``fmt``; returns what was
    written. Raises UsageError for an unknown format or an existing non-empty ``out``,
    NotFoundError for an unknown node."""
    if fmt not in FORMATS:
        raise UsageError(f"format {fmt!r}: unknown (allowed: {', '.join(FORMATS)})")
    out = new_target(out)
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


def new_target(out: Path) -> Path:
    """``out``, which must not exist yet (an empty folder will do). Raises UsageError."""
    out = Path(out)
    if out.exists() and (out.is_file() or any(out.iterdir())):
        raise UsageError(f"{out}: already exists; choose a new path")
    return out
