"""The bounds of a gateway session's HTTP server: connections, threads, time and bytes.

The agent controls every byte it sends to its gateway socket, so a session's server never
lets it grow the host's threads, memory or time without bound:

- at most ``max_connections`` connections are served at once, one thread each; later ones
  wait (one accepted, the rest in the kernel's bounded listen backlog) until a slot frees,
  so the server has at most ``max_connections + 1`` threads whatever the agent opens;
- a connection must deliver each whole request (request line, headers, body) within
  ``request_timeout_s`` of being accepted or of its previous answer, and take each answer
  within as long: a late one is shut down (idle keep-alive and slowloris alike; a partial
  request gets a 408 first);
- the request line and headers together hold at most ``max_header_bytes``, a body at most
  ``max_body_bytes`` and JSON nested at most :data:`MAX_NESTING` deep (the HTTP layer
  refuses the rest, see :mod:`cladist.llm.gateway_http`).

:class:`Deadlines` tracks the connections and their deadlines; :class:`BoundedServerMixin`
gives a ``ThreadingHTTPServer`` the connection cap and enforces the deadlines from the
server's own loop (no extra thread).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

MAX_NESTING = 100
"""Deepest JSON nesting of a request body (tool schemas nest; nothing sane nests 100, and
the recorder's hashing recurses)."""
_SLOT_POLL_S = 0.1  # how often a connection waiting for a slot re-checks the deadlines


@dataclass(frozen=True)
class HTTPLimits:
    """The bounds of one session's HTTP server (see the module docstring). Raises
    ValueError for a limit that is not positive (or headers under 1 KiB)."""

    max_connections: int = 32
    request_timeout_s: float = 60.0
    max_header_bytes: int = 64 << 10
    max_body_bytes: int = 8 << 20

    def __post_init__(self) -> None:
        if self.max_connections < 1 or self.request_timeout_s <= 0 \
                or self.max_header_bytes < 1024 or self.max_body_bytes < 1:
            raise ValueError(f"{self}: every limit must be positive (headers >= 1024 bytes)")


class Deadlines:
    """The live connections of a server and, for those waiting on their client (reading a
    request or writing an answer), the time by which it must be done. Thread-safe."""

    def __init__(self) -> None:
        self._live: dict[socket.socket, tuple[float, bool] | None] = {}
        self._late: set[socket.socket] = set()
        self._lock = threading.Lock()

    def add(self, conn: socket.socket) -> None:
        """Track a new connection (no deadline yet)."""
        with self._lock:
            self._live[conn] = None

    def arm(self, conn: socket.socket, seconds: float, *, writing: bool = False) -> None:
        """``conn`` waits on its client for at most ``seconds`` from now."""
        with self._lock:
            if conn in self._live:
                self._live[conn] = (time.monotonic() + seconds, writing)

    def disarm(self, conn: socket.socket) -> None:
        """``conn`` no longer waits on its client (the gateway is working on a request)."""
        with self._lock:
            if conn in self._live:
                self._live[conn] = None

    def late(self, conn: socket.socket) -> bool:
        """True once ``conn`` has been shut down for missing a deadline."""
        with self._lock:
            return conn in self._late

    def forget(self, conn: socket.socket) -> None:
        """Stop tracking a finished connection."""
        with self._lock:
            self._live.pop(conn, None)
            self._late.discard(conn)

    def expire(self, now: float | None = None) -> None:
        """Shut down every connection past its deadline: reading ones for reading only (so
        a 408 can still be written), writing ones both ways (a blocked write returns)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            late = [(c, due[1]) for c, due in self._live.items()
                    if due is not None and due[0] <= now]
            for conn, _ in late:
                self._live[conn] = None
                self._late.add(conn)
        for conn, writing in late:
            _shutdown(conn, socket.SHUT_RDWR if writing else socket.SHUT_RD)

    def close_all(self) -> None:
        """Shut down every live connection (the server is closing)."""
        with self._lock:
            live = list(self._live)
        for conn in live:
            _shutdown(conn, socket.SHUT_RDWR)


def _shutdown(conn: socket.socket, how: int) -> None:
    try:
        conn.shutdown(how)
    except OSError:  # already closed by either side
        pass


class BoundedServerMixin:
    """Mixed into a ``ThreadingHTTPServer`` (before it): one thread per connection up to
    ``limits.max_connections``; past it the accept loop waits for a slot (enforcing the
    deadlines meanwhile, so held slots do free), and later connections wait in the
    kernel's listen backlog (``request_queue_size``; a client connecting past that is
    told EAGAIN by the kernel)."""

    limits: HTTPLimits
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def setup_bounds(self, limits: HTTPLimits) -> None:
        """Set the limits (call once, before serving)."""
        self.limits = limits
        self.deadlines = Deadlines()
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self._closing = False

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve ``request`` in a new thread once a slot is free."""
        while not self._slots.acquire(timeout=_SLOT_POLL_S):
            self.deadlines.expire()
            if self._closing:
                self.shutdown_request(request)  # type: ignore[attr-defined]
                return
        self.deadlines.add(request)
        try:
            threading.Thread(target=self._serve, args=(request, client_address),
                             name="cladist-gw-conn", daemon=True).start()
        except RuntimeError:  # the process cannot start a thread: drop it, keep serving
            self.deadlines.forget(request)
            self._slots.release()
            self.shutdown_request(request)  # type: ignore[attr-defined]

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)  # type: ignore[attr-defined]
        finally:
            self.deadlines.forget(request)
            self._slots.release()

    def service_actions(self) -> None:
        """Called by ``serve_forever`` every poll interval: enforce the deadlines."""
        self.deadlines.expire()

    def begin_closing(self) -> None:
        """Stop waiting for slots (call before ``shutdown()``)."""
        self._closing = True

    def close_connections(self) -> None:
        """Shut down every connection still open (after ``shutdown()``)."""
        self.deadlines.close_all()


class CappedReader:
    """A handler's ``rfile``: ``readline`` (the request line and headers) stops at a byte
    budget set by :meth:`allow`, raising ``http.client.LineTooLong`` past it, and keeps the
    ``last_line`` read (an empty line: the headers ended); ``read`` (the body, whose length
    is checked beforehand) is unchanged."""

    def __init__(self, raw: Any):
        self._raw = raw
        self._left = 0
        self._cap = 0
        self.last_line = b""

    def allow(self, cap: int) -> None:
        """Start a new request: at most ``cap`` bytes of request line and headers."""
        self._left = self._cap = cap

    def readline(self, limit: int | None = -1) -> bytes:
        """One line, within the budget. Raises http.client.LineTooLong past it."""
        if self._left <= 0:
            raise http.client.LineTooLong(f"request line and headers over {self._cap} bytes")
        want = self._left + 1 if limit is None or limit < 0 else min(limit, self._left + 1)
        line = self.last_line = self._raw.readline(want)
        self._left -= len(line)
        if self._left < 0:
            raise http.client.LineTooLong(f"request line and headers over {self._cap} bytes")
        return line

    def read(self, size: int = -1) -> bytes:
        """Body bytes (at most ``size``; fewer when the client stopped sending)."""
        return self._raw.read(size)

    def close(self) -> None:
        """Close the underlying file."""
        self._raw.close()


def json_nesting(value: Any) -> int:
    """How deeply ``value`` (decoded JSON) nests lists and objects, found without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in
                         (item.values() if isinstance(item, dict) else item))
    return deepest
