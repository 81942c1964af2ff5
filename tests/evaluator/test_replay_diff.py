"""How a replay says what differed: the first divergence a Replay keeps, and the one-line
description of a request against its recording (no Docker)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cladist.evaluator.replay_diff import describe_difference
from cladist.llm.recording import Replay, ReplayDivergence, request_hash


def _request(*contents: str, **params: Any) -> dict[str, Any]:
    return {"model": "default", "messages": [{"role": "user", "content": c} for c in contents],
            **params}


def _exchange(request: dict[str, Any]) -> dict[str, Any]:
    return {"request": request, "request_hash": request_hash(request), "status": 200,
            "response": {"choices": []}}


def test_replay_keeps_its_first_divergence_with_the_request() -> None:
    first, second = _request("a"), _request("b")
    player = Replay([_exchange(first), _exchange(second)], "s")
    assert player.answer(first)[0] == 0 and player.divergence is None
    other = _request("c")
    with pytest.raises(ReplayDivergence) as caught:
        player.answer(other)
    assert caught.value.step == 1 and caught.value.request == other
    with pytest.raises(ReplayDivergence):
        player.answer(second)  # once broken, always broken
    assert player.divergence is caught.value and player.served == 3 and not player.finished


def test_a_request_past_the_recording_diverges() -> None:
    player = Replay([_exchange(_request("a"))], "s")
    player.answer(_request("a"))
    with pytest.raises(ReplayDivergence):
        player.answer(_request("more"))
    assert player.divergence is not None and player.divergence.step == 1


def test_describes_the_first_differing_message_text() -> None:
    recorded = _exchange(_request("same", "the quick brown fox"))
    said = describe_difference(recorded, _request("same", "the quick red fox"))
    assert said.startswith("messages[1].content: from character 10")
    assert "brown fox" in said and "red fox" in said


def test_looks_inside_json_tool_arguments() -> None:
    def with_call(content: str) -> dict[str, Any]:
        body = _request("x")
        body["messages"].append({"role": "assistant", "content": None, "tool_calls": [{
            "id": "c1", "type": "function", "function": {
                "name": "create", "arguments": json.dumps({"path": "a.py",
                                                           "content": content})}}]})
        return body
    said = describe_difference(_exchange(with_call("return 0\n")), with_call("return 1\n"))
    assert said.startswith("messages[1].tool_calls[0].function.arguments.content:")
    assert "return 0" in said and "return 1" in said


def test_describes_fields_lengths_and_an_edited_hash() -> None:
    assert describe_difference(_exchange(_request("a", temperature=0)),
                               _request("a", temperature=0.5)) == (
        "temperature: recorded 0, now 0.5")
    assert "number of items" in describe_difference(_exchange(_request("a")),
                                                    _request("a", "b"))
    edited = {**_exchange(_request("a")), "request_hash": "0" * 64}
    assert "request_hash does not match" in describe_difference(edited, _request("a"))
    assert "does not have" in describe_difference(None, _request("a"))
    assert "already diverged" in describe_difference(_exchange(_request("a")), None)
