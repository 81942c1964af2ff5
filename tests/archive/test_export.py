"""Export round trips: every format gives back exactly the committed tree (bytes and modes)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from cladist.archive.codebase import directory_listing
from cladist.archive.export import FORMATS, export_node
from cladist.archive.provenance import README_NAME
from cladist.archive.records import NodeStatus
from cladist.archive.run import Run
from cladist.errors import ArchiveError, UsageError


def _lineage(run: Run, tmp_path: Path) -> int:
    """Root -> child (edits, binary file, exec bit, unicode name, deletion) -> grandchild.
    (No symbolic link: agent codebases may not hold one, see test_hostile_trees.py.)"""
    work = tmp_path / "work"
    run.agents.materialize(run.node_commit(0), work)
    (work / "agent" / "tools.py").write_text("def tool():\n    return 'ünïcode ✓'\n")
    (work / "data.bin").write_bytes(bytes(range(256)) * 40 + b"\x00\r\n")
    script = work / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    (work / "notes é.md").write_text("no trailing newline")
    (work / "README.md").unlink()
    child_sha = run.agents.commit_dir(work, run.node_commit(0), "node 1")
    child = run.store.add_node(0, child_sha, status=NodeStatus.VALID)
    run.agents.set_node_ref(child, child_sha)
    patch = ("--- a/agent/tools.py\n+++ b/agent/tools.py\n@@ -1,2 +1,3 @@\n"
             " def tool():\n     return 'ünïcode ✓'\n+# grandchild\n")
    grand_sha = run.agents.commit_patch(child_sha, patch, "node 2")
    grand = run.store.add_node(child, grand_sha, status=NodeStatus.VALID)
    run.agents.set_node_ref(grand, grand_sha)
    return grand


def _committed(run: Run, node_id: int) -> dict[str, tuple[str, str]]:
    return run.agents.files(run.node_commit(node_id))


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_round_trip_is_byte_identical(run: Run, tmp_path: Path, fmt: str) -> None:
    node = _lineage(run, tmp_path)
    expected = _committed(run, node)
    assert "data.bin" in expected and expected["run.sh"][0] == "100755"
    out = export_node(run, node, tmp_path / f"out-{fmt}", fmt)
    back = tmp_path / "back"
    if fmt == "dir":
        back = out
    elif fmt == "tar":
        with tarfile.open(out, "r:gz") as tar:
            tar.extractall(back, filter="tar")
        back = back / f"node-{node}"
    elif fmt == "patch":
        patches = sorted(out.glob("*.patch"))
        assert len(patches) == 3  # root, child, grandchild: the whole lineage
        back.mkdir()
        for p in patches:
            subprocess.run(["git", "apply", "--whitespace=nowarn", str(p)], cwd=back, check=True,
                           env={**os.environ, "GIT_DIR": str(tmp_path / "nogit")})
    else:
        subprocess.run(["git", "clone", "--quiet", "-b", f"node-{node}", str(out), str(back)],
                       check=True)
        log = subprocess.run(["git", "-C", str(back), "log", "--format=%H"], check=True,
                             capture_output=True, text=True).stdout.split()
        assert log[0] == run.node_commit(node) and len(log) == 3  # the whole lineage
        shutil.rmtree(back / ".git")
    listing = directory_listing(back)
    if fmt == "dir":  # the committed tree plus the provenance README
        readme = (back / README_NAME).read_text()
        assert f"node {node} of run {run.id}" in readme and "cladist eval --agent" in readme
        assert listing.pop(README_NAME)[0] == "100644"
        assert (back / README_NAME).stat().st_mode & 0o777 == 0o644  # readable by all
    assert listing == expected


def test_export_refuses_existing_target_and_unknown_format(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "x").write_text("x")
    with pytest.raises(UsageError, match="already exists"):
        export_node(run, 0, target, "dir")
    with pytest.raises(UsageError, match="allowed: dir, tar, patch, bundle"):
        export_node(run, 0, tmp_path / "new", "zip")


def test_diff_between_nodes_and_bad_patch(run: Run, tmp_path: Path) -> None:
    node = _lineage(run, tmp_path)
    diff = run.agents.diff(run.node_commit(0), run.node_commit(node), binary=False)
    assert "+# grandchild" in diff and "deleted file mode" in diff
    with pytest.raises(ArchiveError, match="patch does not apply"):
        run.agents.commit_patch(run.node_commit(0), "--- a/nope\n+++ b/nope\n@@ -1 +1 @@\n-x\n+y\n",
                                "bad")
