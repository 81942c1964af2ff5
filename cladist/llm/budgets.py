"""Token and dollar budgets of gateway sessions: per call, per session, per node, per run.

A :class:`Ledger` (one per gateway, shared by its sessions, thread-safe) keeps what each
session, node and run has spent and what calls in flight hold. Before a call is forwarded,
:meth:`Ledger.reserve` computes, under one lock, the largest ``max_tokens`` that keeps
every scope within its limits counting what is spent *and* held, and holds the call's worst
case (prompt estimate + that ``max_tokens``, in tokens and in dollars at the model's
price) against its session, node and run; it raises :class:`BudgetExceeded` when a
scope has no room. When the answer arrives, :meth:`Ledger.settle` replaces the hold by the
real usage; when the call fails, :meth:`Ledger.release` drops the hold. A call that only the
holds of calls in flight keep out waits (bounded) for them to settle, then is admitted or
refused on what was really spent. So concurrent calls can never together be admitted past a
limit: the only slack left is a prompt whose real
token count exceeds its estimate (the real figure is what gets charged). A call asks one
choice: the gateway refuses ``n > 1`` before it gets here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from cladist.llm.contracts import Usage
from cladist.llm.pricing import Price

SCOPES = ("call", "session", "node", "run")


@dataclass(frozen=True)
class Limit:
    """At most ``tokens`` (input + output) and ``dollars``; None means unlimited."""

    tokens: int | None = None
    dollars: float | None = None

    @property
    def unlimited(self) -> bool:
        """True when neither tokens nor dollars are limited."""
        return self.tokens is None and self.dollars is None


@dataclass(frozen=True)
class Budgets:
    """The limits of a session, one :class:`Limit` per scope."""

    call: Limit = field(default_factory=Limit)
    session: Limit = field(default_factory=Limit)
    node: Limit = field(default_factory=Limit)
    run: Limit = field(default_factory=Limit)

    @property
    def uses_dollars(self) -> bool:
        """True when any scope has a dollar limit (so the model needs a price)."""
        return any(getattr(self, s).dollars is not None for s in SCOPES)


class BudgetExceeded(Exception):
    """A call was refused: ``scope`` (call, session, node, run) has no room for it.
    ``in_flight`` is True when only the holds of calls still in flight leave no room (it
    may fit once they settle)."""

    def __init__(self, scope: str, message: str, *, limit: Limit, spent_tokens: int,
                 spent_dollars: float, in_flight: bool = False):
        super().__init__(message)
        self.scope = scope
        self.limit = limit
        self.spent_tokens = spent_tokens
        self.spent_dollars = spent_dollars
        self.in_flight = in_flight


@dataclass
class _Spent:
    tokens: int = 0
    dollars: float = 0.0
    held_tokens: int = 0
    held_dollars: float = 0.0


@dataclass(frozen=True)
class Reservation:
    """What one admitted call holds until it is settled or released: ``max_tokens`` is the
    output cap it may forward; ``tokens``/``dollars`` the worst case held against
    each of ``keys`` (scope, key) pairs."""

    max_tokens: int
    tokens: int
    dollars: float
    keys: tuple[tuple[str, str], ...]


class Ledger:
    """Spending and holds per scope key, shared by every session of a gateway."""

    def __init__(self) -> None:
        self._spent: dict[tuple[str, str], _Spent] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a hold was settled or released
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Calls waiting in :meth:`reserve` for the holds of calls in flight to settle."""
        with self._lock:
            return self._waiting

    def seed(self, scope: str, key: str, tokens: int, dollars: float) -> None:
        """Start ``scope``/``key`` from earlier spending (e.g. a resumed run's archive);
        holds of calls in flight are kept."""
        with self._lock:
            s = self._spent.setdefault((scope, key), _Spent())
            s.tokens, s.dollars = int(tokens), float(dollars)

    def known(self, scope: str, key: str) -> bool:
        """True when ``scope``/``key`` has been seeded, charged or held against."""
        with self._lock:
            return (scope, key) in self._spent

    def spent(self, scope: str, key: str) -> tuple[int, float]:
        """(tokens, dollars) spent so far by ``scope``/``key`` (holds not included)."""
        with self._lock:
            s = self._spent.get((scope, key), _Spent())
            return s.tokens, s.dollars

    def held(self, scope: str, key: str) -> tuple[int, float]:
        """(tokens, dollars) held by calls of ``scope``/``key`` still in flight."""
        with self._lock:
            s = self._spent.get((scope, key), _Spent())
            return s.held_tokens, s.held_dollars

    def reserve(self, keys: dict[str, str], budgets: Budgets, prompt_tokens: int,
                max_tokens: int, price: Price | None, wait_s: float = 0.0) -> Reservation:
        """Admit a call (one choice) asking ``max_tokens``, given an estimate of its
        prompt tokens: return its :class:`Reservation` (whose ``max_tokens`` is <= the one
        asked) after holding its worst case against every scope of ``keys`` (session/node/
        run to their keys). When only the holds of calls in flight leave no room, wait up
        to ``wait_s`` seconds for them to settle. Raises BudgetExceeded naming the first
        scope with no room (nothing is held then; ``in_flight`` set when the wait ran
        out)."""
        deadline = time.monotonic() + wait_s
        with self._lock:
            while True:
                try:
                    cap = self._cap(keys, budgets, prompt_tokens, max_tokens, price)
                    break
                except BudgetExceeded as exc:
                    left = deadline - time.monotonic()
                    if not exc.in_flight or left <= 0:
                        raise
                    self._waiting += 1
                    try:
                        self._changed.wait(left)
                    finally:
                        self._waiting -= 1
            tokens = prompt_tokens + cap
            dollars = (prompt_tokens * price.input + cap * price.output) / 1_000_000 \
                if price is not None else 0.0
            held = tuple((scope, key) for scope, key in keys.items() if scope != "call")
            for pair in held:
                s = self._spent.setdefault(pair, _Spent())
                s.held_tokens += tokens
                s.held_dollars += dollars
        return Reservation(cap, tokens, dollars, held)

    def _cap(self, keys: dict[str, str], budgets: Budgets, prompt_tokens: int,
             max_tokens: int, price: Price | None) -> int:
        """The output cap every scope leaves room for (the lock held)."""
        cap = max_tokens
        for scope in SCOPES:
            limit: Limit = getattr(budgets, scope)
            if limit.unlimited or (scope != "call" and scope not in keys):
                continue
            s = (_Spent() if scope == "call"
                 else self._spent.get((scope, keys[scope]), _Spent()))
            cap = min(cap, _room_or_refusal(scope, limit, s, prompt_tokens, price))
        return cap

    def settle(self, reservation: Reservation, usage: Usage, dollars: float) -> None:
        """Replace ``reservation``'s hold by the call's real ``usage`` and ``dollars``."""
        with self._lock:
            for pair in reservation.keys:
                s = self._spent.setdefault(pair, _Spent())
                _drop_hold(s, reservation)
                s.tokens += usage.total
                s.dollars += dollars
            self._changed.notify_all()

    def release(self, reservation: Reservation) -> None:
        """Drop ``reservation``'s hold: the call failed and spent nothing."""
        with self._lock:
            for pair in reservation.keys:
                _drop_hold(self._spent.setdefault(pair, _Spent()), reservation)
            self._changed.notify_all()

    def charge(self, keys: dict[str, str], usage: Usage, dollars: float) -> None:
        """Add usage that held nothing (calls made elsewhere, e.g. a remote worker's) to
        the scopes of ``keys``."""
        with self._lock:
            for scope, key in keys.items():
                s = self._spent.setdefault((scope, key), _Spent())
                s.tokens += usage.total
                s.dollars += dollars


