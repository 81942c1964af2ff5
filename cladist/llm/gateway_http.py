"""The gateway's HTTP layer: stdlib servers on a Unix socket or loopback TCP, one handler.

:func:`serve` starts a threaded HTTP/1.1 server (keep-alive) for one
:class:`~cladist.llm.session.GatewaySession` on a Unix socket path or on 127.0.0.1, routing
``POST /v1/chat/completions`` to the session and answering ``GET /v1/models`` and
``GET /health``. A ``stream: true`` request is answered once complete, as server-sent events
(one chunk), so streaming clients work. Whatever happens while handling a request, the
client gets an OpenAI-style answer; the server never dies of a request.

The server is bounded by :class:`~cladist.llm.gateway_limits.HTTPLimits` (connections,
threads, deadlines, header and body bytes). Framing is strict, since the agent writes it: a
POST needs exactly one ``Content-Length`` of decimal digits (missing: 411; negative,
non-numeric, duplicated or conflicting: 400; over the body cap: 413) and
``Transfer-Encoding`` is refused (411); a body must be JSON nested at most
:data:`~cladist.llm.gateway_limits.MAX_NESTING` deep (400). Every such refusal, like every
error http.server itself answers, closes the connection and is noted on the session with a
bounded prefix of what was received (:meth:`~cladist.llm.session.GatewaySession.rejected`).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cladist.llm.api_errors import api_error
from cladist.llm.gateway_limits import (
    MAX_NESTING,
    BoundedServerMixin,
    CappedReader,
    HTTPLimits,
    json_nesting,
)
from cladist.llm.recording import RECORDED_PREFIX
from cladist.llm.session import GatewaySession

_DIGITS = re.compile(r"[0-9]{1,15}")
_ROUTES = ("/v1/chat/completions", "/chat/completions")
_PREFIX_WAIT_S = 0.5  # how long a refused oversized body may take to show its prefix


class _UnixHTTPServer(BoundedServerMixin, ThreadingHTTPServer):
    address_family = socket.AF_UNIX

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", 0


class _TCPServer(BoundedServerMixin, ThreadingHTTPServer):
    pass


class _Handler(BaseHTTPRequestHandler):
    session: GatewaySession
    server: _UnixHTTPServer | _TCPServer
    protocol_version = "HTTP/1.1"
    server_version = "cladist-gateway"

    def setup(self) -> None:
        super().setup()
        self.rfile = CappedReader(self.rfile)  # type: ignore[assignment]
        if self.connection.family != socket.AF_UNIX:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    # -- one request: deadlines and caps around http.server's parsing ------------------
    def handle_one_request(self) -> None:
        limits, deadlines = self.server.limits, self.server.deadlines
        self.rfile.allow(limits.max_header_bytes)  # type: ignore[attr-defined]
        deadlines.arm(self.connection, limits.request_timeout_s)
        # A refusal before parsing must find these set (and not the previous request's).
        self.command, self.request_version, self.requestline = "", "", ""
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True  # closed, or idle past the deadline
                return
            # Past the deadline, a request that did arrive whole is still served (then the
            # connection closes): one sent as an idle deadline struck is not the agent's fault.
            if deadlines.late(self.connection) and not self.raw_requestline.endswith(b"\n"):
                self._timed_out(self.raw_requestline)
                return
            if not self.parse_request():  # it answered (through send_error)
                return
            if deadlines.late(self.connection):
                self.close_connection = True
                if self.rfile.last_line not in (b"\r\n", b"\n"):  # type: ignore[attr-defined]
                    self._timed_out(self.raw_requestline)
                    return
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(501, f"method {self.command!r} is not served")
                return
            method()
            self.wfile.flush()
        except http.client.LineTooLong as exc:  # the request line alone is over the cap
            self.send_error(431, str(exc))
        except OSError:  # the client went away, or was shut down past a deadline
            self.close_connection = True
        except Exception as exc:  # a gateway bug must not kill the server or hang the agent
            self._reject(500, "internal_error", f"cladist gateway internal error: {exc!r}",
                         b"")

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """http.server's own refusals, as OpenAI-style errors that close the connection."""
        what = ": ".join(str(x) for x in (message or code, explain) if x)
        self._reject(code, f"http_{code}", f"cladist gateway: {what}",
                     getattr(self, "raw_requestline", b""))

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass

    def _timed_out(self, received: bytes) -> None:
        self._reject(408, "request_timeout", "cladist gateway: the request did not arrive "
                     f"within {self.server.limits.request_timeout_s:g} s", received)

    def _reject(self, status: int, reason: str, message: str, received: bytes,
                size: int | None = None) -> None:
        self.close_connection = True
        self.session.rejected(status, reason, size, received)
        kind = "server_error" if status >= 500 else "invalid_request_error"
        self._send(*api_error(status, message, kind, reason, {"connection": "close"}))

    # -- routes ------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.server.deadlines.disarm(self.connection)
        if self.headers.get("content-length", "0").strip() != "0" or \
                "transfer-encoding" in self.headers:
            self.close_connection = True  # a body we do not read must not be a next request
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
        length = self._content_length()
        if length is None:
            return
        raw = self.rfile.read(length)
        if len(raw) < length:
            if self.server.deadlines.late(self.connection):
                self._timed_out(raw[:RECORDED_PREFIX])
            else:  # the client stopped sending: nobody to answer
                self.close_connection = True
                self.session.rejected(400, "incomplete_body", length, raw[:RECORDED_PREFIX])
            return
        if self.server.deadlines.late(self.connection):
            self.close_connection = True  # whole, so served; but this connection is done
        self.server.deadlines.disarm(self.connection)
        if self.path.split("?")[0].rstrip("/") not in _ROUTES:
            self._send(*api_error(404, f"no route POST {self.path} (the cladist gateway "
                                  "serves /v1/chat/completions)", "not_found_error"))
            return
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested past Python's stack
            self.session.rejected(400, "invalid_json", length, raw[:RECORDED_PREFIX])
            self._send(*api_error(400, "the request body is not valid JSON",
                                  "invalid_request_error", "invalid_json"))
            return
        if json_nesting(body) > MAX_NESTING:  # the recording's hashing recurses: keep it sane
            self.session.rejected(400, "too_deep", length, raw[:RECORDED_PREFIX])
            self._send(*api_error(400, f"the request body nests JSON deeper than "
                                  f"{MAX_NESTING} levels", "invalid_request_error", "too_deep"))
            return
        if not isinstance(body, dict):
            self.session.rejected(400, "not_an_object", length, raw[:RECORDED_PREFIX])
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

    def _content_length(self) -> int | None:
        """The body's length, or None after refusing a request whose framing is not one
        plain Content-Length within the cap."""
        values = self.headers.get_all("content-length") or []
        head = self.raw_requestline
        if "transfer-encoding" in self.headers:
            self._reject(411, "transfer_encoding", "cladist gateway: Transfer-Encoding is not "
                         "supported; send the body with one Content-Length header", head)
            return None
        if not values:
            self._reject(411, "length_required", "cladist gateway: a POST needs a "
                         "Content-Length header", head)
            return None
        if len(values) > 1:
            self._reject(400, "bad_content_length", "cladist gateway: more than one "
                         f"Content-Length header ({', '.join(map(repr, values))})", head)
            return None
        value = values[0].strip()
        if not _DIGITS.fullmatch(value):
            self._reject(400, "bad_content_length", f"cladist gateway: Content-Length "
                         f"{value[:40]!r} is not a decimal number of bytes", head)
            return None
        length, cap = int(value), self.server.limits.max_body_bytes
        if length > cap:  # note what arrives of it within a short wait, and refuse
            self.server.deadlines.arm(self.connection, min(
                _PREFIX_WAIT_S, self.server.limits.request_timeout_s))
            prefix = self.rfile.read(min(length, RECORDED_PREFIX))
            self._reject(413, "body_too_large", f"cladist gateway: the request body has "
                         f"{length} bytes; at most {cap} are accepted", prefix, length)
            return None
        return length

    def _send(self, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None, sse: bytes | None = None) -> None:
        data = sse if sse is not None else json.dumps(payload).encode()
        deadlines = self.server.deadlines
        deadlines.arm(self.connection, self.server.limits.request_timeout_s, writing=True)
        try:
            self.send_response(status)
            self.send_header("content-type", "text/event-stream" if sse is not None
                             else "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        finally:
            deadlines.disarm(self.connection)


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


def serve(session: GatewaySession, unix_path: str | None = None,
          limits: HTTPLimits | None = None) -> ThreadingHTTPServer:
    """Serve ``session`` on the Unix socket ``unix_path`` (which must not exist), or on a
    free loopback TCP port when None, in a daemon thread, within ``limits`` (default
    :class:`HTTPLimits`). Close it with :func:`stop`. Raises OSError if it cannot bind."""
    handler = type("SessionHandler", (_Handler,), {"session": session})
    server: _UnixHTTPServer | _TCPServer
    if unix_path is not None:
        server = _UnixHTTPServer(unix_path, handler)  # type: ignore[arg-type]
    else:
        server = _TCPServer(("127.0.0.1", 0), handler)
    server.setup_bounds(limits or HTTPLimits())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     name=f"cladist-gw-{session.identity.session}", daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer) -> None:
    """Stop serving, close the listening socket and shut down every open connection (an
    agent holding a connection cannot use the session after it is closed)."""
    if isinstance(server, BoundedServerMixin):
        server.begin_closing()
    server.shutdown()
    server.server_close()
    if isinstance(server, BoundedServerMixin):
        server.close_connections()
