"""The model provider dies in the middle of a run (Docker, the fake model on the scripted
loopback server, which answers 500 to everything from the first self-edit call on): no
evaluation or expansion is scored against an agent for it, and the run stops at once as
"model unavailable" with a non-zero exit, resumable."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fake_model import respond, run_cli
from sqlalchemy import select

from cladist.archive import schema as t
from cladist.archive.records import Verdict
from cladist.archive.run import Run, resolve_run
from cladist.evolve.selfedit import PREAMBLE
from cladist.llm.outage import PROVIDER_DOWN
from cladist.llm.testing import Fault, Reply, ScriptedLLMServer

SELF_EDIT = PREAMBLE.split(":")[0]  # how a self-edit's problem starts

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TASKS = ["py-easy-is-even", "py-easy-greeting", "py-easy-largest"]


class DiesAtTheSelfEdit:
    """The fake model until the first self-edit call arrives; a 500 for everything after."""

    def __init__(self) -> None:
        self.down = threading.Event()

    def __call__(self, body: dict[str, Any]) -> Reply | Fault:
        messages = body.get("messages", [])
        first_user = str(messages[1].get("content", "")) if len(messages) > 1 else ""
        if SELF_EDIT in first_user:
            self.down.set()
        return Fault("server_error") if self.down.is_set() else respond(body)


def test_a_provider_that_dies_mid_run_is_never_the_agents_failure(
        tmp_path: Path, docker_client, base_image) -> None:  # noqa: ANN001
    model = DiesAtTheSelfEdit()
    with ScriptedLLMServer(default=model, api_key="sk-fake") as server:
        done = run_cli(tmp_path, server, TASKS, "run", "-c", "run.name=down",
                       "-c", "budget.task_evaluations=6", "-c", "llm.max_retries=0",
                       "-c", "evaluator.infra_retries=1", "-c", "evolve.infra_retries=0")
    assert model.down.is_set()
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "stopped: model unavailable: 2 pieces of work in a row" in done.stdout
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("cladist: error")]
    assert "model unavailable" in error and "cladist run --resume" in error
    with Run.open(resolve_run("down", tmp_path / "runs")) as run:
        record = run.store.run_record()
        assert record.status == "stopped" and record.stop_reason.startswith("model unavailable")
        first = run.store.expansions()[0]  # its self-edit met the outage: ours, no child
        assert first.outcome == "error" and first.child_id is None
        assert first.reason.startswith(PROVIDER_DOWN) and first.reason.endswith("(self-edit)")
        with run.store.engine.connect() as conn:
            failed_sessions = {row[0] for row in conn.execute(
                select(t.llm_call.c.session).where(t.llm_call.c.error.is_not(None)))}
        results = run.store.results()
        for result in results:
            if result.verdict == Verdict.FAIL:  # scored: every call of it was answered
                assert result.detail["session"] not in failed_sessions, result.detail
            else:
                assert result.verdict == Verdict.INFRA_ERROR
                assert result.detail["infra_reason"].startswith(PROVIDER_DOWN), result.detail
                assert result.detail["provider_down"] is True
        lost = [r for r in results if r.verdict == Verdict.INFRA_ERROR]
        errors = [e for e in run.store.expansions() if e.outcome == "error"]
        assert len(errors) + len({(r.node_id, r.task_id) for r in lost}) >= 2
        assert all(e.reason.startswith(PROVIDER_DOWN) for e in errors)
        assert len(run.store.nodes()) == 1  # no child made of a failed self-edit