def _drop_hold(s: _Spent, reservation: Reservation) -> None:
    s.held_tokens -= reservation.tokens
    s.held_dollars -= reservation.dollars
    if s.held_tokens == 0:  # nothing in flight: no float residue either
        s.held_dollars = 0.0


def _refusal(scope: str, limit: Limit, s: _Spent, why: str) -> BudgetExceeded:
    held = (f" (calls in flight hold {s.held_tokens} tokens, ${s.held_dollars:.4f})"
            if s.held_tokens else "")
    return BudgetExceeded(scope, f"{scope} budget exceeded: {why}{held}", limit=limit,
                          spent_tokens=s.tokens, spent_dollars=s.dollars)


def _room_or_refusal(scope: str, limit: Limit, s: _Spent, prompt: int,
                     price: Price | None) -> int:
    """:func:`_room`; a refusal says whether only the holds of calls in flight cause it."""
    try:
        return _room(scope, limit, s, prompt, price)
    except BudgetExceeded as exc:
        if s.held_tokens:
            try:
                _room(scope, limit, _Spent(s.tokens, s.dollars), prompt, price)
                exc.in_flight = True
            except BudgetExceeded:
                pass
        raise


def _room(scope: str, limit: Limit, s: _Spent, prompt: int, price: Price | None) -> int:
    """Most output tokens ``scope`` leaves room for, counting what is spent and held;
    raises BudgetExceeded when none."""
    used_tokens = s.tokens + s.held_tokens
    used_dollars = s.dollars + s.held_dollars
    room = 1 << 30
    if limit.tokens is not None:
        left = limit.tokens - used_tokens
        if left <= 0:
            raise _refusal(scope, limit, s, f"{s.tokens} of {limit.tokens} tokens spent")
        if prompt >= left:
            raise _refusal(scope, limit, s, f"the prompt (~{prompt} tokens) does not fit the "
                           f"{left} tokens left of {limit.tokens}")
        room = left - prompt
    if limit.dollars is not None:
        left_usd = limit.dollars - used_dollars
        if left_usd <= 0:
            raise _refusal(scope, limit, s, f"${s.dollars:.4f} of ${limit.dollars:.4f} spent")
        if price is not None:
            prompt_usd = prompt * price.input / 1_000_000
            if prompt_usd >= left_usd:
                raise _refusal(scope, limit, s, f"the prompt (~${prompt_usd:.4f}) does not "
                               f"fit the ${left_usd:.4f} left of ${limit.dollars:.4f}")
            if price.output > 0:
                room = min(room, int((left_usd - prompt_usd) * 1_000_000 / price.output))
    if room < 1:
        raise _refusal(scope, limit, s, "no room left for a single output token")
    return room
