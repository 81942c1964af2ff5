"""Property: any OpenAI-shaped tool conversation translates to a valid Anthropic one."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cladist.llm.anthropic_translate import to_anthropic
from cladist.llm.contracts import ChatRequest

text = st.text(alphabet="abc xyz\n", min_size=1, max_size=12)
args = st.dictionaries(st.sampled_from(["path", "cmd", "n"]), st.integers(0, 9), max_size=2)


@st.composite
def conversations(draw: st.DrawFn) -> list[dict]:
    messages: list[dict] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(text)})
    for turn in range(draw(st.integers(1, 5))):
        messages.append({"role": "user", "content": draw(text)})
        calls = [{"id": f"c{turn}-{i}", "type": "function",
                  "function": {"name": "tool", "arguments": json.dumps(draw(args))}}
                 for i in range(draw(st.integers(0, 3)))]
        reply: dict = {"role": "assistant", "content": draw(st.one_of(st.none(), text))}
        if calls:
            reply["tool_calls"] = calls
        messages.append(reply)
        messages += [{"role": "tool", "tool_call_id": c["id"], "content": draw(text)}
                     for c in calls]
    return messages


@settings(max_examples=200, deadline=None)
@given(conversations())
def test_translation_is_valid_and_lossless(messages: list[dict]) -> None:
    out = to_anthropic(ChatRequest(messages), 64)
    turns = out["messages"]
    roles = [t["role"] for t in turns]
    assert roles[0] == "user" and all(a != b for a, b in zip(roles, roles[1:], strict=False))
    seen_uses: set[str] = set()
    for turn in turns:
        for block in turn["content"]:
            if block["type"] == "tool_use":
                seen_uses.add(block["id"])
            if block["type"] == "tool_result":
                assert block["tool_use_id"] in seen_uses  # answers follow their calls
    calls = [c for m in messages for c in m.get("tool_calls", [])]
    uses = [b for t in turns for b in t["content"] if b["type"] == "tool_use"]
    assert [(u["id"], u["input"]) for u in uses] == [
        (c["id"], json.loads(c["function"]["arguments"])) for c in calls]
    results = [b["content"] for t in turns for b in t["content"] if b["type"] == "tool_result"]
    assert results == [m["content"] for m in messages if m["role"] == "tool"]
    users = [b["text"] for t in turns if t["role"] == "user" for b in t["content"]
             if b["type"] == "text"]
    assert users == [m["content"] for m in messages if m["role"] == "user"]
