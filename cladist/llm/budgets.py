"""Token and dollar budgets of gateway sessions: per call, per session, per node, per run.

A :class:`Ledger` (one per gateway, shared by its sessions, thread-safe) keeps what each
session, node and run has spent. Before a call, :meth:`Ledger.admit` refuses it with
:class:`BudgetExceeded` when a scope is spent or when the prompt alone cannot fit what is
left, and otherwise returns the largest ``max_tokens`` that keeps every scope within its
limits (the gateway lowers the request's ``max_tokens`` to it). After the call,
:meth:`Ledger.charge` adds the real usage. Concurrent calls of one scope can overshoot it by
at most their prompts: the caps are computed per call.
"""

from __future__ import annotations

import threading
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
    """A call was refused: ``scope`` (call, session, node, run) has no room for it."""

    def __init__(self, scope: str, message: str, *, limit: Limit, spent_tokens: int,
                 spent_dollars: float):
        super().__init__(message)
        self.scope = scope
        self.limit = limit
        self.spent_tokens = spent_tokens
        self.spent_dollars = spent_dollars


@dataclass
class _Spent:
    tokens: int = 0
    dollars: float = 0.0


class Ledger:
    """Spending per scope key, shared by every session of a gateway."""

    def __init__(self) -> None:
        self._spent: dict[tuple[str, str], _Spent] = {}
        self._lock = threading.Lock()

    def seed(self, scope: str, key: str, tokens: int, dollars: float) -> None:
        """Start ``scope``/``key`` from earlier spending (e.g. a resumed run's archive)."""
        with self._lock:
            self._spent[(scope, key)] = _Spent(int(tokens), float(dollars))

    def known(self, scope: str, key: str) -> bool:
        """True when ``scope``/``key`` has been seeded or charged."""
        with self._lock:
            return (scope, key) in self._spent

    def spent(self, scope: str, key: str) -> tuple[int, float]:
        """(tokens, dollars) spent so far by ``scope``/``key``."""
        with self._lock:
            s = self._spent.get((scope, key), _Spent())
            return s.tokens, s.dollars

    def admit(self, keys: dict[str, str], budgets: Budgets, prompt_tokens: int,
              max_tokens: int, price: Price | None) -> int:
        """The ``max_tokens`` the call may use (<= the one asked), given an estimate of
        its prompt tokens. ``keys`` maps session/node/run to their keys. Raises
        BudgetExceeded naming the first scope with no room."""
        cap = max_tokens
        with self._lock:
            for scope in SCOPES:
                limit: Limit = getattr(budgets, scope)
                if limit.unlimited or (scope != "call" and scope not in keys):
                    continue
                s = self._spent.get((scope, keys.get(scope, "")), _Spent())
                cap = min(cap, _room(scope, limit, s, prompt_tokens, price))
        return cap

    def charge(self, keys: dict[str, str], usage: Usage, dollars: float) -> None:
        """Add a finished call's usage to its session, node and run."""
        with self._lock:
            for scope, key in keys.items():
                s = self._spent.setdefault((scope, key), _Spent())
                s.tokens += usage.total
                s.dollars += dollars


def _room(scope: str, limit: Limit, s: _Spent, prompt: int, price: Price | None) -> int:
    """Most output tokens ``scope`` leaves room for; raises BudgetExceeded when none."""
    def refuse(why: str) -> BudgetExceeded:
        return BudgetExceeded(scope, f"{scope} budget exceeded: {why}", limit=limit,
                              spent_tokens=s.tokens, spent_dollars=s.dollars)

    room = 1 << 30
    if limit.tokens is not None:
        left = limit.tokens - s.tokens
        if left <= 0:
            raise refuse(f"{s.tokens} of {limit.tokens} tokens spent")
        if prompt >= left:
            raise refuse(f"the prompt (~{prompt} tokens) does not fit the {left} tokens left "
                         f"of {limit.tokens}")
        room = left - prompt
    if limit.dollars is not None:
        left_usd = limit.dollars - s.dollars
        if left_usd <= 0:
            raise refuse(f"${s.dollars:.4f} of ${limit.dollars:.4f} spent")
        if price is not None:
            prompt_usd = prompt * price.input / 1_000_000
            if prompt_usd >= left_usd:
                raise refuse(f"the prompt (~${prompt_usd:.4f}) does not fit the "
                             f"${left_usd:.4f} left of ${limit.dollars:.4f}")
            if price.output > 0:
                room = min(room, int((left_usd - prompt_usd) * 1_000_000 / price.output))
    if room < 1:
        raise refuse("no room left for a single output token")
    return room
