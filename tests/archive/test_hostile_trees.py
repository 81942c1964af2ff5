"""Agent trees never make the host follow a link: tar streams with links, devices, FIFOs or
paths outside the target are refused before anything is written; trees and patches with a
symbolic link, a special file or a nested repository are never committed; a child whose
patch adds a link to ``/proc/self/environ`` or to a host file is an invalid child, and the
host's secrets appear nowhere in the run folder or the diagnosis prompt."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest

from cladist.archive.codebase import blob_sha, directory_listing
from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.archive.safetree import (
    PatchRejected,
    UnsafeTreeError,
    apply_patch,
    extract_tree,
    safe_extract,
)
from cladist.config import load_config
from cladist.evaluator.evaluate import EvalContext
from cladist.evolve.diagnosis import code_digest
from cladist.evolve.driver import finish_expansion, prepare_expansion
from cladist.evolve.jobs import ExpansionWork

SECRET = "cladist-test-secret-7f3a9c"


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


GOOD = (_member("agent/ok.py"), b"print('ok')\n")
HOSTILE = {
    "parent folder": (_member("../escaped.txt"), b"x"),
    "parent folder, deeper": (_member("agent/../../escaped.txt"), b"x"),
    "absolute path": (_member("/tmp/cladist-escaped.txt"), b"x"),
    "symbolic link": (_member("agent/environ.txt", tarfile.SYMTYPE, "/proc/self/environ"),
                      None),
    "relative symbolic link": (_member("agent/up", tarfile.SYMTYPE, "../.."), None),
    "hard link": (_member("agent/passwd", tarfile.LNKTYPE, "/etc/passwd"), None),
    "character device": (_member("agent/null", tarfile.CHRTYPE), None),
    "block device": (_member("agent/disk", tarfile.BLKTYPE), None),
    "FIFO": (_member("agent/pipe", tarfile.FIFOTYPE), None),
}


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_hostile_tar_members_are_refused_before_anything_is_written(tmp_path: Path,
                                                                    what: str) -> None:
    data = _tar(GOOD, HOSTILE[what])
    for extract in (extract_tree, safe_extract):
        dest = tmp_path / f"{extract.__name__}-out"
        with pytest.raises(UnsafeTreeError) as refused:
            extract(data, dest)
        assert HOSTILE[what][0].name.split("/")[-1] in str(refused.value)
        assert not (dest / "agent" / "ok.py").exists()  # nothing written, not even the good
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert not Path("/tmp/cladist-escaped.txt").exists()


def test_safe_extract_keeps_files_modes_and_drops_git_when_asked(tmp_path: Path) -> None:
    script = _member("./run.sh")
    script.mode = 0o755
    data = _tar((_member("./", tarfile.DIRTYPE), None), GOOD, (script, b"#!/bin/sh\n"),
                (_member("./.git/config"), b"[core]\n\tfsmonitor = touch /tmp/x\n"),
                (_member("./sub/.git/hooks/post-checkout"), b"#!/bin/sh\n"))
    kept = safe_extract(data, tmp_path / "kept", skip_git=True)
    assert (kept / "agent" / "ok.py").read_bytes() == b"print('ok')\n"
    assert (kept / "run.sh").stat().st_mode & 0o100
    assert not (kept / ".git").exists() and not (kept / "sub" / ".git").exists()
    whole = safe_extract(data, tmp_path / "whole")
    assert (whole / ".git" / "config").is_file()  # only dropped when asked


def test_garbage_is_not_a_tar(tmp_path: Path) -> None:
    with pytest.raises(UnsafeTreeError, match="not a readable tar"):
        safe_extract(b"\x00garbage" * 200, tmp_path / "out")


def _work(run: Run, tmp_path: Path) -> Path:
    return run.agents.materialize(run.node_commit(0), tmp_path / "work")


def test_trees_with_links_or_special_files_are_never_committed(run: Run, tmp_path: Path
                                                               ) -> None:
    secret_file = tmp_path / "host-secret.txt"
    secret_file.write_text(SECRET)
    cases = {
        "agent/env.txt -> /proc/self/environ: a symbolic link":
            lambda w: (w / "agent" / "env.txt").symlink_to("/proc/self/environ"),
        f"agent/notes.md -> {secret_file}: a symbolic link":
            lambda w: (w / "agent" / "notes.md").symlink_to(secret_file),
        "etc -> /etc: a symbolic link": lambda w: (w / "etc").symlink_to("/etc"),
        "agent/pipe: a FIFO": lambda w: os.mkfifo(w / "agent" / "pipe"),
        "vendored/.git: a nested git repository":
            lambda w: (w / "vendored" / ".git").mkdir(parents=True),
    }
    objects_before = _objects(run)
    for i, (expected, plant) in enumerate(cases.items()):
        work = _work(run, tmp_path / str(i))
        plant(work)
        with pytest.raises(UnsafeTreeError) as refused:
            run.agents.commit_dir(work, run.node_commit(0), expected)
        assert str(refused.value).startswith(expected), refused.value
    assert _objects(run) == objects_before  # nothing was written into agents.git
    assert SECRET not in _all_text(run.path)


def test_a_top_level_git_folder_is_left_out_not_refused(run: Run, tmp_path: Path) -> None:
    work = _work(run, tmp_path)
    (work / ".git").mkdir()
    (work / ".git" / "config").write_text("[core]\n\tfsmonitor = touch /tmp/never\n")
    sha = run.agents.commit_dir(work, run.node_commit(0), "with a checkout's .git")
    assert not any(p.startswith(".git/") for p in run.agents.files(sha))


def test_patches_adding_links_are_refused_before_they_are_applied(run: Run,
                                                                  tmp_path: Path) -> None:
    link = _link_patch("agent/env.txt", "/proc/self/environ")
    work = _work(run, tmp_path)
    with pytest.raises(UnsafeTreeError, match="agent/env.txt a symbolic link"):
        apply_patch(work, link)
    assert not os.path.lexists(work / "agent" / "env.txt")
    with pytest.raises(UnsafeTreeError):
        run.agents.commit_patch(run.node_commit(0), link, "symlink child")
    gitlink = ("diff --git a/vendored b/vendored\nnew file mode 160000\nindex 0000000..1111111"
               "\n--- /dev/null\n+++ b/vendored\n@@ -0,0 +1 @@\n"
               "+Subproject commit 1111111111111111111111111111111111111111\n")
    with pytest.raises(UnsafeTreeError, match="submodule"):
        run.agents.commit_patch(run.node_commit(0), gitlink, "gitlink child")
    with pytest.raises(PatchRejected, match="patch does not apply"):
        run.agents.commit_patch(run.node_commit(0), "--- a/nope\n+++ b/nope\n@@ -1 +1 @@\n"
                                "-x\n+y\n", "bad child")


def _link_patch(path: str, target: str) -> str:
    return (f"diff --git a/{path} b/{path}\nnew file mode 120000\nindex 0000000..1234567\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+{target}\n"
            "\\ No newline at end of file\n")


def test_directory_listing_never_follows_a_link(tmp_path: Path) -> None:
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "key.txt").write_text(SECRET)
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    (tree / "a" / "f.py").write_text("x = 1\n")
    (tree / "a" / "key").symlink_to(tmp_path / "secret" / "key.txt")
    (tree / "dir").symlink_to(tmp_path / "secret")
    listing = directory_listing(tree)
    assert set(listing) == {"a", "a/f.py", "a/key", "dir"} - {"a"}
    assert listing["a/key"] == ("120000", blob_sha(str(tmp_path / "secret/key.txt").encode()))
    assert listing["dir"][0] == "120000" and "dir/key.txt" not in listing


def test_code_digest_lists_links_without_reading_through_them(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setenv("CLADIST_TEST_SECRET", SECRET)
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "key.py").write_text(f"KEY = '{SECRET}'\n")
    agent = tmp_path / "agent"
    (agent / "agent").mkdir(parents=True)
    (agent / "README.md").write_text("# the agent\n")
    (agent / "agent" / "loop.py").write_bytes(b"# caf\xe9 \xff\n")
    (agent / "agent" / "env.txt").symlink_to("/proc/self/environ")
    (agent / "agent" / "key.py").symlink_to(tmp_path / "secret" / "key.py")
    (agent / "vendor").symlink_to(tmp_path / "secret")
    os.mkfifo(agent / "agent" / "pipe.py")  # opened, it would block the host forever
    digest = code_digest(agent, 10_000)
    assert SECRET not in digest
    assert "--- agent/env.txt -> /proc/self/environ (symlink, not followed)" in digest
    assert f"--- agent/key.py -> {tmp_path / 'secret' / 'key.py'} (symlink, not followed)" \
        in digest
    assert f"--- vendor -> {tmp_path / 'secret'} (symlink, not followed)" in digest
    assert "--- agent/pipe.py (a special file, skipped)" in digest
    assert "# caf\ufffd \ufffd" in digest and digest.startswith("--- README.md\n")


def _objects(run: Run) -> set[str]:
    done = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch-check"],
                          capture_output=True, text=True, check=True,
                          env={"GIT_DIR": str(run.path / "agents.git"), "PATH": os.defpath})
    return set(done.stdout.split("\n"))


def _all_text(folder: Path) -> str:
    """Every byte under ``folder`` (git objects inflated) as one string, to search."""
    parts = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            parts.append(path.read_bytes().decode("latin-1"))
    repo = folder / "agents.git"
    if repo.is_dir():
        parts.append(subprocess.run(
            ["git", "cat-file", "--batch-all-objects", "--batch"], capture_output=True,
            check=True, env={"GIT_DIR": str(repo), "PATH": os.defpath}).stdout.decode("latin-1"))
    return "\n".join(parts)


def test_a_child_whose_patch_adds_links_is_invalid_and_leaks_nothing(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLADIST_TEST_SECRET", SECRET)
    host_file = tmp_path / "host-secret.py"
    host_file.write_text(f"API_KEY = '{SECRET}'\n")
    patch = (_link_patch("agent/environ.txt", "/proc/self/environ")
             + _link_patch("agent/host_secret.py", str(host_file)))
    run.store.record_result(NewResult(0, "py-easy-is-even", Verdict.FAIL))
    ctx = EvalContext(run.config, None, lambda spec: None, lambda name: name, run.id)
    job = prepare_expansion(run, 0, ctx, {}, np.random.default_rng(0))
    result = finish_expansion(run, job, ExpansionWork(
        "valid", None, status=NodeStatus.VALID, patch=patch, summary="adds two links"))
    assert result.outcome == "invalid" and result.child_id is not None
    child = run.store.node(result.child_id)
    assert child.status is NodeStatus.INVALID and "symbolic link" in (child.reason or "")
    assert child.commit_sha == run.node_commit(0)  # nothing of the patch was committed
    assert run.blobs.get_text(f"expansions/{job.expansion_id}/rejected.patch") == patch
    # The next diagnosis prompt (of the invalid child) and the run folder hold no secret.
    again = prepare_expansion(run, child.id, ctx, {}, np.random.default_rng(1))
    assert SECRET not in again.prompt and SECRET not in job.prompt
    assert SECRET not in _all_text(run.path)


def test_an_archived_tree_with_links_is_listed_not_unpacked(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit holding links (made before they were refused, or by hand) is never
    unpacked: the diagnosis prompt says so, and the secret it points at stays out."""
    monkeypatch.setenv("CLADIST_TEST_SECRET", SECRET)
    host_file = tmp_path / "host-secret.py"
    host_file.write_text(f"API_KEY = '{SECRET}'\n")
    env = {"GIT_DIR": str(run.path / "agents.git"), "PATH": os.defpath,
           "GIT_INDEX_FILE": str(tmp_path / "index"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

    def git(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", *args], input=data, capture_output=True, check=True,
                              env=env).stdout.decode().strip()
    git("read-tree", run.node_commit(0))
    blob = git("hash-object", "-w", "--stdin", data=str(host_file).encode())
    git("update-index", "--add", "--cacheinfo", f"120000,{blob},agent/key.py")
    tree = git("write-tree")
    sha = git("commit-tree", tree, "-p", run.node_commit(0), "-m", "legacy")
    node = run.store.add_node(0, sha, status=NodeStatus.VALID)
    run.agents.set_node_ref(node, sha)
    with pytest.raises(UnsafeTreeError):
        run.agents.materialize(sha, tmp_path / "never")
    ctx = EvalContext(run.config, None, lambda spec: None, lambda name: name, run.id)
    job = prepare_expansion(run, node, ctx, {}, np.random.default_rng(0))
    assert "cannot be shown" in job.prompt and "agent/key.py" in job.prompt
    assert SECRET not in job.prompt


def test_a_seed_folder_with_a_link_makes_no_run(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    (seed / "agent").mkdir(parents=True)
    (seed / "agent" / "__init__.py").write_text("")
    (seed / "agent" / "env").symlink_to("/proc/self/environ")
    cfg = load_config([f"run.runs_dir={tmp_path / 'runs'}", f"run.seed_agent={seed}"])
    with pytest.raises(UnsafeTreeError, match=r"agent folder .*seed: agent/env -> "
                       r"/proc/self/environ: a symbolic link"):
        Run.create(cfg)
    with pytest.raises(UnsafeTreeError):
        Run.create(cfg, seed)
    runs = tmp_path / "runs"
    assert not runs.exists() or not any(runs.iterdir())
