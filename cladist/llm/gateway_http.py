"""The gateway's HTTP layer: stdlib servers on a Unix socket or loopback TCP, one handler.

:func:`serve` starts a threaded HTTP/1.1 server (keep-alive) for one
:class:`~cladist.llm.session.GatewaySession` on a Unix socket path or on 127.0.0.1, routing
``POST /v1/chat/completions`` to the session and answering ``GET /v1/models`` and
``GET /health``. A ``stream: true`` request is answered once complete, as server-sent
events (one chunk), so streaming clients work. Whatever happens while handling a request,
the client gets an OpenAI-style answer; the server never dies of a request.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cladist.llm.session import GatewaySession, api_error

_MAX_BODY = 32 << 20


class _UnixHTTPServer(ThreadingHTTPServer):
    address_family = socket.AF_UNIX
    daemon_threads = True
    block_on_close = False

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", 0


class _TCPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class _Handler(BaseHTTPRequestHandler):
    session: GatewaySession
    protocol_version = "HTTP/1.1"
    server_version = "cladist-gateway"

    def setup(self) -> None:
        super().setup()
        if self.connection.family != socket.AF_UNIX:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        path = self.path.split("?")[0].rstrip("/")
        if path in ("/health", ""):
            self._send(200, {"status": "ok", "session": self.session.identity.session})
        elif path in ("/v1/models", "/models"):
            model = self.session.provider.model if self.session.provider else "replay"
            self._send(200, {"object": "list", "data": [{"id": model, "object": "model",
                                                         "owned_by": "cladist"}]})
        else:
            self._send(*api_error(404, f"no route GET {self.path}", "not_found_error"))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        if length > _MAX_BODY:
            self.close_connection = True
            self._send(*api_error(413, "request body too large", "invalid_request_error"))
            return
        raw = self.rfile.read(length)
        if self.path.split("?")[0].rstrip("/") not in ("/v1/chat/completions",
                                                       "/chat/completions"):
            self._send(*api_error(404, f"no route POST {self.path} (the cladist gateway "
                                  "serves /v1/chat/completions)", "not_found_error"))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(*api_error(400, "the request body is not valid JSON",
                                  "invalid_request_error", "invalid_json"))
            return
        stream = isinstance(body, dict) and bool(body.pop("stream", False))
        usage = stream and bool((body.get("stream_options") or {}).get("include_usage"))
        try:
            status, payload, headers = self.session.handle(body, len(raw))
        except Exception as exc:  # a gateway bug must not kill the server or hang the agent
            status, payload, headers = api_error(
                500, f"cladist gateway internal error: {exc!r}", "server_error")
        if stream and status == 200:
            self._send(status, payload, headers, sse=sse_events(payload, usage))
        else:
            self._send(status, payload, headers)

    def _send(self, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None, sse: bytes | None = None) -> None:
        data = sse if sse is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "text/event-stream" if sse is not None
                             else "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


def sse_events(completion: dict[str, Any], include_usage: bool) -> bytes:
    """A finished ``chat.completion`` as the server-sent events of a streamed one (one
    chunk with the whole message, one with the finish reason, the usage if asked, DONE)."""
    base = {k: completion.get(k) for k in ("id", "created", "model")}
    base["object"] = "chat.completion.chunk"
    choice = completion["choices"][0]
    message = choice["message"]
    delta: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
    if message.get("tool_calls"):
        delta["tool_calls"] = [{"index": i, **call}
                               for i, call in enumerate(message["tool_calls"])]
    chunks = [{**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
              {**base, "choices": [{"index": 0, "delta": {},
                                    "finish_reason": choice.get("finish_reason")}]}]
    if include_usage:
        chunks.append({**base, "choices": [], "usage": completion.get("usage")})
    lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()


def serve(session: GatewaySession, unix_path: str | None = None) -> ThreadingHTTPServer:
    """Serve ``session`` on the Unix socket ``unix_path`` (which must not exist), or on a
    free loopback TCP port when None, in a daemon thread. Raises OSError if it cannot bind."""
    handler = type("SessionHandler", (_Handler,), {"session": session})
    server: ThreadingHTTPServer
    if unix_path is not None:
        server = _UnixHTTPServer(unix_path, handler)  # type: ignore[arg-type]
    else:
        server = _TCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     name=f"cladist-gw-{session.identity.session}", daemon=True).start()
    return server
