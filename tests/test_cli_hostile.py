"""The CLI on what a hostile agent left: bytes that are not UTF-8, rich markup and terminal
escapes in its code and in the reasons stored about it (``show``, ``tree``, ``export`` work
and print no raw escape), and an agent folder holding links (``eval``: one line)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import SOURCE, cli

from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run, resolve_run

REASON = "the agent's own tests fail: [/red] \x1b]0;owned\x07\x1b[2J done"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    cli(tmp_path, "init", "--preset", "quickstart")
    path = resolve_run("quickstart", tmp_path / "runs")
    with Run.open(path) as run:
        work = run.agents.materialize(run.node_commit(0), tmp_path / "work")
        (work / "agent" / "latin.py").write_bytes(b"# caf\xe9 \xff \x1b[31mred\n")
        sha = run.agents.commit_dir(work, run.node_commit(0), "bytes")
        node = run.store.add_node(0, sha, status=NodeStatus.INVALID, reason=REASON,
                                  summary="[bold]\x1b[5m blink")
        run.agents.set_node_ref(node, sha)
        ref = run.blobs.put(f"nodes/{node}/patch.diff", b"\xff\xfe not utf-8\n")
        run.store.record_result(NewResult(node, "t1", Verdict.FAIL, patch_ref=ref))
    return path


def test_show_and_tree_print_bytes_and_escapes_safely(hostile: Path, tmp_path: Path) -> None:
    shown = cli(tmp_path, "show", str(hostile), "1").stdout
    assert "\x1b" not in shown and "\x07" not in shown
    assert "reason: the agent's own tests fail: [/red] \\x1b]0;owned\\x07\\x1b[2J done" \
        in shown
    assert "+# caf\ufffd \ufffd \\x1b[31mred" in shown
    tree = cli(tmp_path, "tree", str(hostile)).stdout
    assert "\x1b" not in tree and "[bold]\\x1b[5m blink" in tree


@pytest.mark.parametrize("fmt", ["dir", "tar", "patch", "bundle"])
def test_export_of_a_node_with_bytes(hostile: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out-{fmt}"
    done = cli(tmp_path, "export", str(hostile), "--node", "1", "--out", str(out),
               "--format", fmt)
    assert f"as {fmt} to {out}" in done.stdout
    if fmt == "dir":
        assert (out / "agent" / "latin.py").read_bytes() == b"# caf\xe9 \xff \x1b[31mred\n"


def test_eval_of_a_folder_holding_links_is_one_line(tmp_path: Path) -> None:
    agent = tmp_path / "agent-src"
    (agent / "agent").mkdir(parents=True)
    (agent / "agent" / "__init__.py").write_text("")
    (agent / "agent" / "keys.txt").symlink_to("/proc/self/environ")
    done = subprocess.run([sys.executable, "-m", "cladist", "eval", "--agent", str(agent),
                           "--task", "py-easy-is-even"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": SOURCE})
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert lines[0].startswith("cladist: error: agent folder") and \
        "agent/keys.txt -> /proc/self/environ: a symbolic link" in lines[0]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
