"""The Provider contract: chat completions with tool calls, in the OpenAI message shape.

Every provider (``openai``, ``anthropic``, ``local``) takes a :class:`ChatRequest` whose
messages, tools and tool calls are in the OpenAI chat-completions shape (the lingua franca of
cladist, of the gateway and of the agents), and returns a :class:`ChatResult` with the reply,
the tokens, the dollars and the latency. Provider failures are :class:`LLMError` subclasses:

- :class:`ProviderAuthError` (a missing or rejected key: the user fixes it; fails fast),
- :class:`ContextLengthError` (the prompt does not fit: diagnosis treats it as a meta-problem),
- :class:`ProviderRequestError` (any other refusal of the request, never retried),
- :class:`ProviderUnavailableError` (429, 5xx, timeouts, dropped connections or malformed
  replies that outlived the bounded retries).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cladist.errors import CladistError

Message = dict[str, Any]
"""One OpenAI-shaped chat message: ``{"role": ..., "content": ..., "tool_calls": ...}``."""


OUTPUT_TOKEN_FIELDS = ("max_tokens", "max_completion_tokens")
"""The chat-completions fields that bound a reply's length (the older and the newer name)."""


def output_token_limit(params: dict[str, Any], default: int) -> int:
    """The output cap ``params`` ask for: the smallest positive integer among its
    :data:`OUTPUT_TOKEN_FIELDS` (whichever the caller used), else ``default``."""
    asked = [v for k in OUTPUT_TOKEN_FIELDS if isinstance(v := params.get(k), int)
             and not isinstance(v, bool) and v >= 1]
    return min(asked) if asked else default


def checked_output_limit(body: dict[str, Any], default: int) -> int:
    """:func:`output_token_limit` of an untrusted request body, strictly: raises ValueError
    for an output-length field that is not a positive integer, and for ``n`` other than 1
    (one call is one choice; more would multiply the output past what was budgeted)."""
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or n != 1):
        raise ValueError(f"'n' is {n!r}: the cladist gateway answers one choice per call "
                         "(n=1); ask again for another answer")
    asked = []
    for key in OUTPUT_TOKEN_FIELDS:
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"'{key}' is {value!r}: it must be a positive integer")
        asked.append(value)
    return min(asked) if asked else default


@dataclass(frozen=True)
class ChatRequest:
    """What to ask: OpenAI-shaped messages, optional tool definitions and sampling params.

    ``params`` holds the other chat-completions fields (``temperature``, ``max_tokens``,
    ``tool_choice``, ``stop``, ``top_p``, ``parallel_tool_calls``...); a provider passes on
    those it supports and ignores the rest.
    """

    messages: list[Message]
    tools: list[dict[str, Any]] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def with_output_cap(self, cap: int) -> ChatRequest:
        """This request asking at most ``cap`` output tokens, in one field: the one it used
        (``max_completion_tokens`` when it used that name, else ``max_tokens``)."""
        params = {k: v for k, v in self.params.items() if k not in OUTPUT_TOKEN_FIELDS}
        key = "max_completion_tokens" if "max_completion_tokens" in self.params else "max_tokens"
        params[key] = min(cap, output_token_limit(self.params, cap))
        return ChatRequest(self.messages, self.tools, params)

    @classmethod
    def from_openai(cls, body: dict[str, Any]) -> ChatRequest:
        """Build a request from an OpenAI chat-completions request body (``model`` and
        ``stream`` are dropped: the gateway decides both). Raises ValueError when
        ``messages`` is not a non-empty list of objects."""
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) for m in messages):
            raise ValueError("'messages' must be a non-empty list of message objects")
        tools = body.get("tools") or None
        if tools is not None and not isinstance(tools, list):
            raise ValueError("'tools' must be a list of tool definitions")
        params = {k: v for k, v in body.items()
                  if k not in ("messages", "tools", "model", "stream", "stream_options")
                  and v is not None}
        return cls(messages=messages, tools=tools, params=params)


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asks for; ``arguments`` is the JSON text it produced."""

    id: str
    name: str
    arguments: str

    def to_openai(self) -> dict[str, Any]:
        """The call in the OpenAI ``tool_calls`` item shape."""
        return {"id": self.id, "type": "function",
                "function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True)
class Usage:
    """Tokens of one call. ``input_tokens`` counts the whole prompt, cached part included;
    ``cached_tokens`` is the part read from the provider's prompt cache."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def to_openai(self) -> dict[str, Any]:
        """The usage in the OpenAI ``usage`` shape."""
        return {"prompt_tokens": self.input_tokens, "completion_tokens": self.output_tokens,
                "total_tokens": self.total,
                "prompt_tokens_details": {"cached_tokens": self.cached_tokens}}


@dataclass(frozen=True)
class ChatResult:
    """The reply to one :class:`ChatRequest`, with its metering.

    ``finish_reason`` uses the OpenAI vocabulary (stop, length, tool_calls, content_filter);
    ``latency_s`` covers every attempt and the waits between them; ``attempts`` counts them.
    """

    content: str | None
    tool_calls: list[ToolCall]
    finish_reason: str
    usage: Usage
    cost_usd: float
    latency_s: float
    model: str
    provider: str
    attempts: int = 1

    def message(self) -> Message:
        """The assistant message in the OpenAI shape (ready to append to a conversation)."""
        msg: Message = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = [c.to_openai() for c in self.tool_calls]
        return msg

    def to_openai(self) -> dict[str, Any]:
        """The whole reply as an OpenAI ``chat.completion`` object."""
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion",
                "created": int(time.time()), "model": self.model,
                "choices": [{"index": 0, "message": self.message(),
                             "finish_reason": self.finish_reason, "logprobs": None}],
                "usage": self.usage.to_openai()}


@runtime_checkable
class Provider(Protocol):
    """A chat-completions backend. ``name`` is the provider kind, ``model`` the model sent.

    ``chat`` retries transient failures itself (bounded in count and time) and raises
    ProviderAuthError, ContextLengthError, ProviderRequestError or
    ProviderUnavailableError. ``close`` releases connections and any server it started.
    """

    name: str
    model: str

    def chat(self, request: ChatRequest) -> ChatResult:
        """Ask the model; see the class docstring for what it raises."""
        ...

    def close(self) -> None:
        """Release the provider's resources; safe to call twice."""
        ...


class LLMError(CladistError):
    """A provider call failed. ``status`` is the HTTP status when there was one; ``kind``
    is a short stable name used in recordings and in the gateway's API errors. The message
    is one line, fit for the CLI."""

    kind = "provider_error"

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class ProviderAuthError(LLMError):
    """The key is missing or was rejected; the message names the environment variable."""

    kind = "auth_error"


class ContextLengthError(LLMError):
    """The conversation is longer than the model's context window."""

    kind = "context_length_exceeded"


class ProviderRequestError(LLMError):
    """The provider refused the request (a 4xx other than auth, rate limit, context)."""

    kind = "invalid_request"


class ProviderUnavailableError(LLMError):
    """Transient failures (429, 5xx, timeouts, dropped connections, malformed replies)
    went on past the retry bounds; the message says how many attempts and the last one."""

    kind = "provider_unavailable"


class TransientError(LLMError):
    """One attempt failed in a way worth retrying; ``retry_after`` is the server's hint in
    seconds. Providers raise it internally; callers see ProviderUnavailableError."""

    kind = "transient"

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message, status=status)
        self.retry_after = retry_after
