"""A scripted LLM server for tests: real HTTP on loopback, OpenAI and Anthropic wire formats.

:class:`ScriptedLLMServer` answers ``POST /v1/chat/completions`` (OpenAI) and
``POST /v1/messages`` (Anthropic) from a per-test script of steps, in order: a
:class:`Reply` (text and/or tool calls, with usage) or a :class:`Fault` (429 with
Retry-After, 5xx, a stall past the client's timeout, malformed JSON, a reset connection,
auth and context-length errors). A step may also be a callable taking the request body and
returning a Reply or Fault. When the script runs out, ``default`` answers (by default an
echo of the last user message). Every request received is kept in ``requests``.
Point the OpenAI SDK at :attr:`openai_base_url`, the Anthropic SDK at :attr:`url`.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

FaultKind = Literal["rate_limit", "server_error", "stall", "malformed", "reset", "auth",
                    "context_length", "bad_request"]


@dataclass(frozen=True)
class Reply:
    """A successful answer. ``tool_calls`` items are ``(name, arguments dict)``."""

    content: str | None = "ok"
    tool_calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    input_tokens: int = 10
    output_tokens: int = 5
    cached_tokens: int = 0
    finish_reason: str | None = None


@dataclass(frozen=True)
class Fault:
    """A failure to inject: ``kind`` says which; ``status`` overrides the HTTP status of
    rate_limit/server_error; ``retry_after`` adds a Retry-After header (seconds);
    ``stall_s`` is how long a ``stall`` waits before answering."""

    kind: FaultKind
    status: int | None = None
    retry_after: float | None = None
    stall_s: float = 5.0


Step = Reply | Fault | Callable[[dict[str, Any]], "Reply | Fault"]


@dataclass
class Received:
    """One request the server got: wire is ``openai`` or ``anthropic``."""

    wire: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


def echo(body: dict[str, Any]) -> Reply:
    """The default answer: ``echo: <text of the last user message>``."""
    text = ""
    for msg in reversed(body.get("messages") or []):
        if msg.get("role") == "user":
            content = msg.get("content")
            text = content if isinstance(content, str) else " ".join(
                p.get("text", "") for p in content or [] if isinstance(p, dict))
            break
    return Reply(content=f"echo: {text}")


class ScriptedLLMServer:
    """The server; use as a context manager or call :meth:`start` / :meth:`stop`.

    ``api_key``: when set, requests must carry it (as a Bearer token, or in x-api-key for
    Anthropic) or get a 401.
    """

    def __init__(self, script: list[Step] | tuple[Step, ...] = (), *,
                 default: Callable[[dict[str, Any]], Reply | Fault] = echo,
                 api_key: str | None = None):
        self._script: deque[Step] = deque(script)
        self.default = default
        self.api_key = api_key
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> ScriptedLLMServer:
        """Bind a free loopback port and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"owner": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving (stalled handlers are abandoned, not awaited)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the Anthropic SDK's base_url)."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def openai_base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (the OpenAI SDK's base_url)."""
        return self.url + "/v1"

    # -- script -----------------------------------------------------------------------
    def push(self, *steps: Step) -> None:
        """Append steps to the script."""
        with self._lock:
            self._script.extend(steps)

    @property
    def remaining(self) -> int:
        """Steps not yet consumed."""
        with self._lock:
            return len(self._script)

    def _next(self, body: dict[str, Any]) -> Reply | Fault:
        with self._lock:
            step = self._script.popleft() if self._script else self.default
        return step(body) if callable(step) else step


class _Handler(BaseHTTPRequestHandler):
    owner: ScriptedLLMServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()  # headers and body go out in two writes: avoid Nagle's 40 ms stall
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})

    def do_POST(self) -> None:  # noqa: N802
        wire = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}.get(
            self.path.split("?")[0])
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = raw.decode(errors="replace")
        owner = self.owner
        with owner._lock:
            owner.requests.append(Received(wire or "unknown", self.path,
                                           {k.lower(): v for k, v in self.headers.items()}, body))
        if wire is None or not isinstance(body, dict):
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        if owner.api_key is not None and not self._authorized(wire, owner.api_key):
            self._error(wire, Fault("auth"))
            return
        step = owner._next(body)
        if isinstance(step, Fault):
            self._error(wire, step, body)
        elif wire == "openai":
            self._send(200, _openai_reply(step, body))
        else:
            self._send(200, _anthropic_reply(step, body))

    def _authorized(self, wire: str, key: str) -> bool:
        bearer = self.headers.get("authorization") == f"Bearer {key}"
        # Anthropic's API takes x-api-key; recent SDKs send the key as a Bearer token.
        return bearer or (wire == "anthropic" and self.headers.get("x-api-key") == key)

    def _error(self, wire: str, fault: Fault, body: dict[str, Any] | None = None) -> None:
        if fault.kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault.kind == "stall":
            time.sleep(fault.stall_s)
            self._send(200, _openai_reply(Reply("late"), body or {}) if wire == "openai"
                       else _anthropic_reply(Reply("late"), body or {}))
            return
        if fault.kind == "malformed":
            self._send(200, b'{"id": "broken", "choices": [', raw=True)
            return
        status, oa_type, an_type, message = {
            "rate_limit": (429, "rate_limit_exceeded", "rate_limit_error", "Rate limit reached"),
            "server_error": (500, "server_error", "api_error", "Internal server error"),
            "auth": (401, "invalid_api_key", "authentication_error", "invalid x-api-key"),
            "context_length": (400, "context_length_exceeded", "invalid_request_error",
                               "This model's maximum context length is 8192 tokens; "
                               "prompt is too long: 9000 tokens > 8192 maximum"),
            "bad_request": (400, "invalid_request_error", "invalid_request_error",
                            "Invalid request"),
        }[fault.kind]
        status = fault.status or status
        headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after else {}
        payload = ({"error": {"message": message, "type": oa_type, "param": None,
                              "code": oa_type}} if wire == "openai" else
                   {"type": "error", "error": {"type": an_type, "message": message}})
        self._send(status, payload, headers=headers)

    def _send(self, status: int, payload: Any, *, raw: bool = False,
              headers: dict[str, str] | None = None) -> None:
        data = payload if raw else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (a stall past its timeout)
            self.close_connection = True


def _finish(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _openai_reply(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
             "function": {"name": name, "arguments": json.dumps(args)}}
            for name, args in reply.tool_calls]
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "scripted"),
            "choices": [{"index": 0, "message": message, "finish_reason": _finish(reply),
                         "logprobs": None}],
            "usage": {"prompt_tokens": reply.input_tokens,
                      "completion_tokens": reply.output_tokens,
                      "total_tokens": reply.input_tokens + reply.output_tokens,
                      "prompt_tokens_details": {"cached_tokens": reply.cached_tokens}}}


def _anthropic_reply(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.content:
        content.append({"type": "text", "text": reply.content})
    for name, args in reply.tool_calls:
        content.append({"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:12]}",
                        "name": name, "input": args})
    stop = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}.get(
        _finish(reply), "end_turn")
    return {"id": f"msg_{uuid.uuid4().hex[:12]}", "type": "message", "role": "assistant",
            "model": body.get("model", "scripted"), "content": content, "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens - reply.cached_tokens,
                      "output_tokens": reply.output_tokens,
                      "cache_read_input_tokens": reply.cached_tokens,
                      "cache_creation_input_tokens": 0}}
