"""One gateway session: who is calling, what it may spend, and the handling of one request.

A :class:`GatewaySession` turns an OpenAI chat-completions request body into an HTTP status
and an OpenAI-shaped body: it reserves the call's worst case against the budgets, asks the
provider (or, in replay mode, the recording), settles the budgets to the real usage, and
hands the exchange to the gateway's recorder. It never raises for what a request or the
provider does; every failure becomes an OpenAI-style API error (``{"error": {"message",
"type", "param", "code"}}``) that the agent sees.

A call asks for one choice: ``n`` other than 1 is refused with a 400 (the gateway answers
one choice, and ``n`` would multiply the output past what was reserved). ``max_tokens`` and
``max_completion_tokens`` must be positive integers; the smallest asked (or the gateway's
default) is capped by the budgets and forwarded as the one field the request used. A call
that only the worst cases held by its concurrent calls keep out waits for them to settle (up
to ``hold_wait_s``, default :data:`HOLD_WAIT_S`); a call refused for the budget gets a 429
``budget_exceeded`` (do not retry), or ``budget_in_flight`` (with Retry-After) when that
wait ran out. What is recorded of a failed exchange's request is bounded
(:func:`~cladist.llm.recording.bounded`). Calls the provider failed are noted
(:mod:`cladist.llm.outage`): :meth:`GatewaySession.provider_down` says whether the
session's work is lost to a provider that is down.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from cladist.llm.api_errors import NO_RETRY, Reply, api_error, provider_error
from cladist.llm.budgets import BudgetExceeded, Budgets, Ledger
from cladist.llm.contracts import (
    ChatRequest,
    ChatResult,
    LLMError,
    Provider,
    ProviderAuthError,
    ProviderUnavailableError,
    checked_output_limit,
)
from cladist.llm.identity import SessionIdentity, SessionUsage
from cladist.llm.outage import ProviderFailures
from cladist.llm.pricing import PriceTable
from cladist.llm.recording import (
    RECORDED_PREFIX,
    Replay,
    ReplayDivergence,
    bounded,
    recording_ref,
    request_hash,
)

HOLD_WAIT_S = 300.0
"""Most seconds a call waits for concurrent calls' holds to settle before a refusal."""
DETAILED_REJECTIONS = 100
"""Requests refused by the HTTP layer that a session records one event each for; later
ones are only counted (one summary event when the session closes)."""


