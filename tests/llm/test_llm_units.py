"""Small pure parts: translation to Anthropic, prices, Retry-After, request hashing."""

from __future__ import annotations

import pytest

from cladist.errors import ConfigError
from cladist.llm.anthropic_translate import to_anthropic
from cladist.llm.budgets import BudgetExceeded, Budgets, Ledger, Limit
from cladist.llm.contracts import ChatRequest, Usage
from cladist.llm.pricing import PriceTable
from cladist.llm.recording import request_hash
from cladist.llm.retry import parse_retry_after


def test_translation_merges_turns_and_maps_options() -> None:
    request = ChatRequest(
        [{"role": "system", "content": "S1"}, {"role": "developer", "content": "S2"},
         {"role": "user", "content": [{"type": "text", "text": "look"},
                                      {"type": "image_url",
                                       "image_url": {"url": "data:image/png;base64,AAA"}}]},
         {"role": "assistant", "content": "ok", "tool_calls": [
             {"id": "c1", "type": "function", "function": {"name": "a", "arguments": "{}"}},
             {"id": "c2", "type": "function", "function": {"name": "b",
                                                          "arguments": "not json"}}]},
         {"role": "tool", "tool_call_id": "c1", "content": "r1"},
         {"role": "tool", "tool_call_id": "c2", "content": "r2"},
         {"role": "user", "content": "next"}],
        tools=[{"type": "function", "function": {"name": "a"}}],
        params={"tool_choice": "required", "parallel_tool_calls": False, "stop": "END",
                "max_completion_tokens": 77, "temperature": 0.3})
    out = to_anthropic(request, 10)
    assert out["system"] == "S1\n\nS2" and out["max_tokens"] == 77
    assert out["stop_sequences"] == ["END"] and "temperature" not in out
    assert out["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert out["tools"] == [{"name": "a", "input_schema": {"type": "object",
                                                           "properties": {}}}]
    user, assistant, results = out["messages"]
    assert user["content"][1] == {"type": "image", "source": {
        "type": "base64", "media_type": "image/png", "data": "AAA"}}
    assert [b["type"] for b in assistant["content"]] == ["text", "tool_use", "tool_use"]
    assert assistant["content"][2]["input"] == {"arguments": "not json"}
    assert results["role"] == "user" and [b.get("tool_use_id") for b in
                                          results["content"]] == ["c1", "c2", None]
    with pytest.raises(ValueError, match="role 'robot'"):
        to_anthropic(ChatRequest([{"role": "robot", "content": "x"}]), 10)


def test_prices_match_dated_names_and_take_overrides() -> None:
    table = PriceTable({"my-model": {"input": 1, "output": 2},
                        "gpt-4o": {"output": 20}})
    assert table.lookup("gpt-4o-2024-08-06") == table.lookup("gpt-4o")
    assert table.lookup("claude-haiku-4-5-20251001") == table.lookup("claude-haiku-4-5")
    assert table.lookup("gpt-5.4-mini") is None  # not silently priced as gpt-5
    assert table.lookup("openai/gpt-4o-mini").input == 0.15  # type: ignore[union-attr]
    assert table.lookup("gpt-4o").output == 20 and table.lookup("gpt-4o").input == 2.5  # type: ignore[union-attr]
    assert table.cost("my-model", Usage(1_000_000, 1_000_000, 500_000)) == pytest.approx(3.0)
    assert table.lookup("unknown-model") is None and table.cost("unknown-model", Usage(9, 9)) == 0
    with pytest.raises(ConfigError, match=r"llm.prices.m.inptu: unknown price kind"):
        PriceTable({"m": {"inptu": 1}})


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after(None) is None


def test_request_hash_ignores_volatile_fields_and_nulls() -> None:
    base = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    same = {"messages": [{"role": "user", "content": "x", "name": None}], "model": "m",
            "stream": False, "user": "u", "temperature": None}
    assert request_hash(base) == request_hash(same)
    assert request_hash(base) != request_hash({**base, "temperature": 0})


