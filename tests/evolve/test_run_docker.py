"""A whole evolution run in Docker with a fake model (the shared ``evolved_run`` fixture of
tests/conftest.py): the self-edit really changes the
agent's code, the child is validated and evaluated, and it beats its parent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fake_model import MARKER

from cladist.archive.lineage import best_belief, check_clade_counts
from cladist.archive.records import NodeStatus
from cladist.archive.run import Run

pytestmark = pytest.mark.docker


def test_child_improves_on_its_parent_end_to_end(evolved_run: Path, tmp_path: Path) -> None:
    path = evolved_run
    stdout = (path.parents[1] / "cli-output.txt").read_text()
    assert "stopped: budget spent: task_evaluations" in stdout
    # not a terminal: one log line per event, then the figures once
    assert "expansion of node 0: valid → node 1" in stdout
    assert stdout.count("node 1 · py-easy-is-even: pass") == 1
    assert "best-belief   node 1 (3/3 pass)" in stdout
    with Run.open(path) as run:
        nodes = run.store.nodes()
        root, children = nodes[0], [n for n in nodes if n.parent_id is not None]
        valid = [n for n in children if n.status is NodeStatus.VALID]
        assert valid, [(n.id, n.status, n.reason) for n in children]
        child_code = run.agents.diff(root.commit_sha, valid[0].commit_sha)
        assert MARKER in child_code and "agent/prompts.py" in child_code
        assert root.n_pass == 0 and root.n_fail >= 1
        scored = [n for n in valid if n.evaluations]
        assert scored and all(n.score == 1.0 for n in scored)
        assert best_belief(run.store) in {n.id for n in scored}
        assert check_clade_counts(run.store) == []
        totals = run.store.totals()
        assert totals["evaluations"] == 6 and totals["infra_errors"] == 0
        record = run.store.run_record()
        assert record.status == "finished" and "task_evaluations" in (record.stop_reason or "")
    tree = subprocess.run([sys.executable, "-m", "cladist", "tree", str(path)], cwd=tmp_path,
                          capture_output=True, text=True, check=True).stdout
    assert "★ best" in tree
    out = tmp_path / "best"
    subprocess.run([sys.executable, "-m", "cladist", "export", str(path), "--node", "best",
                    "--out", str(out)],
                   cwd=tmp_path, check=True, capture_output=True)
    assert MARKER in (out / "agent" / "prompts.py").read_text()
    readme = (out / "README-export.md").read_text()  # where it came from, how to run it
    assert "the run's best-belief agent" in readme and f"run {path.name}" in readme
    assert "| 0 | 0/" in readme and f"cladist eval --agent {out}" in readme