class GatewaySession:
    """Handles the requests of one session. ``record`` receives each finished exchange
    (the gateway queues it for writing); ``event`` receives events to record."""

    def __init__(self, identity: SessionIdentity, provider: Provider | None, *,
                 budgets: Budgets, ledger: Ledger, prices: PriceTable,
                 record: Callable[[dict[str, Any]], None],
                 event: Callable[..., None], replay: Replay | None = None,
                 default_max_tokens: int = 1024):
        self.identity = identity.named()
        self.provider = provider
        self.budgets = budgets
        self.ledger = ledger
        self.prices = prices
        self.replay = replay
        self.default_max_tokens = default_max_tokens
        self.hold_wait_s = HOLD_WAIT_S
        self._record = record
        self._event = event
        self._step = 0
        self._lock = threading.Lock()
        self._usage = SessionUsage()
        ident = self.identity
        self.failures = ProviderFailures(provider, event, ident.node_id, {
            "session": ident.session, "purpose": ident.purpose, "task": ident.task_id})

    @property
    def usage(self) -> SessionUsage:
        """A snapshot of what the session spent so far (live calls only, not replays)."""
        with self._lock:
            return SessionUsage(**{**asdict(self._usage),
                                   "provider_failures": self.failures.count})

    def provider_down(self) -> str | None:
        """Why this session's work is lost to a provider that is down (one line beginning
        with :data:`~cladist.llm.outage.PROVIDER_DOWN`), or None: see
        :meth:`~cladist.llm.outage.ProviderFailures.provider_down`."""
        return self.failures.provider_down()

    def _next_step(self) -> int:
        with self._lock:
            step = self._step
            self._step += 1
            return step

    def handle(self, body: Any, size: int | None = None) -> Reply:
        """Answer one chat-completions request body (already JSON-decoded; ``size`` is
        its length in bytes when known, used to estimate the prompt's tokens)."""
        if not isinstance(body, dict):
            return api_error(400, "the request body must be a JSON object",
                             "invalid_request_error", "invalid_body")
        if body.get("stream"):  # the HTTP layer turns streams into one-shot requests
            return api_error(400, "stream=true is only served over HTTP",
                             "invalid_request_error", "stream_unsupported")
        if self.replay is not None:
            return self._replayed(body)
        step = self._next_step()
        started = time.time()
        try:
            request = ChatRequest.from_openai(body)
            asked = checked_output_limit(body, self.default_max_tokens)
        except ValueError as exc:
            reply = api_error(400, str(exc), "invalid_request_error", "invalid_body")
            self._finish(step, body, reply, started, error=str(exc), size=size)
            return reply
        model = self.provider.model if self.provider else "none"
        try:
            held = self.ledger.reserve(self.identity.ledger_keys(), self.budgets,
                                       _estimate_tokens(body, size), asked,
                                       self.prices.lookup(model), self.hold_wait_s)
        except BudgetExceeded as exc:
            return self._refused(step, body, exc, started, size)
        settled = False
        try:
            result = self._ask(request.with_output_cap(held.max_tokens))
            if isinstance(result, ChatResult):
                self.ledger.settle(held, result.usage, result.cost_usd)
                settled = True
        finally:
            if not settled:
                self.ledger.release(held)
        if not isinstance(result, ChatResult):
            reply, error = result
            self._finish(step, body, reply, started, error=error, size=size)
            return reply
        return self._answered(step, body, started, result)

    def _ask(self, request: ChatRequest) -> ChatResult | tuple[Reply, str]:
        """The provider's result, or the reply and error to record when it failed."""
        assert self.provider is not None
        try:
            return self.provider.chat(request)
        except LLMError as exc:
            if isinstance(exc, (ProviderUnavailableError, ProviderAuthError)):
                self.failures.failed(f"{exc.kind}: {exc}")
            return provider_error(exc), f"{exc.kind}: {exc}"
        except Exception as exc:  # a provider bug: the agent gets a 500, the run a record
            self.failures.failed(f"internal_error: {exc!r}")
            return (api_error(500, f"cladist gateway internal error: {exc!r}", "server_error"),
                    f"internal_error: {exc!r}")

    def _answered(self, step: int, body: dict[str, Any], started: float,
                  result: ChatResult) -> Reply:
        with self._lock:
            u = self._usage
            u.calls += 1
            u.input_tokens += result.usage.input_tokens
            u.output_tokens += result.usage.output_tokens
            u.cached_tokens += result.usage.cached_tokens
            u.cost_usd += result.cost_usd
        reply: Reply = (200, result.to_openai(), {})
        self._finish(step, body, reply, started, usage=asdict(result.usage),
                     cost=result.cost_usd, latency=result.latency_s, model=result.model,
                     attempts=result.attempts)
        return reply

    def rejected(self, status: int, reason: str, size: int | None, prefix: bytes) -> None:
        """Note a request the HTTP layer refused before it reached :meth:`handle`
        (``reason`` says why, ``size`` is its declared body length, ``prefix`` the first
        bytes received): an ``llm_request_rejected`` event with a bounded prefix, for the
        first :data:`DETAILED_REJECTIONS` of the session; later ones are only counted."""
        with self._lock:
            self._usage.rejected += 1
            count = self._usage.rejected
        if count > DETAILED_REJECTIONS:
            return
        ident = self.identity
        self._event("llm_request_rejected", ident.node_id, session=ident.session,
                    purpose=ident.purpose, task=ident.task_id, status=status, reason=reason,
                    size=size, prefix=prefix[:RECORDED_PREFIX].decode("utf-8", "replace"),
                    detailed_left=DETAILED_REJECTIONS - count)

    def close(self) -> None:
        """Record how many HTTP-layer rejections went without an event of their own."""
        with self._lock:
            extra = self._usage.rejected - DETAILED_REJECTIONS
        if extra > 0:
            ident = self.identity
            self._event("llm_requests_rejected", ident.node_id, session=ident.session,
                        purpose=ident.purpose, task=ident.task_id,
                        total=extra + DETAILED_REJECTIONS, without_event=extra)

    def _refused(self, step: int, body: dict[str, Any], exc: BudgetExceeded,
                 started: float, size: int | None) -> Reply:
        ident = self.identity
        self._event("llm_budget_exceeded", ident.node_id, session=ident.session,
                    purpose=ident.purpose, task=ident.task_id, scope=exc.scope,
                    limit_tokens=exc.limit.tokens, limit_dollars=exc.limit.dollars,
                    spent_tokens=exc.spent_tokens, spent_dollars=exc.spent_dollars,
                    in_flight=exc.in_flight, step=step, message=str(exc))
        if exc.in_flight:  # it may fit once the calls in flight settle: worth a retry
            code, reply = "budget_in_flight", api_error(
                429, f"cladist gateway: {exc}; retry when they finish", "rate_limit_exceeded",
                "budget_in_flight", {"retry-after": "1"})
        else:
            code, reply = "budget_exceeded", api_error(
                429, f"cladist gateway: {exc}", "insufficient_quota", "budget_exceeded",
                NO_RETRY)
        self._finish(step, body, reply, started, error=f"{code}: {exc}", size=size)
        return reply

    def _replayed(self, body: dict[str, Any]) -> Reply:
        assert self.replay is not None
        try:
            step, status, payload = self.replay.answer(body)
        except ReplayDivergence as exc:
            ident = self.identity
            self._event("llm_replay_diverged", ident.node_id, session=ident.session,
                        replay_of=self.replay.session, step=exc.step,
                        expected_hash=exc.expected, got_hash=exc.got, message=str(exc))
            return api_error(409, f"cladist gateway: {exc}", "replay_divergence",
                             "replay_divergence", NO_RETRY)
        return status, payload, ({} if status == 200 else NO_RETRY)

    def _finish(self, step: int, body: dict[str, Any], reply: Reply, started: float, *,
                error: str | None = None, usage: dict[str, int] | None = None,
                cost: float = 0.0, latency: float | None = None, model: str | None = None,
                attempts: int = 0, size: int | None = None) -> None:
        """Hand the exchange to the recorder. A failed exchange's request is recorded
        bounded (its hash is of the whole request, so a replay still matches it)."""
        ident = self.identity
        request: Any = body
        hashed: dict[str, str] = {}
        if error is not None:
            with self._lock:
                self._usage.failed += 1
            request, hashed = bounded(body, size), {"request_hash": request_hash(body)}
        self._record({**hashed,
            "step": step, "session": ident.session, "run_id": ident.run_id,
            "node_id": ident.node_id, "task_id": ident.task_id, "purpose": ident.purpose,
            "provider": self.provider.name if self.provider else "none",
            "model": model or (self.provider.model if self.provider else "none"),
            "started_at": started, "latency_s": latency if latency is not None
            else time.time() - started, "attempts": attempts,
            "request": request, "status": reply[0],  # request_hash: by the writer if absent
            "response": reply[1], "usage": usage or {"input_tokens": 0, "output_tokens": 0,
                                                     "cached_tokens": 0},
            "cost_usd": cost, "error": error, "ref": recording_ref(ident.session, step)})


def _estimate_tokens(body: dict[str, Any], size: int | None) -> int:
    """A rough prompt size: bytes of the request's JSON over four."""
    if size is None:
        size = len(json.dumps(body.get("messages", []))) + len(json.dumps(body.get("tools")))
    return size // 4 + 1
