"""Moving a worker's recordings into a run: what a folder-recording gateway wrote is
imported as a run-recording gateway would have written it, and the driver's ledger is
charged (the Ray executor's path for LLM calls)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import API_KEY
from sqlalchemy import select

from cladist.agents import seed_path
from cladist.agents.llm_client import Client, LLMError
from cladist.archive import schema
from cladist.archive.run import Run
from cladist.config import Config
from cladist.llm.budgets import Budgets, Limit
from cladist.llm.gateway import Gateway
from cladist.llm.identity import SessionIdentity
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.testing import Reply, ScriptedLLMServer
from cladist.llm.transfer import export_folder, import_into_run

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def provider(server: ScriptedLLMServer) -> Iterator[OpenAIProvider]:
    p = OpenAIProvider("gpt-4o", base_url=server.openai_base_url, api_key=API_KEY,
                       timeout_s=5)
    yield p
    p.close()


def test_worker_recordings_land_in_the_run_and_the_ledger(
        provider: OpenAIProvider, server: ScriptedLLMServer, tmp_path: Path) -> None:
    config = Config.model_validate({"run": {"runs_dir": str(tmp_path / "runs")}})
    with Run.create(config, seed_path("seed")) as run:
        server.push(Reply("hi", input_tokens=30, output_tokens=5))
        folder = tmp_path / "worker"
        with Gateway(provider, folder=folder, budgets=Budgets(session=Limit(tokens=40))) as gw:
            opened = gw.open_session(SessionIdentity(run.id, 0, "diagnosis", "t1", "diag-0"))
            chat = Client(socket_path=str(opened.socket_path))
            chat.chat(HELLO)
            with pytest.raises(LLMError):
                chat.chat(HELLO)  # refused by the session budget: a call row and an event
            assert (opened.usage.input_tokens, opened.usage.output_tokens) == (30, 5)
        export = export_folder(folder)
        assert list(export.recordings) == ["llm/diag-0/0000.json", "llm/diag-0/0001.json"]
        with Gateway(None, run=run) as driver:
            assert import_into_run(run, driver, export) == 2
            assert driver.ledger.spent("run", run.id) == (35, pytest.approx(
                export.calls[0]["cost_usd"]))
            assert driver.ledger.spent("node", f"{run.id}:0")[0] == 35
        with run.store.engine.connect() as conn:
            rows = conn.execute(select(schema.llm_call).order_by(schema.llm_call.c.id)).all()
        assert [(r.session, r.purpose, r.node_id, r.task_id, r.tokens_in, r.tokens_out)
                for r in rows] == [("diag-0", "diagnosis", 0, "t1", 30, 5),
                                   ("diag-0", "diagnosis", 0, "t1", 0, 0)]
        assert rows[1].error.startswith("budget_exceeded")
        recorded = json.loads(run.blobs.get_text(rows[0].recording_ref))
        assert recorded["response"]["choices"][0]["message"]["content"] == "hi"
        kinds = [json.loads(x)["kind"] for x in (run.path / "events.jsonl").read_text()
                 .splitlines()]
        assert "llm_budget_exceeded" in kinds
