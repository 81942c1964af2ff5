"""The CLI as a user runs it: a real subprocess on real run folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cladist
from cladist.archive.codebase import directory_listing
from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run, resolve_run

SOURCE = str(Path(cladist.__file__).resolve().parents[1])
"""The cladist under test (a worktree's, not whichever the venv installed)."""


def cli(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "cladist", *args], cwd=cwd,
                          capture_output=True, text=True, env={
                              "COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": SOURCE})
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def populated(tmp_path: Path) -> Path:
    """A quickstart run made by the CLI, then grown through the archive API."""
    cli(tmp_path, "init", "--preset", "quickstart")
    path = resolve_run("quickstart", tmp_path / "runs")
    with Run.open(path) as run:
        sha = run.node_commit(0)
        a = run.store.add_node(0, sha, status=NodeStatus.VALID, summary="better edit tool")
        b = run.store.add_node(a, sha, status=NodeStatus.INVALID, reason="tests failed")
        run.agents.set_node_ref(a, sha)
        run.agents.set_node_ref(b, sha)
        run.store.record_results([NewResult(0, "t1", Verdict.FAIL),
                                  NewResult(a, "t1", Verdict.PASS),
                                  NewResult(a, "t2", Verdict.PASS)])
    return path


def test_init_runs_tree_show(populated: Path, tmp_path: Path) -> None:
    listing = cli(tmp_path, "runs").stdout
    assert populated.name in listing and "created" in listing
    drawn = cli(tmp_path, "tree", "latest").stdout
    assert "0 valid 0/1 pass · clade 0.67 (2/3)" in drawn
    assert "1 valid 2/2 pass" in drawn and "★ best" in drawn and "2 invalid" in drawn
    data = json.loads(cli(tmp_path, "tree", str(populated), "--json").stdout)
    assert [n["id"] for n in data["nodes"]] == [0, 1, 2]
    assert data["nodes"][0]["children"] == [1] and data["best_belief"] == 1
    assert data["nodes"][1]["clade_estimate"] == 1.0
    shown = cli(tmp_path, "show", "quickstart", "1").stdout
    assert "lineage 0 → 1" in shown and "t2" in shown and "children: 2" in shown
    assert "reason: tests failed" in cli(tmp_path, "show", "quickstart", "2").stdout


@pytest.mark.parametrize("fmt", ["dir", "tar", "patch", "bundle"])
def test_export_formats_from_cli(populated: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"exported-{fmt}"
    done = cli(tmp_path, "export", "quickstart", "--node", "best", "--out", str(out),
               "--format", fmt)
    assert "exported node 1" in done.stdout
    assert out.exists()
    if fmt == "dir":
        listing = directory_listing(out)
        assert "the run's best-belief agent" in (out / "README-export.md").read_text()
        del listing["README-export.md"]  # the provenance README beside the agent's code
        with Run.open(populated) as run:
            assert listing == run.agents.files(run.node_commit(1))


def test_user_mistakes_are_one_line_errors(populated: Path, tmp_path: Path) -> None:
    cases = [
        (("tree", "nosuchrun"), 1, "run 'nosuchrun': no such run"),
        (("show", "quickstart", "77"), 1, "node 77: no such node"),
        (("show", "quickstart", "abc"), 2, "node 'abc': expected a node id or 'best'"),
        (("export", "quickstart", "--out", str(tmp_path / "x"), "--format", "zip"), 2,
         "format 'zip': unknown"),
    ]
    for args, code, message in cases:
        done = cli(tmp_path, *args, ok=False)
        assert done.returncode == code, (args, done.stderr)
        assert done.stderr.strip() == f"cladist: error: {done.stderr.strip()[16:]}"
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_export_best_before_any_evaluation_says_what_to_do(tmp_path: Path) -> None:
    cli(tmp_path, "init", "-c", "run.name=fresh")
    done = cli(tmp_path, "export", "fresh", "--out", str(tmp_path / "o"), ok=False)
    assert done.returncode == 1 and "give --node 0 for the seed" in done.stderr
