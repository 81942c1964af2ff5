"""A live run told apart from a crashed one by the lock its process holds: runs in child
processes that are killed with SIGKILL, ``cladist runs``, ``--resume`` and cleanup.

The locks live where every cladist process on this machine looks (the default live dir):
cleanup here must see the runs other processes are working on, and leave them alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cladist.archive.liveness import RunLiveError, RunLock, holder, is_live, shown_status
from cladist.archive.run import Run, list_runs
from cladist.config import load_config
from cladist.sandbox.cleanup import cleanup

WORKER = """
import sys, time
from cladist.archive.run import Run
from cladist.config import load_config
run = Run.create(load_config([f"run.runs_dir={sys.argv[1]}", f"run.name={sys.argv[2]}"]))
run.store.set_run_status("running")
run.event("session_started")
if len(sys.argv) > 3:  # also a container of the run, as a session's sandbox
    from cladist.sandbox import SandboxSpec
    from cladist.sandbox.docker import DockerSandbox
    box = DockerSandbox(SandboxSpec(image=sys.argv[3], run_id=run.id, role="agent"))
    print(box.name, flush=True)
print(run.id, flush=True)
time.sleep(600)
"""


class Worker:
    """A process working on a new run (and optionally holding one container of it)."""

    def __init__(self, runs: Path, name: str, image: str | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(runs), name, *([image] if image else [])],
            stdout=subprocess.PIPE, text=True, env=os.environ)
        assert self.process.stdout is not None
        self.container = self.process.stdout.readline().strip() if image else None
        self.run_id = self.process.stdout.readline().strip()
        assert self.run_id.endswith(name), self.run_id

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cladist", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "COLUMNS": "250"},
                          timeout=300)


def test_the_lock_dies_with_its_process(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    worker = Worker(runs, "alpha")
    try:
        found = holder(worker.run_id)
        assert found is not None and found["pid"] == worker.process.pid
        assert found["path"] == str(runs.resolve() / worker.run_id)
        assert shown_status(worker.run_id, "running") == "running"
        with pytest.raises(RunLiveError, match=f"pid {worker.process.pid}"):
            RunLock(worker.run_id).acquire(tmp_path)
    finally:
        worker.kill()
    assert not is_live(worker.run_id) and holder(worker.run_id) is None
    assert shown_status(worker.run_id, "running") == "crashed"
    assert shown_status(worker.run_id, "finished") == "finished"
    RunLock(worker.run_id).acquire(tmp_path).release()  # free again


def test_a_lock_folder_that_is_not_ours_is_refused(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from cladist.archive.liveness import live_dir
    from cladist.errors import ArchiveError

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "planted").symlink_to(elsewhere)  # what another user could leave in /tmp
    monkeypatch.setenv("CLADIST_LIVE_DIR", str(tmp_path / "planted"))
    with pytest.raises(ArchiveError, match="not a folder of this user"):
        live_dir()
    monkeypatch.setenv("CLADIST_LIVE_DIR", str(tmp_path / "mine"))
    assert live_dir() == tmp_path / "mine"


def test_a_run_is_claimed_while_open_and_freed_when_closed(tmp_path: Path) -> None:
    config = load_config([f"run.runs_dir={tmp_path / 'runs'}"])
    with Run.create(config) as run:
        assert is_live(run.id)
        with Run.open(run.path) as second, pytest.raises(RunLiveError):
            second.claim()
    assert not is_live(run.id)
    with Run.open(run.path) as again:
        again.claim()
        assert is_live(run.id)


def test_resume_claims_the_run_before_it_rewrites_the_config(tmp_path: Path) -> None:
    config = load_config([f"run.runs_dir={tmp_path / 'runs'}"])
    changed = load_config([f"run.runs_dir={tmp_path / 'runs'}", "budget.workers=3"])
    with Run.create(config) as run:
        stored = run.path / "config.yaml"
        before = (stored.read_bytes(), stored.stat().st_mtime_ns)
        with pytest.raises(RunLiveError):
            Run.resume(run.path, changed)
        assert (stored.read_bytes(), stored.stat().st_mtime_ns) == before
    with Run.resume(run.path, changed) as resumed:
        assert is_live(run.id)
        assert resumed.config == changed and stored.read_text() == changed.to_yaml()
    assert not is_live(run.id)
    with Run.open(run.path) as again:
        assert again.config.budget.workers == 3


def test_runs_resume_and_cleanup_tell_the_crashed_run_from_the_live_one(
        tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    killed, live = Worker(runs, "killed"), Worker(runs, "live")
    half_made = runs / ".20260101-000000-lost.creating"  # a creation that was killed
    half_made.mkdir()
    try:
        killed.kill()
        statuses = {s.id: s.status for s in list_runs(runs)}
        assert statuses == {killed.run_id: "crashed", live.run_id: "running"}
        listing = cli(tmp_path, "runs")
        assert listing.returncode == 0, listing.stderr
        line = next(x for x in listing.stdout.splitlines() if killed.run_id in x)
        assert "crashed (last event 20" in line
        assert "running" in next(x for x in listing.stdout.splitlines() if live.run_id in x)
        config = runs / live.run_id / "config.yaml"
        before = (config.read_bytes(), config.stat().st_mtime_ns)
        refused = cli(tmp_path, "run", "--resume", live.run_id, "-c", "budget.workers=2")
        assert refused.returncode == 1
        assert f"run {live.run_id} is running (pid {live.process.pid}" in refused.stderr
        assert (config.read_bytes(), config.stat().st_mtime_ns) == before
        removed = cleanup(None, runs_dir=runs, docker_too=False)
        assert [(x.kind, x.run_id, x.removed) for x in removed if x.kind == "creating"] == [
            ("creating", "20260101-000000-lost", True)]
        assert not half_made.exists()
    finally:
        live.kill()


@pytest.mark.docker
def test_cleanup_leaves_a_live_runs_containers_and_stops_them_only_when_asked(
        tmp_path: Path, docker_client, base_image: str) -> None:  # noqa: ANN001
    import docker

    runs = tmp_path / "runs"
    killed, live = Worker(runs, "killed", base_image), Worker(runs, "live", base_image)
    try:
        killed.kill()
        done = cli(tmp_path, "sandbox", "cleanup")
        assert done.returncode == 0, done.stderr
        assert f"removed container {killed.container} (run {killed.run_id})" in done.stdout
        assert f"kept container {live.container} (run {live.run_id} is running" in done.stdout
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(killed.container)
        kept = docker_client.containers.get(live.container)
        assert kept.status == "running" and live.process.poll() is None
        assert kept.exec_run(["echo", "still"]).output == b"still\n"
        stopped = cli(tmp_path, "sandbox", "cleanup", "--run", live.run_id, "--live")
        assert f"removed container {live.container}" in stopped.stdout
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(live.container)
    finally:
        live.kill()
        cleanup(live.run_id, include_live=True, client=docker_client)
