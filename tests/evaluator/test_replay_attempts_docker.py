"""Replay of a second attempt (pass@2): it starts from the stored first attempt's patch with
the failing test output in its problem, as the original did, so the recording is followed
to the end and the verdict reproduced. The evaluation is a real `cladist eval` run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cladist.archive.records import Verdict
from cladist.archive.run import Run, resolve_run
from cladist.evaluator.suites.bundled import BundledSuite
from cladist.llm.testing import Reply, ScriptedLLMServer

pytestmark = pytest.mark.docker

TASK = "py-easy-largest"


def _model(body: dict[str, Any]) -> Reply:
    """Attempt 1 writes a note and submits (fails); attempt 2 writes the solution."""
    first_user = body["messages"][1]["content"]
    turns = sum(1 for m in body["messages"] if m["role"] == "assistant")
    if turns:
        return Reply(content="done", tool_calls=(("submit", {}),))
    if "Your previous attempt failed" not in first_user:
        return Reply(content=None, tool_calls=(("create", {"path": "NOTES.md",
                                                            "content": "first try\n"}),))
    (task,) = BundledSuite().tasks([TASK])
    assert task.solution is not None
    return Reply(content=None, tool_calls=tuple(
        ("create", {"path": str(p.relative_to(task.solution)), "content": p.read_text()})
        for p in sorted(task.solution.rglob("*")) if p.is_file()))


def _cladist(cwd: Path, *args: str, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cladist", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def test_replay_of_the_second_attempt(tmp_path: Path) -> None:
    with ScriptedLLMServer(default=_model, api_key="sk-two") as server:
        done = _cladist(tmp_path, "eval", "--agent", "seed", "--task", TASK, "--attempts", "2",
                        "-c", "llm.provider=openai", "-c", "llm.model=gpt-4o-mini",
                        "-c", f"llm.base_url={server.openai_base_url}",
                        "-c", "llm.api_key_env=TWO_KEY", "-c", "evaluator.agent_timeout_s=120",
                        env={"TWO_KEY": "sk-two"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    path = resolve_run("eval", tmp_path / "runs")
    with Run.open(path) as run:
        stored = {r.attempt: r for r in run.store.results(0)}
        patches = {a: run.blobs.get_text(r.patch_ref) for a, r in stored.items()}
    assert [(a, r.verdict) for a, r in sorted(stored.items())] == [
        (1, Verdict.FAIL), (2, Verdict.PASS)]
    assert "NOTES.md" in patches[1] and "NOTES.md" in patches[2]  # 2 continued from 1
    for attempt, verdict in ((2, "pass"), (1, "fail")):
        replayed = _cladist(tmp_path, "replay", str(path), "0", "--task", TASK,
                            "--attempt", str(attempt), "--json")
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        outcome = json.loads(replayed.stdout)
        assert outcome["divergence"] is None and outcome["reproduced"], outcome
        assert outcome["verdict"] == verdict and outcome["attempt"] == attempt
        assert outcome["steps_served"] == outcome["steps_recorded"] == 2
