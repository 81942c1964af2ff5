"""Typed records the archive takes in and hands out (frozen dataclasses).

These are the archive's contract: the scheduler, the evaluator, the CLI and the viewer read
nodes and results through them and never touch SQL rows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class NodeStatus(StrEnum):
    """Life cycle of an agent in the tree."""

    PENDING = "pending"          # created, not yet validated
    VALID = "valid"              # validated, may be evaluated and expanded
    INVALID = "invalid"          # failed validation; kept as evidence about its parent
    EVALUATING = "evaluating"    # valid and being evaluated right now


class ExpansionOutcome(StrEnum):
    """How an expansion ended (the archive's ``expansion.outcome`` values; ``running``
    while it is in flight).

    ``invalid`` is the parent's fault (no usable diff, the child fails validation) and is
    evidence about the parent; ``error`` (infrastructure, or the model refused) and
    ``abandoned`` (the run stopped) are not.
    """

    RUNNING = "running"
    VALID = "valid"
    INVALID = "invalid"
    ERROR = "error"
    ABANDONED = "abandoned"


class Verdict(StrEnum):
    """Outcome of one task evaluation. ``infra_error`` never counts as a failure."""

    PASS = "pass"
    FAIL = "fail"
    INFRA_ERROR = "infra_error"


@dataclass(frozen=True)
class NodeRecord:
    """One agent of the tree with its own and pooled (clade) pass/fail counts."""

    id: int
    parent_id: int | None
    commit_sha: str
    status: NodeStatus
    created_at: float
    depth: int
    n_pass: int = 0
    n_fail: int = 0
    n_infra: int = 0
    clade_pass: int = 0
    clade_fail: int = 0
    reason: str | None = None
    summary: str | None = None

    @property
    def evaluations(self) -> int:
        """Scored evaluations of this node (pass + fail)."""
        return self.n_pass + self.n_fail

    @property
    def score(self) -> float | None:
        """Own pass rate, or None before any scored evaluation."""
        return self.n_pass / self.evaluations if self.evaluations else None

    @property
    def clade_estimate(self) -> float | None:
        """Clade metaproductivity estimate N_s / (N_s + N_f), or None without data."""
        total = self.clade_pass + self.clade_fail
        return self.clade_pass / total if total else None


@dataclass(frozen=True)
class NewResult:
    """A task evaluation to record. Blob refs are paths relative to the run folder."""

    node_id: int
    task_id: str
    verdict: Verdict
    attempt: int = 1
    patch_ref: str | None = None
    test_output_ref: str | None = None
    trajectory_ref: str | None = None
    log_ref: str | None = None
    agent_seconds: float | None = None
    grade_seconds: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResultRecord(NewResult):
    """A recorded task evaluation."""

    id: int = 0
    created_at: float = 0.0


@dataclass(frozen=True)
class ExpansionRecord:
    """One self-improvement attempt on a parent, whatever its outcome."""

    id: int
    parent_id: int
    child_id: int | None
    started_at: float
    finished_at: float | None
    target: str | None
    problem_statement: str | None
    outcome: str
    reason: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    diagnosis_ref: str | None = None


@dataclass(frozen=True)
class NewLlmCall:
    """One metered LLM exchange, as the gateway or the diagnosis step reports it."""

    session: str
    purpose: str
    provider: str
    model: str
    node_id: int | None = None
    task_id: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    latency_s: float | None = None
    error: str | None = None
    recording_ref: str | None = None


@dataclass(frozen=True)
class RunRecord:
    """The run's own row."""

    id: str
    name: str
    created_at: float
    status: str
    stop_reason: str | None
    cladist_version: str


@dataclass(frozen=True)
class RunEvent:
    """One thing that happened in a run: ``kind`` (``run_created``, ``session_started``,
    ``expansion_started``, ``expansion_finished``, ``task_result``, ``llm_*``,
    ``session_stopped``, ...), about node ``node_id`` (None: the run), with its fields.
    Written once (:meth:`cladist.archive.run.Run.event`): the same event is a line of
    ``events.jsonl``, a row of the event table, and what the live panel is told."""

    kind: str
    node_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        """The event as its ``events.jsonl`` line holds it."""
        return {"ts": self.ts, "kind": self.kind, "node": self.node_id, **self.data}
