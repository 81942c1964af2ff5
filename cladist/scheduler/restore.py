"""The tree state of a run rebuilt from its archive (a resumed run, a simulation replayed
against a real run)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cladist.archive.records import ExpansionOutcome, Verdict
from cladist.scheduler.state import TreeState

if TYPE_CHECKING:
    from cladist.archive.store import ArchiveStore


def restore_state(store: ArchiveStore, all_task_ids: Sequence[str]) -> TreeState:
    """Every node with its status, every scored result (results on tasks outside
    ``all_task_ids`` count but free no task), and expansions that ended ``invalid``
    without a child. Nothing is in flight. Raises StateError for duplicate task ids."""
    state = TreeState(all_task_ids)
    for node in store.nodes():
        state.add_agent(node.id, node.parent_id, node.status)
    for r in store.results():
        if r.verdict != Verdict.INFRA_ERROR and r.node_id in state.index:
            state.count_past(r.node_id, r.task_id, r.verdict == Verdict.PASS, r.attempt)
    for e in store.expansions():
        if e.outcome == ExpansionOutcome.INVALID and e.child_id is None:
            state.count_past_failed_expansion(e.parent_id)
    return state
