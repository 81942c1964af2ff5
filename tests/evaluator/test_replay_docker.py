"""Replay of stored evaluations of a real evolution run (the shared ``evolved_run``), in
Docker: a recorded replay reproduces the stored patch and verdict byte for byte (with no
key and no network), a tampered recording is reported as a divergence with its step, a
live replay against a model server shows the new verdict beside the stored one, --keep
leaves a workspace, and the command works as a user would call it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_model import KEY_ENV, respond

from cladist.archive.records import ResultRecord, Verdict
from cladist.archive.run import Run
from cladist.evaluator.replay import replay
from cladist.llm.testing import Reply, ScriptedLLMServer

pytestmark = pytest.mark.docker


def _results(path: Path) -> list[ResultRecord]:
    with Run.open(path) as run:
        return [r for r in run.store.results() if r.detail.get("session")]


def _pick(path: Path, verdict: Verdict) -> ResultRecord:
    return next(r for r in _results(path) if r.verdict == verdict and r.attempt == 1)


def _stored_patch(path: Path, result: ResultRecord) -> str:
    return (path / result.patch_ref).read_text() if result.patch_ref else ""


def _cli(cwd: Path, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "FAKE_KEY"}  # no key: recorded
    return subprocess.run([sys.executable, "-m", "cladist", "replay", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**clean, "COLUMNS": "200", **(env or {})})


def _copy(evolved_run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(evolved_run, tmp_path / evolved_run.name, symlinks=True))


@pytest.mark.parametrize("verdict", [Verdict.PASS, Verdict.FAIL])
def test_recorded_replay_reproduces_patch_and_verdict(evolved_run: Path,
                                                      verdict: Verdict) -> None:
    stored = _pick(evolved_run, verdict)  # a passing child result, a failing seed result
    sessions_before = sorted(p.name for p in (evolved_run / "llm").iterdir())
    rows_before = len(_results(evolved_run))
    with Run.open(evolved_run) as run:
        outcome = replay(run, stored.node_id, stored.task_id)
    assert outcome.divergence is None, outcome.divergence
    assert outcome.stored_verdict == verdict and outcome.verdict == verdict
    assert outcome.patch == _stored_patch(evolved_run, stored)  # byte for byte
    assert outcome.patch_identical and outcome.reproduced
    assert outcome.steps_served == outcome.steps_recorded >= 1
    assert outcome.session == stored.detail["session"] and outcome.workspace is None
    if verdict == Verdict.PASS:
        assert outcome.patch.startswith("diff --git")
    # A replay is not an evaluation: nothing new in the archive or the recordings.
    assert len(_results(evolved_run)) == rows_before
    assert sorted(p.name for p in (evolved_run / "llm").iterdir()) == sessions_before


def _tamper(path: Path, session: str, step: int, change: Any) -> None:
    file = path / "llm" / session / f"{step:04d}.json"
    exchange = json.loads(file.read_text())
    change(exchange)
    file.write_text(json.dumps(exchange))


def _rewrite_first_tool_call(exchange: dict[str, Any]) -> None:
    call = exchange["response"]["choices"][0]["message"]["tool_calls"][0]["function"]
    args = json.loads(call["arguments"])
    args["content"] = "# tampered\n" + args["content"]
    call["arguments"] = json.dumps(args)


def test_tampered_response_diverges_at_the_next_step(evolved_run: Path,
                                                     tmp_path: Path) -> None:
    path = _copy(evolved_run, tmp_path)
    stored = _pick(path, Verdict.PASS)
    _tamper(path, stored.detail["session"], 0, _rewrite_first_tool_call)
    with Run.open(path) as run:
        outcome = replay(run, stored.node_id, stored.task_id)
    div = outcome.divergence
    assert div is not None and div.step == 1, div
    assert "diverged at step 1" in div.message
    assert "tool_calls[0].function.arguments.content" in div.differs
    assert "# tampered" in div.differs
    assert not outcome.reproduced and not outcome.patch_identical
    assert outcome.exit_reason == "llm_error:ReplayDivergenceError"


def test_tampered_request_hash_is_a_divergence_at_that_step(evolved_run: Path,
                                                            tmp_path: Path) -> None:
    path = _copy(evolved_run, tmp_path)
    stored = _pick(path, Verdict.PASS)

    def break_hash(exchange: dict[str, Any]) -> None:
        exchange["request_hash"] = "0" * 64
    _tamper(path, stored.detail["session"], 1, break_hash)
    done = _cli(tmp_path, str(path), str(stored.node_id), "--task", stored.task_id)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "diverged (step 1)" in done.stdout
    assert "recording's request_hash does not match its request" in done.stdout


def test_live_replay_shows_new_verdict_beside_stored(evolved_run: Path,
                                                     tmp_path: Path) -> None:
    stored = _pick(evolved_run, Verdict.PASS)
    args = [str(evolved_run), str(stored.node_id), "--task", stored.task_id, "--live",
            "--json", "--out", str(tmp_path / "live")]
    with ScriptedLLMServer(default=respond, api_key="sk-fake") as server:
        same = _cli(tmp_path, *args, "-c", f"llm.base_url={server.openai_base_url}",
                    env=KEY_ENV)
        called = len(server.requests)  # the model really was called again
    assert same.returncode == 0 and called >= 2, (called, same.stdout + same.stderr)
    outcome = json.loads(same.stdout)
    assert outcome["mode"] == "live" and outcome["stored_verdict"] == "pass"
    assert outcome["verdict"] == "pass" and outcome["patch_identical"], outcome
    kept = tmp_path / "live" / "gateway" / "llm"  # the new exchanges, beside the run
    assert [len(list(s.glob("*.json"))) for s in kept.iterdir()] == [2]
    # A model that gives up at once: the new verdict differs from the stored one.
    with ScriptedLLMServer(default=lambda body: Reply(content="done", tool_calls=(
            ("submit", {}),)), api_key="sk-fake") as server:
        worse = _cli(tmp_path, str(evolved_run), str(stored.node_id), "--task",
                     stored.task_id, "--live", "-c", f"llm.base_url={server.openai_base_url}",
                     env=KEY_ENV)
    assert worse.returncode == 0, worse.stdout + worse.stderr
    assert "live: a different verdict (pass stored, fail now)" in worse.stdout
    assert "0 bytes, differs" in worse.stdout


def test_keep_leaves_the_workspace(evolved_run: Path, tmp_path: Path) -> None:
    stored = _pick(evolved_run, Verdict.PASS)
    out = tmp_path / "ws"
    done = _cli(tmp_path, str(evolved_run), "best", "--task", stored.task_id, "--out",
                str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reproduced: the same patch and verdict" in done.stdout
    assert f"workspace kept in {out}" in done.stdout
    report = json.loads((out / "replay.json").read_text())
    assert report["reproduced"] and report["workspace"] == str(out)
    best = [r for r in _results(evolved_run)
            if r.task_id == stored.task_id and r.node_id == report["node"]][-1]
    patch = (out / "patch.diff").read_text()
    assert patch == _stored_patch(evolved_run, best) == (out / "stored/patch.diff").read_text()
    changed = [line[6:] for line in patch.splitlines() if line.startswith("+++ b/")]
    assert changed and all((out / "workdir" / name).is_file() for name in changed)
    assert not (out / "workdir" / ".git").exists()  # never the agent's git (its config)
    assert "passed" in (out / "test_output.txt").read_text()
    assert json.loads((out / "trajectory.json").read_text())["exit_reason"] == "submitted"


def test_user_errors_are_one_line(evolved_run: Path, tmp_path: Path) -> None:
    stored = _pick(evolved_run, Verdict.PASS)
    task = ["--task", stored.task_id]
    with Run.open(evolved_run) as run:
        never = [n.id for n in run.store.nodes() if n.evaluations == 0 and n.n_infra == 0]
    cases = [([str(evolved_run), "99", *task], "node 99"),
             ([str(evolved_run), str(stored.node_id), "--task", "no-such-task"],
              "unknown bundled task no-such-task"),
             ([str(evolved_run), "nine", *task], "expected a node id or 'best'"),
             ([str(evolved_run), str(stored.node_id), *task, "--live"],  # no key given
              "environment variable FAKE_KEY is not set")]
    if never:
        cases.append(([str(evolved_run), str(never[0]), *task],
                      f"node {never[0]} has no stored result for task"))
    path = _copy(evolved_run, tmp_path)
    shutil.rmtree(path / "llm" / stored.detail["session"])
    cases.append(([str(path), str(stored.node_id), *task], "recordings of session"))
    for args, message in cases:
        done = _cli(tmp_path, *args)
        lines = done.stderr.strip().splitlines()
        assert done.returncode != 0 and len(lines) == 1, (args, done.stderr)
        assert lines[0].startswith("cladist: error: ") and message in lines[0], lines


def test_an_original_killed_at_its_deadline_replays_up_to_the_cut(evolved_run: Path,
                                                                  tmp_path: Path) -> None:
    from sqlalchemy import update

    from cladist.archive import schema as t

    path = _copy(evolved_run, tmp_path)
    stored = _pick(path, Verdict.PASS)
    session = str(stored.detail["session"])
    recorded = sorted((path / "llm" / session).glob("[0-9]*.json"))
    assert len(recorded) >= 2
    recorded[-1].unlink()  # the last call never ended: the agent was killed during it
    with Run.open(path) as run:
        cut = replay(run, stored.node_id, stored.task_id)
        assert cut.divergence is not None and cut.divergence.step == len(recorded) - 1
        assert not cut.reproduced  # without the deadline, a missing step is a divergence
        with run.store.engine.begin() as c:
            c.execute(update(t.task_result).where(t.task_result.c.id == stored.id).values(
                detail=json.dumps({**stored.detail, "agent_timed_out": True})))
        outcome = replay(run, stored.node_id, stored.task_id)
    assert outcome.divergence is None and outcome.reproduced, outcome.to_json()
    assert outcome.note is not None and f"model call {len(recorded)}" in outcome.note
    assert outcome.patch == _stored_patch(path, stored)
