"""A run killed with SIGKILL at random moments and resumed each time loses no finished
result, duplicates nothing, leaves no container behind and keeps its invariants."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_model import KEY_ENV, model_args, respond

from cladist.archive.lineage import check_clade_counts
from cladist.archive.run import Run, resolve_run
from cladist.llm.testing import ScriptedLLMServer

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TASKS = ["py-easy-is-even", "py-easy-greeting", "py-easy-largest", "py-easy-fahrenheit",
         "py-easy-factorial", "py-easy-count-vowels", "py-easy-rectangle-area",
         "js-easy-capitalize"]
BUDGET = 40


def _args(server: ScriptedLLMServer) -> list[str]:
    return [*model_args(server, TASKS), "-c", f"budget.task_evaluations={BUDGET}",
            "-c", "budget.expansions=12", "-c", "run.name=killed"]


def test_sigkill_at_random_moments_then_resume(tmp_path: Path, docker_client,  # noqa: ANN001
                                               base_image) -> None:  # noqa: ANN001
    rng = random.Random(2026)
    env = {**os.environ, **KEY_ENV}
    with ScriptedLLMServer(default=respond, api_key="sk-fake") as server:
        base = [sys.executable, "-m", "cladist", "run", *_args(server)]
        kills = 0
        command = base
        while kills < 10:
            proc = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.5, 4.0))
            if proc.poll() is not None:  # finished before the kill: nothing to kill
                break
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            created = any((tmp_path / "runs").glob("*-killed"))
            command = [sys.executable, "-m", "cladist", "run", "--resume", "killed",
                       *_args(server)[:-2]] if created else base  # killed before creation
        final = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True,
                               text=True, timeout=900)
    assert final.returncode == 0, final.stderr[-3000:]
    assert kills == 10, f"the run finished after only {kills} kills"
    path = resolve_run("killed", tmp_path / "runs")
    events = [json.loads(line) for line in (path / "events.jsonl").read_text().splitlines()]
    with Run.open(path) as run:
        results = run.store.results()
        scored = [(r.node_id, r.task_id, r.attempt) for r in results if r.verdict != "infra_error"]
        assert len(scored) == len(set(scored)), "a result was recorded twice"
        # Every result whose event was written (after its transaction) is in the archive.
        recorded = {(e["node"], e["task"], e["attempt"]) for e in events
                    if e["kind"] == "task_result" and e["verdict"] != "infra_error"}
        assert recorded <= set(scored)
        expansions = run.store.expansions()
        children = [e.child_id for e in expansions if e.child_id is not None]
        assert len(children) == len(set(children)), "two expansions claim one child"
        nodes = run.store.nodes()
        assert {n.id for n in nodes if n.parent_id is not None} == set(children)
        assert all(e.outcome != "running" for e in expansions)
        assert check_clade_counts(run.store) == []
        assert run.store.integrity_check() == "ok"
        assert 0 < run.store.totals()["evaluations"] <= BUDGET
        record = run.store.run_record()
        assert record.status == "finished"
        assert (record.stop_reason or "").startswith("budget spent"), record.stop_reason
        for node in nodes:
            assert run.agents.resolve(f"refs/nodes/{node.id}") == node.commit_sha
    leftovers = docker_client.containers.list(
        all=True, filters={"label": f"cladist.run={path.name}"})
    assert leftovers == []
