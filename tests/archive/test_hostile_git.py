"""Git config nobody vetted never runs: with a global config (``HOME`` and
``GIT_CONFIG_GLOBAL``) and config environment variables naming an external diff, a textconv,
a clean filter and an fsmonitor, and an agent tree whose ``.gitattributes`` asks for them,
cladist commits, diffs, applies, exports and computes oracle patches without running any.
A control proves the same plant does run commands under plain git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cladist.archive.export import FORMATS, export_node
from cladist.archive.records import NodeStatus
from cladist.archive.run import Run
from cladist.archive.safetree import apply_patch
from cladist.config import load_config
from cladist.evaluator.oracle import solution_patch
from cladist.evaluator.suites.bundled import BundledSuite
from cladist.view.web.data import RunData

ATTRIBUTES = "* diff=evil filter=evil\n"


@pytest.fixture
def marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A planted global config and environment whose every command leaves a file in the
    returned folder."""
    marks = tmp_path / "marks"
    marks.mkdir()
    attributes = tmp_path / "attributes"
    attributes.write_text(ATTRIBUTES)
    mark = tmp_path / "mark"  # leaves a file named after its first argument, then cats
    mark.write_text(f'#!/bin/sh\ntouch "{marks}/$1"\nshift\n[ $# -gt 0 ] || exec cat\n'
                    'cat "$1" 2>/dev/null || true\n')
    mark.chmod(0o755)
    config = (f"[core]\n\tfsmonitor = {mark} fsmonitor\n"
              f"\tattributesFile = {attributes}\n"
              f"[diff]\n\texternal = {mark} diff-external\n"
              f'[diff "evil"]\n\ttextconv = {mark} textconv\n'
              f'[filter "evil"]\n\tclean = {mark} clean-filter\n'
              f"\tsmudge = {mark} smudge-filter\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(config)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    external = tmp_path / "external-diff"
    external.write_text(f"#!/bin/sh\nexec {mark} env-external-diff\n")
    external.chmod(0o755)
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", str(external))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'core.pager'='{mark} pager'")
    return marks


def test_the_plant_works_under_plain_git(marks: Path, tmp_path: Path) -> None:
    repo = tmp_path / "control"
    repo.mkdir()
    git = ["git", "-c", "protocol.allow=never", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "a.txt").write_text("one\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"],
                   check=True, capture_output=True)
    (repo / "a.txt").write_text("two, longer\n")
    subprocess.run([*git, "status", "--short"], capture_output=True)
    # (the planted fsmonitor reports no change: without it, git diff sees the edit)
    subprocess.run([*git, "-c", "core.fsmonitor=false", "diff", "--no-ext-diff"],
                   capture_output=True)
    subprocess.run([*git, "-c", "core.fsmonitor=false", "diff"], capture_output=True)
    planted = {p.name for p in marks.iterdir()}
    assert {"fsmonitor", "clean-filter", "textconv", "env-external-diff"} <= planted, planted


def _child(run: Run, tmp_path: Path) -> int:
    work = run.agents.materialize(run.node_commit(0), tmp_path / "child")
    (work / ".gitattributes").write_text(ATTRIBUTES)
    (work / "agent" / "extra.py").write_text("EXTRA = 1\n")
    (work / "README.md").write_text("changed\n")
    sha = run.agents.commit_dir(work, run.node_commit(0), "child")
    child = run.store.add_node(0, sha, status=NodeStatus.VALID)
    run.agents.set_node_ref(child, sha)
    grand = run.agents.commit_patch(sha, "--- a/agent/extra.py\n+++ b/agent/extra.py\n"
                                    "@@ -1 +1 @@\n-EXTRA = 1\n+EXTRA = 2\n", "grandchild")
    node = run.store.add_node(child, grand, status=NodeStatus.VALID)
    run.agents.set_node_ref(node, grand)
    return node


def test_cladist_never_runs_planted_git_commands(marks: Path, tmp_path: Path) -> None:
    cfg = load_config([f"run.runs_dir={tmp_path / 'runs'}"])
    with Run.create(cfg) as run:
        node = _child(run, tmp_path)
        root = run.node_commit(0)
        assert "EXTRA = 2" in run.agents.diff(root, run.node_commit(node), binary=False)
        assert run.agents.parent_diffs([run.node_commit(node)])
        assert ".gitattributes" in run.agents.files(run.node_commit(node))
        for fmt in FORMATS:
            export_node(run, node, tmp_path / f"export-{fmt}", fmt)
        work = run.agents.materialize(root, tmp_path / "apply")
        apply_patch(work, run.agents.diff(root, run.node_commit(node)))
        assert (work / "agent" / "extra.py").read_text() == "EXTRA = 2\n"
        data = RunData(run.path)
        try:
            assert [p["diff"]["size"] > 0 for p in data.pages()] == [False, True, True]
        finally:
            data.close()
    task = next(t for t in BundledSuite().tasks() if t.solution is not None)
    assert solution_patch(task).startswith("diff --git")
    assert sorted(p.name for p in marks.iterdir()) == []
