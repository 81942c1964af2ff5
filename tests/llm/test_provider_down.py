"""A gateway session tells a provider that is down from a request the agent got refused.

The upstream is the ``openai`` provider against the scripted loopback server; the agent's
side is the stdlib client on the session's socket. Failures after the retries (5xx,
connection refused, the host's key rejected) are counted, and a trusted probe decides
whether the provider is down now; 4xx refusals, context overflows and budgets are the
caller's and never probe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import API_KEY

from cladist.agents.llm_client import Client, LLMAPIError
from cladist.llm.budgets import Budgets, Limit
from cladist.llm.gateway import Gateway
from cladist.llm.identity import SessionIdentity
from cladist.llm.local import llama_cpp_missing
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.outage import PROVIDER_DOWN, is_provider_down
from cladist.llm.retry import RetryPolicy
from cladist.llm.testing import Fault, ScriptedLLMServer

HELLO = [{"role": "user", "content": "hello"}]
IDENT = SessionIdentity("run-a", 1, "evaluation", "t1")


@pytest.fixture
def gateway(server: ScriptedLLMServer, fast_retry: RetryPolicy,
            tmp_path: Path) -> Iterator[Gateway]:
    provider = OpenAIProvider("gpt-4o", base_url=server.openai_base_url, api_key=API_KEY,
                              retry=fast_retry, timeout_s=5)
    with Gateway(provider, folder=tmp_path / "rec") as gw:
        yield gw
    provider.close()


def probes(gateway: Gateway) -> list[dict]:
    gateway.flush()
    path = gateway.sink.root / "events.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [e for e in map(json.loads, lines) if e["kind"] == "llm_provider_probe"]


def test_a_provider_that_stays_down_is_confirmed_by_the_probe(
        gateway: Gateway, server: ScriptedLLMServer) -> None:
    server.default = lambda body: Fault("server_error")
    opened = gateway.open_session(IDENT)
    with pytest.raises(LLMAPIError) as info:
        Client(socket_path=str(opened.socket_path)).chat(HELLO)
    assert info.value.status == 503
    opened.close()
    assert opened.usage.provider_failures == 1 and opened.usage.failed == 1
    asked = len(server.requests)
    down = opened.provider_down() or ""
    assert is_provider_down(down) and down.startswith(PROVIDER_DOWN)
    assert "1 call(s) failed, and a probe just after too" in down
    assert "HTTP 500" in down and "\n" not in down
    assert len(server.requests) == asked + 4  # the probe, with the provider's own retries
    assert opened.provider_down() == down and len(server.requests) == asked + 4  # kept
    (event,) = probes(gateway)
    assert event["down"] == down and event["answered"] is None and event["failures"] == 1


def test_a_provider_that_answers_the_probe_was_failing_on_the_request(
        gateway: Gateway, server: ScriptedLLMServer) -> None:
    server.push(*[Fault("server_error")] * 4)  # the agent's call and its 3 retries
    opened = gateway.open_session(IDENT)
    with pytest.raises(LLMAPIError):
        Client(socket_path=str(opened.socket_path)).chat(HELLO)
    assert opened.usage.provider_failures == 1
    assert opened.provider_down() is None
    (event,) = probes(gateway)
    assert event["down"] is None and event["answered"]["input_tokens"] == 10


def test_connection_refused_and_a_rejected_host_key_count(
        server: ScriptedLLMServer, fast_retry: RetryPolicy, tmp_path: Path) -> None:
    closed = ScriptedLLMServer().start()
    url = closed.openai_base_url
    closed.stop()  # nothing listens there any more
    provider = OpenAIProvider("gpt-4o", base_url=url, api_key=API_KEY, retry=fast_retry)
    with Gateway(provider, folder=tmp_path / "refused") as gw:
        opened = gw.open_session(IDENT)
        with pytest.raises(LLMAPIError):
            Client(socket_path=str(opened.socket_path)).chat(HELLO)
        assert "connection failed" in (opened.provider_down() or "")
    provider.close()
    wrong = OpenAIProvider("gpt-4o", base_url=server.openai_base_url, api_key="sk-wrong",
                           retry=fast_retry)
    with Gateway(wrong, folder=tmp_path / "auth") as gw:
        opened = gw.open_session(IDENT)
        with pytest.raises(LLMAPIError) as info:
            Client(socket_path=str(opened.socket_path)).chat(HELLO)
        assert info.value.status == 502
        assert opened.usage.provider_failures == 1
        assert "was rejected (HTTP 401" in (opened.provider_down() or "")
    wrong.close()


def test_refusals_the_caller_caused_never_count(gateway: Gateway,
                                                server: ScriptedLLMServer) -> None:
    server.push(Fault("bad_request"), Fault("context_length"))
    opened = gateway.open_session(IDENT, budgets=Budgets(session=Limit(tokens=60)))
    agent = Client(socket_path=str(opened.socket_path))
    for expected in (400, 400):
        with pytest.raises(LLMAPIError) as info:
            agent.chat(HELLO)
        assert info.value.status == expected
    with pytest.raises(LLMAPIError) as info:
        agent.chat([{"role": "user", "content": "x" * 400}])  # more than the budget
    assert info.value.status == 429
    asked = len(server.requests)
    assert opened.usage.failed == 3 and opened.usage.provider_failures == 0
    assert opened.provider_down() is None and len(server.requests) == asked  # no probe
    assert probes(gateway) == []


@pytest.mark.slow
@pytest.mark.skipif(llama_cpp_missing() is not None,
                    reason=f"the embedded model is unavailable: {llama_cpp_missing()}")
def test_a_local_server_that_dies_and_cannot_restart_is_down(tmp_path: Path) -> None:
    import os
    import shutil
    import signal
    import time

    from smollm2 import smollm2_path

    from cladist.llm.local import LocalProvider

    model = tmp_path / "model.gguf"
    shutil.copy(smollm2_path(), model)
    provider = LocalProvider("smollm2-135m-instruct", model_path=model, default_max_tokens=4,
                             retry=RetryPolicy(max_retries=1, backoff_s=0.01))
    try:
        with Gateway(provider, folder=tmp_path / "rec") as gw:
            opened = gw.open_session(IDENT)
            agent = Client(socket_path=str(opened.socket_path))
            assert agent.chat(HELLO)["choices"][0]["message"] is not None
            server = provider.server
            model.unlink()  # a restart has nothing to load
            assert server.pid is not None
            os.killpg(server.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while server.running and time.monotonic() < deadline:
                time.sleep(0.05)
            with pytest.raises(LLMAPIError) as info:
                agent.chat(HELLO)
            assert info.value.status == 503
            assert "died with SIGKILL (killed) and did not restart" in info.value.message
            down = opened.provider_down() or ""
            assert down.startswith(PROVIDER_DOWN) and "no such model file" in down
    finally:
        provider.close()
