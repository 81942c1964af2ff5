"""Provider behaviour suite: the same tests for ``openai`` and ``anthropic``, through the real
SDKs, against the scripted server on loopback (DESIGN section 8)."""

from __future__ import annotations

import json
import time

import pytest
from conftest import API_KEY

from cladist.errors import CladistError
from cladist.llm.anthropic_provider import AnthropicProvider
from cladist.llm.contracts import (
    ChatRequest,
    ContextLengthError,
    Provider,
    ProviderAuthError,
    ProviderRequestError,
    ProviderUnavailableError,
)
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.pricing import PriceTable
from cladist.llm.retry import RetryPolicy
from cladist.llm.testing import Fault, Reply, ScriptedLLMServer

KINDS = ["openai", "anthropic"]
MODEL = "gpt-4o"  # priced in the shipped table: $2.5 in, $10 out, $1.25 cached per M
TOOLS = [{"type": "function", "function": {
    "name": "read_file", "description": "Read a file of the repository.",
    "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                   "required": ["path"]}}}]


def make(kind: str, server: ScriptedLLMServer, retry: RetryPolicy, *,
         timeout_s: float = 5.0, api_key: str | None = API_KEY,
         prices: PriceTable | None = None) -> Provider:
    cls = OpenAIProvider if kind == "openai" else AnthropicProvider
    url = server.openai_base_url if kind == "openai" else server.url
    return cls(MODEL, base_url=url, api_key=api_key, timeout_s=timeout_s, retry=retry,
               prices=prices)


def ask(text: str = "hello", **params: object) -> ChatRequest:
    return ChatRequest([{"role": "system", "content": "You are terse."},
                        {"role": "user", "content": text}], params=dict(params))


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_plain_chat(kind: str, server: ScriptedLLMServer, fast_retry: RetryPolicy) -> None:
    server.push(Reply("Hi there.", input_tokens=20, output_tokens=3))
    provider = make(kind, server, fast_retry)
    result = provider.chat(ask(temperature=0, max_tokens=50))
    assert isinstance(provider, Provider)
    assert (result.content, result.tool_calls, result.finish_reason) == ("Hi there.", [], "stop")
    assert result.provider == kind and result.attempts == 1 and result.latency_s > 0
    sent = server.requests[0]
    assert sent.wire == kind
    if kind == "anthropic":  # the system prompt moved to its own parameter
        assert sent.body["system"] == "You are terse."
        assert sent.body["messages"] == [{"role": "user",
                                          "content": [{"type": "text", "text": "hello"}]}]
        assert sent.body["max_tokens"] == 50 and "temperature" not in sent.body
    else:
        assert sent.body["messages"][0] == {"role": "system", "content": "You are terse."}
        assert sent.body["max_tokens"] == 50
    provider.close()


def test_tool_call_round_trip(kind: str, server: ScriptedLLMServer,
                              fast_retry: RetryPolicy) -> None:
    server.push(Reply(None, tool_calls=(("read_file", {"path": "a.py"}),)),
                Reply("a.py defines f."))
    provider = make(kind, server, fast_retry)
    messages = [{"role": "user", "content": "What is in a.py?"}]
    first = provider.chat(ChatRequest(messages, tools=TOOLS, params={"tool_choice": "auto"}))
    assert first.finish_reason == "tool_calls" and first.content is None
    (call,) = first.tool_calls
    assert call.name == "read_file" and json.loads(call.arguments) == {"path": "a.py"}
    messages += [first.message(),
                 {"role": "tool", "tool_call_id": call.id, "content": "def f(): pass"}]
    second = provider.chat(ChatRequest(messages, tools=TOOLS))
    assert second.content == "a.py defines f." and second.finish_reason == "stop"

    body = server.requests[1].body
    if kind == "anthropic":
        assert body["tools"] == [{"name": "read_file", "description": "Read a file of the "
                                  "repository.", "input_schema": TOOLS[0]["function"][
                                      "parameters"]}]
        assistant, result = body["messages"][1], body["messages"][2]
        assert assistant == {"role": "assistant", "content": [
            {"type": "tool_use", "id": call.id, "name": "read_file",
             "input": {"path": "a.py"}}]}
        assert result == {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": call.id, "content": "def f(): pass"}]}
        assert server.requests[0].body["tool_choice"] == {"type": "auto"}
    else:
        assert body["tools"] == TOOLS
        assert body["messages"][1]["tool_calls"][0]["id"] == call.id
        assert body["messages"][2]["tool_call_id"] == call.id


def test_usage_and_cost(kind: str, server: ScriptedLLMServer, fast_retry: RetryPolicy) -> None:
    server.push(Reply("x", input_tokens=1_000_000, output_tokens=100_000,
                      cached_tokens=400_000))
    result = make(kind, server, fast_retry).chat(ask())
    assert (result.usage.input_tokens, result.usage.output_tokens,
            result.usage.cached_tokens) == (1_000_000, 100_000, 400_000)
    # 600k fresh * 2.5 + 400k cached * 1.25 + 100k out * 10 (dollars per million)
    assert result.cost_usd == pytest.approx(1.5 + 0.5 + 1.0)
    custom = PriceTable({MODEL: {"input": 1.0, "output": 1.0, "cached": 0.0}})
    server.push(Reply("x", input_tokens=1_000_000, output_tokens=1_000_000))
    assert make(kind, server, fast_retry, prices=custom).chat(ask()).cost_usd == 2.0


@pytest.mark.parametrize("fault", [
    Fault("rate_limit"), Fault("server_error"), Fault("server_error", status=503),
    Fault("malformed"), Fault("reset"), Fault("stall", stall_s=1.5)],
    ids=["429", "500", "503", "malformed-json", "reset", "stall"])
def test_transient_fault_is_retried(kind: str, server: ScriptedLLMServer,
                                    fast_retry: RetryPolicy, fault: Fault) -> None:
    server.push(fault, Reply("recovered"))
    result = make(kind, server, fast_retry, timeout_s=0.5).chat(ask())
    assert result.content == "recovered" and result.attempts == 2
    assert len(server.requests) == 2


def test_retry_after_is_honoured(kind: str, server: ScriptedLLMServer,
                                 fast_retry: RetryPolicy) -> None:
    server.push(Fault("rate_limit", retry_after=0.6), Reply("ok"))
    result = make(kind, server, fast_retry).chat(ask())
    gap = server.requests[1].at - server.requests[0].at
    assert result.content == "ok" and gap >= 0.6


def test_retries_are_bounded_in_count(kind: str, server: ScriptedLLMServer,
                                      fast_retry: RetryPolicy) -> None:
    server.push(*[Fault("server_error")] * 10)
    with pytest.raises(ProviderUnavailableError, match=r"gave up after 4 attempt"):
        make(kind, server, fast_retry).chat(ask())
    assert len(server.requests) == 4  # 1 + max_retries


def test_retries_are_bounded_in_time(kind: str, server: ScriptedLLMServer) -> None:
    server.push(Fault("rate_limit", retry_after=30), Reply("too late"))
    started = time.monotonic()
    with pytest.raises(ProviderUnavailableError, match="429"):
        make(kind, server, RetryPolicy(max_retries=5, max_time_s=2.0)).chat(ask())
    assert time.monotonic() - started < 1.5 and len(server.requests) == 1


def test_context_length_is_classified_not_retried(kind: str, server: ScriptedLLMServer,
                                                  fast_retry: RetryPolicy) -> None:
    server.push(Fault("context_length"))
    with pytest.raises(ContextLengthError, match="context length exceeded"):
        make(kind, server, fast_retry).chat(ask())
    assert len(server.requests) == 1


def test_bad_request_is_not_retried(kind: str, server: ScriptedLLMServer,
                                    fast_retry: RetryPolicy) -> None:
    server.push(Fault("bad_request"))
    with pytest.raises(ProviderRequestError, match="HTTP 400"):
        make(kind, server, fast_retry).chat(ask())
    assert len(server.requests) == 1


def test_rejected_key_fails_fast_naming_the_variable(kind: str, server: ScriptedLLMServer,
                                                     fast_retry: RetryPolicy) -> None:
    provider = make(kind, server, fast_retry, api_key="sk-wrong")
    with pytest.raises(ProviderAuthError) as info:
        provider.chat(ask())
    env = "OPENAI_API_KEY" if kind == "openai" else "ANTHROPIC_API_KEY"
    assert env in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, CladistError) and len(server.requests) == 1


def test_missing_key_fails_at_construction(kind: str, server: ScriptedLLMServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLADIST_TEST_KEY", raising=False)
    cls = OpenAIProvider if kind == "openai" else AnthropicProvider
    with pytest.raises(ProviderAuthError, match=r"^\w+: environment variable CLADIST_TEST_KEY "
                       "is not set"):
        cls(MODEL, base_url=server.url, key_env="CLADIST_TEST_KEY")
    monkeypatch.setenv("CLADIST_TEST_KEY", API_KEY)
    server.push(Reply("keyed"))
    url = server.openai_base_url if kind == "openai" else server.url
    assert cls(MODEL, base_url=url, key_env="CLADIST_TEST_KEY").chat(ask()).content == "keyed"


def test_default_key_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ProviderAuthError, match="OPENAI_API_KEY is not set"):
        OpenAIProvider(MODEL)
    with pytest.raises(ProviderAuthError, match="ANTHROPIC_API_KEY is not set"):
        AnthropicProvider("claude-sonnet-4-5")
