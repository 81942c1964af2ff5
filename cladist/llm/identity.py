"""Who a gateway session serves and what it spent: the two records every caller of the
gateway passes or reads (the evaluator, the self-improvement worker, the Ray executor)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

Purpose = Literal["diagnosis", "self-edit", "evaluation"]


@dataclass(frozen=True)
class SessionIdentity:
    """Who is calling: the run, node and task, and why (diagnosis, self-edit,
    evaluation). ``session`` is the recording's name (made up when not given)."""

    run_id: str
    node_id: int | None
    purpose: Purpose
    task_id: str | None = None
    session: str = ""

    def named(self) -> SessionIdentity:
        """This identity with a session name (``<purpose>-n<node>-<task>-<random>``)."""
        if self.session:
            return self
        task = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.task_id or "none")[:60]
        name = f"{self.purpose}-n{self.node_id if self.node_id is not None else 'x'}-{task}"
        return SessionIdentity(self.run_id, self.node_id, self.purpose, self.task_id,
                               f"{name}-{uuid.uuid4().hex[:8]}")

    def ledger_keys(self) -> dict[str, str]:
        """Keys of this session, its node and its run in the budget ledger."""
        keys = {"session": self.session, "run": self.run_id}
        if self.node_id is not None:
            keys["node"] = f"{self.run_id}:{self.node_id}"
        return keys


@dataclass
class SessionUsage:
    """What a session spent so far: calls answered by the provider, calls refused or
    failed, requests refused by the HTTP layer before reaching the session (bad framing,
    too large, too many connections, too slow), calls the provider failed (unavailable
    after its retries, host key rejected, provider bug; counted in ``failed`` too), tokens
    (input includes cached) and dollars."""

    calls: int = 0
    failed: int = 0
    rejected: int = 0
    provider_failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
