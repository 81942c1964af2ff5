"""Cleanup of crashed runs' leftovers, the doctor, and their CLI commands."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cladist import scratch
from cladist.sandbox import SandboxSpec
from cladist.sandbox.bubblewrap import BubblewrapSandbox
from cladist.sandbox.bubblewrap.dirs import sandbox_mounts
from cladist.sandbox.cleanup import Leftover, cleanup
from cladist.sandbox.docker import DockerSandbox
from cladist.sandbox.doctor import run_checks

if TYPE_CHECKING:
    import docker


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cladist", *args], capture_output=True,
                          text=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                          "COLUMNS": "200", **(env or {})}, timeout=300)


def test_cleanup_removes_a_crashed_runs_containers_only(
        docker_client: docker.DockerClient, base_image: str) -> None:
    crashed, alive = f"crashed-{uuid.uuid4().hex[:6]}", f"alive-{uuid.uuid4().hex[:6]}"
    lost = DockerSandbox(SandboxSpec(image=base_image, run_id=crashed, role="agent"),
                         client=docker_client)  # never closed: what a crash leaves
    other = DockerSandbox(SandboxSpec(image=base_image, run_id=alive), client=docker_client)
    try:
        listed = cleanup(crashed, dry_run=True, client=docker_client)
        assert [(x.kind, x.name, x.run_id, x.removed) for x in listed if x.kind == "container"] \
            == [("container", lost.name, crashed, False)]
        assert lost.alive()
        removed = cleanup(crashed, client=docker_client)
        assert [x.name for x in removed if x.removed and x.kind == "container"] == [lost.name]
        assert not lost.alive() and other.alive()
        assert other.exec("echo still").out == "still\n"
    finally:
        other.close()
        lost.close()


def test_cleanup_removes_tempdirs_by_label(shared_tmp: Path) -> None:
    lost = BubblewrapSandbox(SandboxSpec(run_id="crashed-run"))
    kept = BubblewrapSandbox(SandboxSpec(run_id="other-run"))
    stranger = shared_tmp / "cladist-not-a-sandbox"
    stranger.mkdir()
    try:
        dry = _dirs(cleanup("crashed-run", dry_run=True, docker_too=False))
        assert [(x.kind, x.name, x.removed) for x in dry] == [("tempdir", str(lost.root), False)]
        assert lost.root.exists()
        done = _dirs(cleanup("crashed-run", docker_too=False))
        assert [(x.name, x.removed) for x in done] == [(str(lost.root), True)]
        assert not lost.root.exists() and kept.root.exists() and stranger.exists()
        everything = _dirs(cleanup(None, docker_too=False))
        assert [x.run_id for x in everything] == ["other-run"] and not kept.root.exists()
    finally:
        lost.close()
        kept.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="a tmpfs per sandbox only as root")
def test_cleanup_unmounts_and_removes_what_a_killed_process_left(shared_tmp: Path) -> None:
    run_id = f"killed-{uuid.uuid4().hex[:6]}"
    script = ("import os, signal\nfrom cladist.sandbox import SandboxSpec\n"
              "from cladist.sandbox.bubblewrap import BubblewrapSandbox\n"
              f"box = BubblewrapSandbox(SandboxSpec(run_id={run_id!r}))\n"
              "box.exec('head -c 1000000 /dev/zero > data')\n"
              "print(box.root, flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n")
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=False)
    assert killed.returncode == -9, killed.stderr
    root = Path(killed.stdout.strip())
    assert str(root) in sandbox_mounts() and (root / "workspace" / "data").exists()
    done = _dirs(cleanup(run_id, docker_too=False))
    assert [(x.name, x.removed) for x in done] == [(str(root), True)]
    assert str(root) not in sandbox_mounts() and not root.exists()


def _dirs(found: list[Leftover]) -> list[Leftover]:
    """The sandbox dirs among leftovers (scratch dirs of other tests' killed processes may
    be in the system temp dir too)."""
    return [x for x in found if x.kind == "tempdir"]


def test_cleanup_removes_scratch_dirs_of_dead_processes_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where scratch dirs go
    gone = subprocess.run([sys.executable, "-c", "from cladist import scratch; "
                           "print(scratch.make('expand'))"],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "TMPDIR": str(tmp_path)})
    dead = Path(gone.stdout.strip())
    (dead / "parent").mkdir()
    (dead / "parent" / "big.bin").write_bytes(b"x" * 1000)
    mine = scratch.make("gw")
    lookalike = tmp_path / "cladist-expand-pid1x-abc"  # no pid: not a scratch dir
    lookalike.mkdir()
    assert dead.parent == tmp_path and dead.name.startswith("cladist-expand-pid")
    listed = cleanup(None, dry_run=True, docker_too=False)
    assert [(x.kind, x.name, x.removed) for x in listed if x.kind == "scratch"] == [
        ("scratch", str(dead), False)]
    assert dead.exists()
    removed = cleanup(None, docker_too=False)
    assert [(x.name, x.removed) for x in removed if x.kind == "scratch"] == [(str(dead), True)]
    assert not dead.exists() and mine.exists() and lookalike.exists()


def test_doctor_reports_each_problem_with_a_fix(docker_client: docker.DockerClient,
                                                tmp_path: Path) -> None:
    checks = {c.name: c for c in run_checks("cladist-no-such-base:never", tmp_path)}
    assert checks["docker engine"].ok
    assert not checks["base image"].ok and "build-base-image" in checks["base image"].fix
    assert checks["bubblewrap"].ok
    assert checks["disk space"].detail.endswith(str(tmp_path))
    assert all(c.fix for c in checks.values() if not c.ok)


def test_cli_doctor_images_and_cleanup(docker_client: docker.DockerClient, base_image: str,
                                       shared_tmp: Path) -> None:
    env = {"CLADIST_SANDBOX_TMP": str(shared_tmp), "TMPDIR": str(shared_tmp)}
    doctor = cli("doctor", "--base", "cladist-no-such-base:never", env=env)
    assert doctor.returncode == 1
    assert "FAIL base image: cladist-no-such-base:never is missing -> build it" in doctor.stdout
    assert "ok  bubblewrap" in doctor.stdout and "Traceback" not in doctor.stderr
    listing = cli("images", "list", "--base", base_image)
    assert listing.returncode == 0
    names = [line.split()[0] for line in listing.stdout.splitlines()]
    assert names == ["agent", "cpp", "go", "java", "node", "python", "rust"]
    assert all(line.split()[-1] in ("present", "stale", "missing")
               for line in listing.stdout.splitlines())
    bad = cli("images", "build", "--only", "nope")
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "cladist: error: unknown image nope (known: agent, cpp, go, java, node, python, rust)")
    lost = BubblewrapSandbox(SandboxSpec(run_id="cli-crash"))
    dry = cli("sandbox", "cleanup", "--run", "cli-crash", "--dry-run", env=env)
    assert dry.returncode == 0 and f"would remove tempdir {lost.root}" in dry.stdout
    assert "1 leftover(s) (dry run)" in dry.stdout and lost.root.exists()
    done = cli("sandbox", "cleanup", "--run", "cli-crash", env=env)
    assert done.returncode == 0 and f"removed tempdir {lost.root}" in done.stdout
    assert not lost.root.exists()


@pytest.mark.parametrize("backend", ["docker", "bubblewrap"])
def test_cli_reports_a_missing_engine_in_one_line(backend: str, tmp_path: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    if backend == "docker":
        done = cli("images", "list", env=env)
        assert done.returncode == 1
        assert done.stderr.startswith("cladist: error: no Docker engine answers")
        assert len(done.stderr.strip().splitlines()) == 1
    else:
        done = cli("doctor", env={**env, "PATH": "/nonexistent"})
        assert done.returncode == 1
        assert "FAIL docker engine" in done.stdout and "FAIL bubblewrap" in done.stdout
        assert "apt-get install bubblewrap" in done.stdout
