"""The gateway: the host-side OpenAI-compatible endpoint that sandboxes talk to.

A :class:`Gateway` holds the provider (so the keys stay on the host), the budget ledger and
the recorder. :meth:`Gateway.open_session` starts one HTTP server per sandbox session on its
own Unix socket (plus loopback TCP when asked), speaking ``POST /v1/chat/completions``
(tools included), ``GET /v1/models`` and ``GET /health``. The socket's identity is the
session's identity: a sandbox that only has that socket can only spend that session's
budget. Each session's server is bounded (connections, threads, deadlines, header and body
bytes: :class:`~cladist.llm.gateway_limits.HTTPLimits`). Exchanges are written by one
background thread, off the request path, through a bounded queue (a flood of requests waits
for the writer rather than filling the host's memory); :meth:`Gateway.flush` and
:meth:`Gateway.close` wait for them.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cladist import scratch
from cladist.errors import ConfigError, UsageError
from cladist.llm.budgets import Budgets, Ledger
from cladist.llm.gateway_http import serve, stop
from cladist.llm.gateway_limits import HTTPLimits
from cladist.llm.identity import SessionIdentity, SessionUsage
from cladist.llm.pricing import PriceTable
from cladist.llm.recording import (
    FolderSink,
    Replay,
    RunSink,
    Sink,
    load_session,
    request_hash,
)
from cladist.llm.session import GatewaySession

if TYPE_CHECKING:
    from cladist.archive.run import Run
    from cladist.llm.contracts import Provider

PURPOSES = ("diagnosis", "self-edit", "evaluation")
_SUN_PATH_MAX = 107
_QUEUE_SIZE = 1024  # exchanges and events waiting for the writer


@dataclass
class OpenSession:
    """A served session: its socket (and TCP URL when asked); close it when done."""

    session: GatewaySession
    socket_path: Path
    tcp_url: str | None
    _servers: list[ThreadingHTTPServer]
    _own_dir: Path | None

    @property
    def identity(self) -> SessionIdentity:
        """Who the session serves."""
        return self.session.identity

    @property
    def usage(self) -> SessionUsage:
        """What the session spent so far (still readable after close)."""
        return self.session.usage

    def provider_down(self) -> str | None:
        """Why this session's work is lost to a provider that is down, or None (see
        :meth:`GatewaySession.provider_down`; usable after close, while the gateway is
        open)."""
        return self.session.provider_down()

    def close(self) -> None:
        """Stop serving and remove the socket file; safe to call twice."""
        for server in self._servers:
            stop(server)
        if self._servers:
            self.session.close()
        self._servers.clear()
        self.socket_path.unlink(missing_ok=True)
        if self._own_dir is not None:
            try:
                self._own_dir.rmdir()
            except OSError:
                pass

    def __enter__(self) -> OpenSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Gateway:
    """The host side of the LLM path. ``run`` (a Run) or ``folder`` says where exchanges
    are recorded (the run folder, else that folder, else a new temporary folder);
    ``http_limits`` bounds each session's server (default :class:`HTTPLimits`).

    Raises ConfigError when dollar budgets are asked for a model with no price.
    """

    def __init__(self, provider: Provider | None, *, run: Run | None = None,
                 folder: Path | None = None, budgets: Budgets | None = None,
                 prices: PriceTable | None = None, default_max_tokens: int = 1024,
                 http_limits: HTTPLimits | None = None):
        self.provider = provider
        self.budgets = budgets or Budgets()
        self.prices = prices or PriceTable()
        self.default_max_tokens = default_max_tokens
        self.http_limits = http_limits or HTTPLimits()
        self.ledger = Ledger()
        self.run = run
        self.sink: Sink = RunSink(run) if run is not None else FolderSink(
            folder or Path(tempfile.mkdtemp(prefix="cladist-llm-")))
        if run is not None:
            totals = run.store.totals()
            self.ledger.seed("run", run.id, int(totals["llm_tokens"]),
                             float(totals["llm_cost_usd"]))
        self._check_prices(self.budgets)
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(_QUEUE_SIZE)
        self._writer = threading.Thread(target=self._write_loop, name="cladist-llm-recorder",
                                        daemon=True)
        self._writer.start()
        self.write_errors: list[str] = []
        self._sessions: list[OpenSession] = []

    def _check_prices(self, budgets: Budgets) -> None:
        if self.provider and budgets.uses_dollars and not self.prices.lookup(
                self.provider.model):
            raise ConfigError([f"llm.prices: model {self.provider.model!r} has no price, so "
                               "dollar budgets cannot be enforced (add llm.prices."
                               f"{self.provider.model}: {{input, output, cached}})"])

    def open_session(self, identity: SessionIdentity, *, budgets: Budgets | None = None,
                     socket_path: Path | None = None, tcp: bool = False,
                     replay: str | None = None, replay_root: Path | None = None
                     ) -> OpenSession:
        """Serve a new session on a Unix socket (``socket_path``, default a fresh
        temporary one) and on loopback TCP if ``tcp``. ``replay`` names a recorded session
        to serve instead of the provider (from ``replay_root``, default the recording
        folder). Raises UsageError (bad purpose, socket path too long or taken),
        NotFoundError (no such recording), ConfigError (dollar budgets without a price).
        """
        if identity.purpose not in PURPOSES:
            raise UsageError(f"purpose {identity.purpose!r}: use one of {', '.join(PURPOSES)}")
        budgets = budgets or self.budgets
        self._check_prices(budgets)
        self.seed_node(identity)
        player = None
        if replay is not None:
            player = Replay(load_session(replay_root or self.sink.root, replay), replay)
        elif self.provider is None:
            raise UsageError("a gateway without a provider can only replay sessions")
        session = GatewaySession(identity, self.provider, budgets=budgets, ledger=self.ledger,
                                 prices=self.prices, record=self._enqueue_exchange,
                                 event=self._enqueue_event, replay=player,
                                 default_max_tokens=self.default_max_tokens)
        own_dir = None
        if socket_path is None:
            own_dir = scratch.make("gw")
            os.chmod(own_dir, 0o755)
            socket_path = own_dir / "llm.sock"
        socket_path = Path(socket_path)
        if len(str(socket_path).encode()) > _SUN_PATH_MAX:
            raise UsageError(f"{socket_path}: too long for a Unix socket (at most "
                             f"{_SUN_PATH_MAX} bytes); choose a shorter path")
        if socket_path.exists():
            raise UsageError(f"{socket_path}: already exists; give a free socket path")
        servers = [serve(session, str(socket_path), self.http_limits)]
        os.chmod(socket_path, 0o666)  # the sandbox's non-root user must connect
        tcp_url = None
        if tcp:
            servers.append(serve(session, None, self.http_limits))
            tcp_url = f"http://127.0.0.1:{servers[-1].server_address[1]}/v1"
        opened = OpenSession(session, socket_path, tcp_url, servers, own_dir)
        self._sessions.append(opened)
        return opened

    def seed_node(self, identity: SessionIdentity) -> None:
        """Start a node's spending from what the run's archive already holds for it (once;
        nothing without a run)."""
        keys = identity.named().ledger_keys()
        if self.run is None or "node" not in keys or self.ledger.known("node", keys["node"]):
            return
        from cladist.archive.queries import node_spend

        tokens, dollars = node_spend(self.run.store, identity.node_id)
        self.ledger.seed("node", keys["node"], tokens, dollars)

    # -- recording, off the request path ----------------------------------------------
    def _enqueue_exchange(self, exchange: dict[str, Any]) -> None:
        self._put(("exchange", exchange))

    def _enqueue_event(self, kind: str, node_id: int | None, **data: Any) -> None:
        self._put(("event", (kind, node_id, data)))

    def _put(self, item: tuple[str, Any]) -> None:
        """Queue for the writer, waiting while the queue is full (backpressure on a flood
        of requests); after close, nothing drains the queue: note the loss instead."""
        if not self._writer.is_alive():
            self.write_errors.append(f"not recorded, the gateway was closed: {item[0]}")
            return
        self._queue.put(item)

    def _write_loop(self) -> None:
        from cladist.archive.records import NewLlmCall

        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                what, payload = item
                if what == "event":
                    kind, node_id, data = payload
                    self.sink.event(kind, node_id, **data)
                    continue
                ex = payload
                ex.setdefault("request_hash", request_hash(ex["request"]))
                self.sink.put_recording(ex["ref"], ex)
                usage = ex["usage"]
                self.sink.record_call(NewLlmCall(
                    session=ex["session"], purpose=ex["purpose"], provider=ex["provider"],
                    model=ex["model"], node_id=ex["node_id"], task_id=ex["task_id"],
                    tokens_in=usage["input_tokens"], tokens_out=usage["output_tokens"],
                    tokens_cached=usage["cached_tokens"], cost_usd=ex["cost_usd"],
                    latency_s=ex["latency_s"], error=ex["error"], recording_ref=ex["ref"]))
            except Exception as exc:  # keep recording the next exchanges
                self.write_errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every exchange and event so far is written."""
        self._queue.join()

    def close(self) -> None:
        """Close every session, write what is pending and stop the writer (the provider
        is the caller's to close)."""
        for opened in self._sessions:
            opened.close()
        self._sessions.clear()
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
