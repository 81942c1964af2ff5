"""Translation between the OpenAI chat shape and the Anthropic Messages API, both ways.

OpenAI -> Anthropic (:func:`to_anthropic`): system and developer messages become the
``system`` parameter; assistant ``tool_calls`` become ``tool_use`` blocks; ``tool`` messages
become ``tool_result`` blocks in a user turn; consecutive turns of one role are merged
(Anthropic wants alternation); tool definitions get ``input_schema``; ``max_tokens`` is the
smallest of ``max_tokens`` and ``max_completion_tokens`` (the default when neither);
``tool_choice``, ``stop``, ``parallel_tool_calls`` and ``reasoning_effort`` are mapped (the
Messages API has no ``temperature``/``top_p``: they are dropped). Anthropic -> OpenAI
(:func:`from_anthropic`): text blocks join into ``content``, ``tool_use`` blocks become
``tool_calls`` with JSON arguments, ``stop_reason`` maps to ``finish_reason``, cache reads
count as cached input. Raises ValueError for a message it cannot translate (an unknown
role).
"""

from __future__ import annotations

import json
from typing import Any

from cladist.llm.base import parse_arguments
from cladist.llm.contracts import ChatRequest, ToolCall, Usage, output_token_limit

FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
          "tool_use": "tool_calls", "pause_turn": "stop", "refusal": "content_filter",
          "model_context_window_exceeded": "length"}


def to_anthropic(request: ChatRequest, default_max_tokens: int) -> dict[str, Any]:
    """The ``messages.create`` keyword arguments (without ``model``) for ``request``."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for msg in request.messages:
        role = msg.get("role")
        if role in ("system", "developer"):
            system.append(_text_of(msg.get("content")))
        elif role == "user":
            _append(turns, "user", _user_blocks(msg.get("content")))
        elif role == "assistant":
            _append(turns, "assistant", _assistant_blocks(msg))
        elif role == "tool":
            _append(turns, "user", [{"type": "tool_result",
                                     "tool_use_id": str(msg.get("tool_call_id", "")),
                                     "content": _tool_result_content(msg.get("content"))}])
        else:
            raise ValueError(f"message role {role!r} is not supported")
    p = request.params
    # Whichever of max_tokens / max_completion_tokens was used, the smallest one asked.
    kwargs: dict[str, Any] = {"messages": turns,
                              "max_tokens": output_token_limit(p, default_max_tokens)}
    if system:
        kwargs["system"] = "\n\n".join(s for s in system if s)
    # The Messages API of the installed SDK has no sampling parameters: temperature and
    # top_p are dropped; reasoning_effort maps to output_config.effort.
    effort = p.get("reasoning_effort")
    if effort in ("low", "medium", "high", "xhigh", "max"):
        kwargs["output_config"] = {"effort": effort}
    if p.get("stop"):
        kwargs["stop_sequences"] = [p["stop"]] if isinstance(p["stop"], str) else list(p["stop"])
    if request.tools:
        kwargs["tools"] = [_tool(t) for t in request.tools]
        choice = _tool_choice(p.get("tool_choice"), p.get("parallel_tool_calls"))
        if choice is not None:
            kwargs["tool_choice"] = choice
    return kwargs


def from_anthropic(message: Any) -> tuple[str | None, list[ToolCall], str, Usage]:
    """(content, tool calls, finish reason, usage) of an Anthropic ``Message``."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in message.content or []:
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(block.text)
        elif kind == "tool_use":
            calls.append(ToolCall(id=block.id, name=block.name,
                                  arguments=json.dumps(block.input or {})))
    finish = FINISH.get(message.stop_reason or "end_turn", "stop")
    u = message.usage
    read = getattr(u, "cache_read_input_tokens", None) or 0
    written = getattr(u, "cache_creation_input_tokens", None) or 0
    usage = Usage(input_tokens=(u.input_tokens or 0) + read + written,
                  output_tokens=u.output_tokens or 0, cached_tokens=read)
    return ("".join(texts) if texts else None), calls, finish, usage


def _append(turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content
                     if isinstance(part, dict) and part.get("type") in ("text", None))


def _user_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str) or content is None:
        return [{"type": "text", "text": content or ""}]
    blocks = []
    for part in content:
        if part.get("type") == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif part.get("type") == "image_url":
            blocks.append(_image(part["image_url"]["url"]))
    return blocks or [{"type": "text", "text": ""}]


def _image(url: str) -> dict[str, Any]:
    if url.startswith("data:") and ";base64," in url:
        media, data = url[5:].split(";base64,", 1)
        return {"type": "image", "source": {"type": "base64", "media_type": media,
                                            "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _assistant_blocks(msg: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    text = _text_of(msg.get("content"))
    if text:
        blocks.append({"type": "text", "text": text})
    for call in msg.get("tool_calls") or []:
        fn = call.get("function", {})
        blocks.append({"type": "tool_use", "id": call.get("id", ""), "name": fn.get("name", ""),
                       "input": parse_arguments(fn.get("arguments") or "")})
    return blocks or [{"type": "text", "text": ""}]


def _tool_result_content(content: Any) -> str | list[dict[str, Any]]:
    if isinstance(content, list):
        return [{"type": "text", "text": p.get("text", "")} for p in content
                if isinstance(p, dict) and p.get("type") == "text"]
    return "" if content is None else str(content)


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    fn = tool.get("function", tool)
    out: dict[str, Any] = {"name": fn["name"],
                           "input_schema": fn.get("parameters") or {"type": "object",
                                                                    "properties": {}}}
    if fn.get("description"):
        out["description"] = fn["description"]
    return out


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    if choice is None and parallel is None:
        return None
    if choice in (None, "auto"):
        out: dict[str, Any] = {"type": "auto"}
    elif choice == "none":
        return {"type": "none"}
    elif choice == "required":
        out = {"type": "any"}
    elif isinstance(choice, dict):
        out = {"type": "tool", "name": choice.get("function", {}).get("name", "")}
    else:
        raise ValueError(f"tool_choice {choice!r} is not supported")
    if parallel is False:
        out["disable_parallel_tool_use"] = True
    return out