def test_ledger_reserves_caps_settles_and_refuses() -> None:
    ledger = Ledger()
    keys = {"session": "s", "run": "r"}
    budgets = Budgets(call=Limit(tokens=100), session=Limit(tokens=250))
    first = ledger.reserve(keys, budgets, 20, 1000, None)
    assert first.max_tokens == 80 and ledger.held("session", "s") == (100, 0.0)
    ledger.settle(first, Usage(150, 50), 0.0)
    assert ledger.held("session", "s") == (0, 0.0) and ledger.spent("run", "r") == (200, 0.0)
    second = ledger.reserve(keys, budgets, 20, 1000, None)
    assert second.max_tokens == 30
    with pytest.raises(BudgetExceeded, match="session budget exceeded: 200 of 250 tokens "
                       r"spent \(calls in flight hold 50 tokens") as held_back:
        ledger.reserve(keys, budgets, 5, 1000, None)  # the second call holds what is left
    assert held_back.value.in_flight  # it would fit without the hold
    ledger.release(second)
    with pytest.raises(BudgetExceeded, match="session budget exceeded: the prompt") as final:
        ledger.reserve(keys, budgets, 60, 1000, None)
    assert not final.value.in_flight
    assert ledger.spent("session", "s") == (200, 0.0)
    assert ledger.held("session", "s") == (0, 0.0)


def test_a_reservation_waits_for_holds_to_settle() -> None:
    import threading

    ledger = Ledger()
    keys = {"session": "s"}
    budgets = Budgets(session=Limit(tokens=100))
    first = ledger.reserve(keys, budgets, 10, 80, None)  # holds 90 of 100
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.append(  # woken by the settle, not a timeout
        ledger.reserve(keys, budgets, 10, 80, None, wait_s=600).max_tokens), daemon=True)
    waiter.start()
    for _ in range(3000):  # until it waits (or gave up at once: then got stays empty)
        if ledger.waiting or not waiter.is_alive():
            break
        waiter.join(0.01)
    ledger.settle(first, Usage(10, 20), 0.0)  # really spent 30: room for 60 more
    waiter.join(30)
    assert got == [60] and ledger.waiting == 0


def test_reservations_hold_dollars_at_the_model_price() -> None:
    from cladist.llm.pricing import Price

    ledger = Ledger()
    price = Price(input=1.0, output=10.0, cached=0.1)  # dollars per million
    keys = {"session": "s", "node": "r:1", "run": "r"}
    budgets = Budgets(node=Limit(dollars=0.003))
    # 100 prompt tokens ($0.0001) + 200 output tokens ($0.002) held against each scope
    held = ledger.reserve(keys, budgets, 100, 200, price)
    assert (held.max_tokens, held.tokens) == (200, 300)
    assert ledger.held("node", "r:1")[1] == pytest.approx(0.0021)
    # $0.0009 left: 100 prompt tokens ($0.0001) and at most 80 output tokens ($0.0008)
    assert ledger.reserve(keys, budgets, 100, 4096, price).max_tokens == 80
    with pytest.raises(BudgetExceeded, match="node budget exceeded"):
        ledger.reserve(keys, budgets, 1, 4096, price)


def test_dollar_limits_cap_output_by_price() -> None:
    from cladist.llm.pricing import Price

    ledger = Ledger()
    price = Price(input=1.0, output=10.0, cached=0.1)  # dollars per million
    budgets = Budgets(call=Limit(dollars=0.001))
    # $0.001 - 100 prompt tokens at $1/M = $0.0009 left -> 90 output tokens at $10/M
    assert ledger.reserve({}, budgets, 100, 4096, price).max_tokens == 90
    with pytest.raises(BudgetExceeded, match=r"call budget exceeded: the prompt \(~\$0\.0010\)"):
        ledger.reserve({}, budgets, 1000, 4096, price)
