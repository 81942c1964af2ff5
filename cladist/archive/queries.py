"""Queries other floors need from a run's database, so that SQL is written only inside
``archive/`` (the store holds the writes; these are the aggregates the gateway, the
run loop and the viewer read, and the crash repair of a resumed run). Each
takes an :class:`~cladist.archive.store.ArchiveStore` and raises sqlalchemy's errors as
the store's own methods do.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text, update

from cladist.archive import schema as t
from cladist.archive.records import ExpansionOutcome, NodeStatus, Verdict

if TYPE_CHECKING:
    from cladist.archive.store import ArchiveStore as Store

_LLM_COSTS = ("SELECT node_id, purpose, count(*), coalesce(sum(tokens_in), 0), "
              "coalesce(sum(tokens_out), 0), coalesce(sum(cost_usd), 0) FROM llm_call ")


def node_spend(store: Store, node_id: int | None) -> tuple[int, float]:
    """Tokens (in and out) and dollars the recorded calls of one node spent."""
    calls = t.llm_call.c
    with store.engine.connect() as conn:
        tokens, dollars = conn.execute(select(
            func.coalesce(func.sum(calls.tokens_in + calls.tokens_out), 0),
            func.coalesce(func.sum(calls.cost_usd), 0.0)).where(
                calls.node_id == node_id)).one()
    return int(tokens), float(dollars)


def abandon_interrupted(store: Store) -> int:
    """After a crash: expansions still ``running`` become ``abandoned`` and nodes still
    ``evaluating`` become ``valid``; returns how many expansions were abandoned."""
    with store.engine.begin() as conn:
        abandoned = conn.execute(
            update(t.expansion).where(t.expansion.c.outcome == ExpansionOutcome.RUNNING).values(
                outcome=ExpansionOutcome.ABANDONED,
                reason="interrupted (run stopped mid-expansion)",
                finished_at=time.time())).rowcount
        conn.execute(update(t.node).where(t.node.c.status == NodeStatus.EVALUATING).values(
            status=NodeStatus.VALID))
    return int(abandoned)


def sessions_seconds(store: Store) -> float:
    """Wall-clock seconds the run's finished sessions used (their ``session_stopped``
    events)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.event.c.data).where(t.event.c.kind == "session_stopped"))
        return sum(float(json.loads(r[0]).get("elapsed_s", 0)) for r in rows)


def scored_verdicts(store: Store) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """Every scored result as (node id, verdict) in the order recorded, and every node's
    status by id."""
    results = t.task_result.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(results.node_id, results.verdict)
                            .where(results.verdict != Verdict.INFRA_ERROR)
                            .order_by(results.id)).all()
        statuses = dict(conn.execute(select(t.node.c.id, t.node.c.status)).all())
    return [(int(n), str(v)) for n, v in rows], {int(i): str(s) for i, s in statuses.items()}


def calls_timeline(store: Store) -> list[tuple[float, str, float, int]]:
    """Every recorded LLM call as (created at, purpose, dollars, tokens), in time order."""
    calls = t.llm_call.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(calls.created_at, calls.purpose, calls.cost_usd,
                                   calls.tokens_in + calls.tokens_out)
                            .order_by(calls.created_at, calls.id)).all()
    return [(float(c), str(p), float(d or 0), int(k or 0)) for c, p, d, k in rows]


def content_version(store: Store) -> tuple[Any, ...]:
    """Numbers that change with every write a viewer shows: nodes (count, evaluations,
    statuses), expansions (count, finished), the last LLM call, and the run's status."""
    with store.engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT (SELECT count(*) || ':' || coalesce(sum(n_pass + n_fail + n_infra), 0)"
            " || ':' || coalesce(sum(id * (CASE status WHEN 'valid' THEN 1 WHEN 'invalid'"
            " THEN 2 WHEN 'evaluating' THEN 3 ELSE 4 END)), 0) FROM node),"
            " (SELECT count(*) || ':' || count(finished_at) FROM expansion),"
            " (SELECT coalesce(max(id), 0) FROM llm_call),"
            " (SELECT status FROM run)")).one())


def llm_costs(store: Store, node_id: int | None = None) -> list[tuple[Any, ...]]:
    """(node id, purpose, calls, tokens in, tokens out, dollars) per node and purpose, for
    one node or (``node_id`` None) all of them."""
    with store.engine.connect() as conn:
        if node_id is not None:
            return [tuple(r) for r in conn.execute(text(
                _LLM_COSTS + "WHERE node_id = :n GROUP BY node_id, purpose ORDER BY purpose"),
                {"n": node_id})]
        return [tuple(r) for r in conn.execute(text(
            _LLM_COSTS + "GROUP BY node_id, purpose ORDER BY purpose"))]


def overview_counts(store: Store) -> dict[str, Any]:
    """What a run's overview shows besides its nodes: expansion outcomes with counts,
    spending per purpose, the session start/stop events and the 15 latest events."""
    with store.engine.connect() as conn:
        outcomes = {str(o): int(k) for o, k in conn.execute(text(
            "SELECT outcome, count(*) FROM expansion GROUP BY outcome")).all()}
        costs = [{"purpose": p, "calls": k, "tokens_in": ti, "tokens_out": to, "cost_usd": d}
                 for p, k, ti, to, d in conn.execute(text(
                     "SELECT purpose, count(*), coalesce(sum(tokens_in), 0), "
                     "coalesce(sum(tokens_out), 0), coalesce(sum(cost_usd), 0) FROM llm_call "
                     "GROUP BY purpose ORDER BY purpose"))]
        sessions = [tuple(r) for r in conn.execute(text(
            "SELECT ts, kind, data FROM event WHERE kind IN "
            "('session_started', 'session_stopped') ORDER BY id"))]
        recent = [tuple(r) for r in conn.execute(text(
            "SELECT ts, kind, node_id, data FROM event ORDER BY id DESC LIMIT 15"))]
    return {"outcomes": outcomes, "costs": costs, "sessions": sessions, "recent": recent}
