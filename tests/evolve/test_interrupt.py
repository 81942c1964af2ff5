"""Ctrl-C: the first stops after in-flight work (status stopped, resumable), a second one
stops at once; either way `cladist run --resume` finishes the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_model import KEY_ENV, model_args, respond

from cladist.archive.run import Run, resolve_run
from cladist.llm.testing import ScriptedLLMServer

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TASKS = ["py-easy-is-even", "py-easy-greeting", "py-easy-largest", "py-easy-fahrenheit"]


def _args(server: ScriptedLLMServer, name: str) -> list[str]:
    return [*model_args(server, TASKS), "-c", "budget.task_evaluations=8",
            "-c", f"run.name={name}"]


def _wait_for_event(folder: Path, kind: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list(folder.glob("*/events.jsonl"))
        if runs and any(json.loads(line)["kind"] == kind
                        for line in runs[0].read_text().splitlines()):
            return
        time.sleep(0.2)
    raise AssertionError(f"no {kind} event within {timeout}s")


@pytest.mark.parametrize("presses, code, status", [(1, 0, "stopped"), (2, 130, "stopped")])
def test_ctrl_c_stops_and_the_run_resumes(tmp_path: Path, docker_client, base_image,  # noqa: ANN001
                                          presses: int, code: int, status: str) -> None:
    env = {**os.environ, **KEY_ENV}
    with ScriptedLLMServer(default=respond, api_key="sk-fake") as server:
        proc = subprocess.Popen([sys.executable, "-m", "cladist", "run",
                                 *_args(server, "ctrlc")], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_for_event(tmp_path / "runs", "task_result")
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.3)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == code, err[-2000:]
        assert "resume" in out or "stopped" in out
        path = resolve_run("ctrlc", tmp_path / "runs")
        with Run.open(path) as run:
            record = run.store.run_record()
            assert record.status == status
            assert "user" in (record.stop_reason or ""), record.stop_reason
            assert all(e.outcome != "running" for e in run.store.expansions()) or presses == 2
        resumed = subprocess.run([sys.executable, "-m", "cladist", "run", "--resume", "ctrlc",
                                  *_args(server, "ctrlc")[:-2]], cwd=tmp_path, env=env,
                                 capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    with Run.open(path) as run:
        record = run.store.run_record()
        assert record.status == "finished", record.stop_reason
        assert run.store.totals()["evaluations"] == 8
        assert all(e.outcome != "running" for e in run.store.expansions())
    leftovers = docker_client.containers.list(all=True,
                                              filters={"label": f"cladist.run={path.name}"})
    assert leftovers == []


def test_abandon_stops_without_waiting_for_in_flight_work(tmp_path: Path, docker_client,  # noqa: ANN001
                                                          base_image) -> None:  # noqa: ANN001
    with ScriptedLLMServer(default=respond, api_key="sk-fake") as server:
        args = [*model_args(server, TASKS), "-c", "budget.task_evaluations=50",
                "-c", "budget.on_stop=abandon", "-c", "evaluator.agent_timeout_s=120"]
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "cladist", "run", "-c", "run.name=ab",
                               "-c", "budget.wall_clock_s=5", *args], cwd=tmp_path,
                              env={**os.environ, **KEY_ENV}, capture_output=True, text=True,
                              timeout=600)
        took = time.monotonic() - started
        assert done.returncode == 0, done.stderr[-2000:]
        assert "budget spent: wall_clock_s" in done.stdout
        path = resolve_run("ab", tmp_path / "runs")
        with Run.open(path) as run:
            assert all(e.outcome != "running" for e in run.store.expansions())
            finished = run.store.totals()["evaluations"]
        assert took < 60
        resumed = subprocess.run([sys.executable, "-m", "cladist", "run", "--resume", "ab",
                                  "-c", "budget.wall_clock_s=600", "-c",
                                  "budget.task_evaluations=8", *args[:-6]], cwd=tmp_path,
                                 env={**os.environ, **KEY_ENV}, capture_output=True,
                                 text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    with Run.open(path) as run:
        assert run.store.totals()["evaluations"] >= max(finished, 1)
        assert run.store.run_record().status == "finished"
