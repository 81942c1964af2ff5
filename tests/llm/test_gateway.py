"""The gateway: sessions on Unix sockets, budgets, recording, replay, error mapping.

Agents' side is the real stdlib client (and the real OpenAI SDK over loopback TCP); the
upstream is the ``openai`` provider against the scripted server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import API_KEY

from cladist.agents.llm_client import (
    BudgetExceededError,
    Client,
    ContextLengthError,
    LLMAPIError,
    ReplayDivergenceError,
)
from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.llm.budgets import Budgets, Limit
from cladist.llm.gateway import Gateway, OpenSession
from cladist.llm.identity import SessionIdentity
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.recording import load_session
from cladist.llm.retry import RetryPolicy
from cladist.llm.testing import Fault, Reply, ScriptedLLMServer

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def provider(server: ScriptedLLMServer, fast_retry: RetryPolicy) -> Iterator[OpenAIProvider]:
    p = OpenAIProvider("gpt-4o", base_url=server.openai_base_url, api_key=API_KEY,
                       retry=fast_retry, timeout_s=5)
    yield p
    p.close()


@pytest.fixture
def gateway(provider: OpenAIProvider, tmp_path: Path) -> Iterator[Gateway]:
    with Gateway(provider, folder=tmp_path / "rec") as gw:
        yield gw


def ident(node: int = 1, task: str | None = "t1", session: str = "") -> SessionIdentity:
    return SessionIdentity("run-a", node, "evaluation", task, session)


def client(opened: OpenSession) -> Client:
    return Client(socket_path=str(opened.socket_path))


def events(folder: Path) -> list[dict]:
    path = folder / "events.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_chat_with_tools_through_the_socket(gateway: Gateway,
                                            server: ScriptedLLMServer) -> None:
    server.push(Reply(None, tool_calls=(("run", {"cmd": "ls"}),), input_tokens=7,
                      output_tokens=2))
    opened = gateway.open_session(ident())
    tools = [{"type": "function", "function": {"name": "run", "parameters": {}}}]
    answer = client(opened).chat(HELLO, tools=tools, model="whatever", max_tokens=30)
    message = answer["choices"][0]["message"]
    assert message["tool_calls"][0]["function"] == {"name": "run", "arguments": '{"cmd": "ls"}'}
    assert answer["usage"]["prompt_tokens"] == 7 and answer["model"] == "gpt-4o"
    upstream = server.requests[0].body
    assert upstream["model"] == "gpt-4o" and upstream["tools"] == tools  # the host decides
    assert upstream["max_tokens"] == 30
    assert oct(opened.socket_path.stat().st_mode & 0o777) == "0o666"


def test_official_sdk_works_against_the_gateway_over_tcp(gateway: Gateway) -> None:
    import openai

    opened = gateway.open_session(ident(), tcp=True)
    assert opened.tcp_url is not None
    sdk = openai.OpenAI(api_key="unused", base_url=opened.tcp_url, max_retries=0)
    completion = sdk.chat.completions.create(model="m", messages=HELLO)
    assert completion.choices[0].message.content == "echo: hello"
    assert sdk.models.list().data[0].id == "gpt-4o"


def test_streaming_clients_get_server_sent_events(gateway: Gateway,
                                                  server: ScriptedLLMServer) -> None:
    import openai

    server.push(Reply("streamed", input_tokens=9), Reply(None, tool_calls=(("f", {"a": 1}),)))
    opened = gateway.open_session(ident(), tcp=True)
    sdk = openai.OpenAI(api_key="unused", base_url=opened.tcp_url, max_retries=0)
    chunks = list(sdk.chat.completions.create(model="m", messages=HELLO, stream=True,
                                              stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "streamed"
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 9
    with sdk.chat.completions.stream(model="m", messages=HELLO, tools=[{
            "type": "function", "function": {"name": "f", "parameters": {}}}]) as stream:
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert (call.function.name, call.function.arguments) == ("f", '{"a": 1}')
    assert final.choices[0].finish_reason == "tool_calls"


def test_every_exchange_is_recorded(gateway: Gateway, server: ScriptedLLMServer) -> None:
    server.push(Reply("one", input_tokens=100, output_tokens=10), Fault("context_length"))
    opened = gateway.open_session(ident(session="s-rec"))
    c = client(opened)
    c.chat(HELLO)
    with pytest.raises(ContextLengthError):
        c.chat(HELLO + [{"role": "user", "content": "long"}])
    gateway.flush()
    root = gateway.sink.root
    first, second = load_session(root, "s-rec")
    assert first["request"]["messages"] == HELLO and first["status"] == 200
    assert first["response"]["choices"][0]["message"]["content"] == "one"
    assert first["usage"] == {"input_tokens": 100, "output_tokens": 10, "cached_tokens": 0}
    assert first["cost_usd"] == pytest.approx((100 * 2.5 + 10 * 10) / 1e6)
    assert first["latency_s"] > 0 and (first["node_id"], first["task_id"]) == (1, "t1")
    assert second["status"] == 400 and second["error"].startswith("context_length_exceeded")
    calls = [json.loads(x) for x in (root / "calls.jsonl").read_text().splitlines()]
    assert [c["recording_ref"] for c in calls] == ["llm/s-rec/0000.json", "llm/s-rec/0001.json"]
    assert calls[0]["tokens_in"] == 100 and calls[1]["error"]


def test_session_budget_refuses_with_api_error_and_event(gateway: Gateway,
                                                        server: ScriptedLLMServer) -> None:
    server.push(Reply("a", input_tokens=40, output_tokens=20))
    opened = gateway.open_session(ident(), budgets=Budgets(session=Limit(tokens=60)))
    c = client(opened)
    c.chat(HELLO)
    with pytest.raises(BudgetExceededError) as info:
        c.chat(HELLO)
    assert info.value.status == 429 and "session budget exceeded" in info.value.message
    assert len(server.requests) == 1  # the refused call never reached the provider
    gateway.flush()
    usage = opened.usage
    assert (usage.calls, usage.failed, usage.input_tokens, usage.output_tokens) == (1, 1, 40, 20)
    assert usage.cost_usd == pytest.approx((40 * 2.5 + 20 * 10) / 1e6)
    (event,) = events(gateway.sink.root)
    assert event["kind"] == "llm_budget_exceeded" and event["scope"] == "session"
    assert event["spent_tokens"] == 60 and event["session"] == opened.identity.session


def test_budget_caps_max_tokens_to_what_is_left(gateway: Gateway,
                                                server: ScriptedLLMServer) -> None:
    opened = gateway.open_session(ident(), budgets=Budgets(call=Limit(tokens=500)))
    client(opened).chat(HELLO, max_tokens=4000)
    assert 400 < server.requests[0].body["max_tokens"] < 500


def test_node_and_run_budgets_span_sessions(gateway: Gateway,
                                            server: ScriptedLLMServer) -> None:
    budgets = Budgets(node=Limit(tokens=30))
    server.push(Reply("a", input_tokens=20, output_tokens=10))
    client(gateway.open_session(ident(node=5), budgets=budgets)).chat(HELLO)
    with pytest.raises(BudgetExceededError, match="node budget"):
        client(gateway.open_session(ident(node=5, task="t2"), budgets=budgets)).chat(HELLO)
    client(gateway.open_session(ident(node=6), budgets=budgets)).chat(HELLO)  # other node
    dollars = Budgets(run=Limit(dollars=0.0003))
    server.push(Reply("b", input_tokens=100, output_tokens=100))  # $0.00125, run total $0.0015
    client(gateway.open_session(ident(node=7), budgets=dollars)).chat(HELLO)
    with pytest.raises(BudgetExceededError, match=r"run budget exceeded: \$0\.0015 of \$0\.0003"):
        client(gateway.open_session(ident(node=8), budgets=dollars)).chat(HELLO)


def test_dollar_budget_needs_a_priced_model(server: ScriptedLLMServer, tmp_path: Path) -> None:
    unpriced = OpenAIProvider("mystery-model", base_url=server.openai_base_url,
                              api_key=API_KEY)
    with pytest.raises(ConfigError, match="mystery-model.*has no price"):
        Gateway(unpriced, folder=tmp_path, budgets=Budgets(session=Limit(dollars=1.0)))


def test_replay_serves_the_recording_identically(gateway: Gateway,
                                                 server: ScriptedLLMServer) -> None:
    server.push(Reply("first"), Reply(None, tool_calls=(("f", {"x": 1}),)))
    c = client(gateway.open_session(ident(session="orig")))
    conversation = [HELLO, HELLO + [{"role": "assistant", "content": "first"},
                                    {"role": "user", "content": "go on"}]]
    recorded = [c.chat(m, temperature=0) for m in conversation]
    gateway.flush()
    n_upstream = len(server.requests)
    replay = client(gateway.open_session(ident(session="again"), replay="orig"))
    replayed = [replay.chat(m, temperature=0) for m in conversation]
    assert replayed == recorded and len(server.requests) == n_upstream


def test_changed_request_fails_replay_loudly(gateway: Gateway) -> None:
    c = client(gateway.open_session(ident(session="orig2")))
    c.chat(HELLO)
    c.chat(HELLO + [{"role": "user", "content": "more"}])
    gateway.flush()
    replay = client(gateway.open_session(ident(session="again2"), replay="orig2"))
    replay.chat(HELLO)
    with pytest.raises(ReplayDivergenceError, match="diverged at step 1") as info:
        replay.chat(HELLO + [{"role": "user", "content": "different"}])
    assert info.value.status == 409
    with pytest.raises(ReplayDivergenceError, match="already diverged at step 1"):
        replay.chat(HELLO + [{"role": "user", "content": "more"}])
    gateway.flush()
    diverged = [e for e in events(gateway.sink.root) if e["kind"] == "llm_replay_diverged"]
    assert diverged[0]["step"] == 1 and diverged[0]["replay_of"] == "orig2"


def test_replay_past_the_recording_fails(gateway: Gateway) -> None:
    client(gateway.open_session(ident(session="short"))).chat(HELLO)
    gateway.flush()
    replay = client(gateway.open_session(ident(session="r"), replay="short"))
    replay.chat(HELLO)
    with pytest.raises(ReplayDivergenceError, match="step 1 was never recorded"):
        replay.chat(HELLO)
    with pytest.raises(NotFoundError, match="no recordings"):
        gateway.open_session(ident(), replay="never-recorded")


def test_upstream_failures_become_api_errors(gateway: Gateway,
                                             server: ScriptedLLMServer) -> None:
    server.push(*[Fault("server_error")] * 4)
    c = client(gateway.open_session(ident()))
    with pytest.raises(LLMAPIError) as info:
        c.chat(HELLO)
    assert info.value.status == 503 and info.value.code == "provider_unavailable"
    server.push(Fault("auth"))
    with pytest.raises(LLMAPIError) as info:
        c.chat(HELLO)
    assert info.value.status == 502 and "OPENAI_API_KEY" not in info.value.message


def test_bad_requests_get_openai_style_errors(gateway: Gateway) -> None:
    c = client(gateway.open_session(ident()))
    for payload, code in [({"messages": []}, "invalid_body"),
                          ({"messages": "hi", "stream": True}, "invalid_body")]:
        with pytest.raises(LLMAPIError) as info:
            c.request("POST", "/chat/completions", payload)
        assert (info.value.status, info.value.code) == (400, code)
    with pytest.raises(LLMAPIError) as info:
        c.request("POST", "/embeddings", {"input": "x"})
    assert info.value.status == 404
    assert c.request("GET", "/models")["data"][0]["id"] == "gpt-4o"


def test_session_arguments_are_checked(gateway: Gateway, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="purpose 'fun'"):
        gateway.open_session(SessionIdentity("r", 1, "fun"))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="too long for a Unix socket"):
        gateway.open_session(ident(), socket_path=Path("/tmp/" + "x" * 120))
    taken = tmp_path / "taken.sock"
    taken.touch()
    with pytest.raises(UsageError, match="already exists"):
        gateway.open_session(ident(), socket_path=taken)


def test_records_into_a_run(provider: OpenAIProvider, server: ScriptedLLMServer,
                            tmp_path: Path) -> None:
    from sqlalchemy import select

    from cladist.agents import seed_path
    from cladist.archive import schema
    from cladist.archive.run import Run
    from cladist.config import Config

    config = Config.model_validate({"run": {"runs_dir": str(tmp_path)}})
    with Run.create(config, seed_path("seed")) as run:
        server.push(Reply("hi", input_tokens=30, output_tokens=5),
                    Reply("again", input_tokens=30, output_tokens=5))
        with Gateway(provider, run=run, budgets=Budgets(session=Limit(tokens=40))) as gw:
            c = client(gw.open_session(SessionIdentity(run.id, 0, "diagnosis",
                                                       session="diag-0")))
            c.chat(HELLO)
            with pytest.raises(BudgetExceededError):
                c.chat(HELLO)
        with run.store.engine.connect() as conn:
            rows = conn.execute(select(schema.llm_call).order_by(schema.llm_call.c.id)).all()
        assert [(r.session, r.purpose, r.node_id, r.tokens_in, r.tokens_out) for r in rows] == [
            ("diag-0", "diagnosis", 0, 30, 5), ("diag-0", "diagnosis", 0, 0, 0)]
        assert rows[1].error.startswith("budget_exceeded")
        assert run.blobs.exists(rows[0].recording_ref)
        assert run.store.totals()["llm_tokens"] == 35
        kinds = [json.loads(x)["kind"] for x in (run.path / "events.jsonl").read_text()
                 .splitlines()]
        assert "llm_budget_exceeded" in kinds
        # A new gateway on the same run (a resume) starts from what was already spent.
        for scope, limit in (("run", Budgets(run=Limit(tokens=40))),
                             ("node", Budgets(node=Limit(tokens=40)))):
            with Gateway(provider, run=run, budgets=limit) as gw2:
                with pytest.raises(BudgetExceededError, match=f"{scope} budget"):
                    client(gw2.open_session(SessionIdentity(run.id, 0, "self-edit"))).chat(
                        HELLO)


def test_anthropic_upstream_round_trip_in_openai_shape(server: ScriptedLLMServer,
                                                       fast_retry: RetryPolicy,
                                                       tmp_path: Path) -> None:
    from cladist.llm.anthropic_provider import AnthropicProvider

    server.push(Reply(None, tool_calls=(("run", {"cmd": "ls"}),)), Reply("done"))
    provider = AnthropicProvider("claude-haiku-4-5", base_url=server.url, api_key=API_KEY,
                                 retry=fast_retry)
    tools = [{"type": "function", "function": {"name": "run", "parameters": {
        "type": "object", "properties": {"cmd": {"type": "string"}}}}}]
    with Gateway(provider, folder=tmp_path) as gw:
        c = client(gw.open_session(ident()))
        messages = [{"role": "system", "content": "Be brief."}, *HELLO]
        first = c.chat(messages, tools=tools)["choices"][0]
        assert first["finish_reason"] == "tool_calls"
        call = first["message"]["tool_calls"][0]
        messages += [first["message"], {"role": "tool", "tool_call_id": call["id"],
                                        "content": "a.py"}]
        second = c.chat(messages, tools=tools)["choices"][0]
    assert second["message"] == {"role": "assistant", "content": "done"}
    upstream = server.requests[1].body
    assert upstream["system"] == "Be brief." and upstream["model"] == "claude-haiku-4-5"
    assert upstream["messages"][2]["content"][0]["tool_use_id"] == call["id"]


def test_concurrent_calls_in_one_session(gateway: Gateway, server: ScriptedLLMServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    opened = gateway.open_session(ident(session="busy"),
                                  budgets=Budgets(session=Limit(tokens=10**6)))

    def agent(i: int) -> list[str]:
        c = client(opened)
        return [c.chat([{"role": "user", "content": f"{i}-{k}"}])["choices"][0]["message"]
                ["content"] for k in range(5)]

    with ThreadPoolExecutor(8) as pool:
        answers = [a for batch in pool.map(agent, range(8)) for a in batch]
    assert sorted(answers) == sorted(f"echo: {i}-{k}" for i in range(8) for k in range(5))
    gateway.flush()
    steps = [e["step"] for e in load_session(gateway.sink.root, "busy")]
    assert steps == list(range(40))
    assert gateway.ledger.spent("session", "busy") == (40 * 15, pytest.approx(40 * 75e-6))


class _BrokenProvider:
    """A provider with a bug: the gateway must answer 500 and keep serving."""

    name, model = "broken", "gpt-4o"

    def __init__(self) -> None:
        self.calls = 0

    def chat(self, request: object) -> object:
        self.calls += 1
        raise RuntimeError("bug in a provider")

    def close(self) -> None:
        pass


def test_a_provider_bug_is_a_500_not_a_dead_gateway(tmp_path: Path) -> None:
    broken = _BrokenProvider()
    with Gateway(broken, folder=tmp_path) as gw:  # type: ignore[arg-type]
        c = client(gw.open_session(ident()))
        for _ in range(2):
            with pytest.raises(LLMAPIError, match="internal error.*bug in a provider") as info:
                c.chat(HELLO)
            assert info.value.status == 500
        gw.flush()
    assert broken.calls == 2
    recorded = [json.loads(x) for x in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert [r["error"].split(":")[0] for r in recorded] == ["internal_error"] * 2
