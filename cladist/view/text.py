"""Text views of a run for the terminal: the lineage tree, a node's report, the runs list.

Functions here build plain data (for ``--json``) or rich renderables; they never print.
"""

from __future__ import annotations

import time
from typing import Any

from cladist.archive.lineage import best_belief
from cladist.archive.liveness import CRASHED, shown_status
from cladist.archive.records import NodeRecord
from cladist.archive.run import Run, RunSummary
from cladist.archive.safetext import printable

STATUS_STYLE = {"valid": "green", "invalid": "red", "pending": "yellow", "evaluating": "cyan"}


def tree_data(run: Run) -> dict[str, Any]:
    """The whole tree as JSON-ready data: run facts and a flat list of nodes, each with its
    parent, children, own counts and clade estimate."""
    nodes = run.store.nodes()
    children: dict[int, list[int]] = {n.id: [] for n in nodes}
    for n in nodes:
        if n.parent_id is not None:
            children[n.parent_id].append(n.id)
    record = run.store.run_record()
    return {
        "run": record.id, "status": shown_status(record.id, record.status),
        "last_event_at": run.store.last_event_at(), "stop_reason": record.stop_reason,
        "best_belief": best_belief(run.store, run.config.archive.best_belief_epsilon),
        "nodes": [{
            "id": n.id, "parent": n.parent_id, "status": str(n.status), "depth": n.depth,
            "commit": n.commit_sha, "created_at": n.created_at,
            "evaluations": n.evaluations, "passes": n.n_pass, "fails": n.n_fail,
            "infra_errors": n.n_infra, "score": n.score, "clade_passes": n.clade_pass,
            "clade_fails": n.clade_fail, "clade_estimate": n.clade_estimate,
            "summary": n.summary, "reason": n.reason, "children": children[n.id],
        } for n in nodes],
    }


def node_label(n: NodeRecord, best: int | None = None) -> str:
    """One line for a node: id, status, passes/evaluations, clade estimate, summary."""
    style = STATUS_STYLE.get(str(n.status), "white")
    est = f"{n.clade_estimate:.2f}" if n.clade_estimate is not None else "-"
    star = " [bold magenta]★ best[/]" if n.id == best else ""
    summary = f" [dim]{_escape(n.summary)[:60]}[/]" if n.summary else ""
    return (f"[bold]{n.id}[/] [{style}]{n.status}[/] {n.n_pass}/{n.evaluations} pass"
            f" · clade {est} ({n.clade_pass}/{n.clade_pass + n.clade_fail}){star}{summary}")


def rich_tree(run: Run, max_nodes: int = 2000) -> Any:
    """A rich Tree of the lineage (at most ``max_nodes`` nodes, breadth first)."""
    from rich.tree import Tree

    nodes = {n.id: n for n in run.store.nodes()}
    best = best_belief(run.store, run.config.archive.best_belief_epsilon)
    kids: dict[int, list[int]] = {i: [] for i in nodes}
    for n in nodes.values():
        if n.parent_id is not None:
            kids[n.parent_id].append(n.id)
    root_id = next(i for i, n in nodes.items() if n.parent_id is None)
    top = Tree(f"run [bold]{run.id}[/] · {len(nodes)} nodes")
    queue = [(root_id, top)]
    shown = 0
    while queue and shown < max_nodes:
        node_id, parent_branch = queue.pop(0)
        branch = parent_branch.add(node_label(nodes[node_id], best))
        shown += 1
        queue.extend((k, branch) for k in kids[node_id])
    if shown < len(nodes):
        top.add(f"[dim]… {len(nodes) - shown} more nodes (use --json for all)[/]")
    return top


def runs_table(summaries: list[RunSummary]) -> Any:
    """A rich Table of runs: id, status, nodes, evaluations, best node and its score."""
    from rich.table import Table

    table = Table("run", "status", "nodes", "evaluations", "best", "score")
    for s in summaries:
        score = f"{s.best_score:.2f}" if s.best_score is not None else "-"
        best = str(s.best_node) if s.best_node is not None else "-"
        table.add_row(s.id, shown_with_time(s.status, s.last_event_at), str(s.nodes),
                      str(s.evaluations), best, score)
    return table


def shown_with_time(status: str, last_event_at: float | None) -> str:
    """A status as shown to a user: a crashed run with the time of its last event."""
    if status != CRASHED or last_event_at is None:
        return status
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last_event_at))
    return f"{status} (last event {stamp})"


def node_report(run: Run, node_id: int) -> dict[str, Any]:
    """Everything ``cladist show`` prints about a node: metadata, lineage, results,
    expansions and the diff against its parent. Text an agent controls (the reason, the
    summary, the diff) comes back safe for a terminal (:func:`printable`); print it
    without markup."""
    from dataclasses import replace

    from cladist.archive.lineage import ancestors, children

    n = run.store.node(node_id)
    diff = ""
    if n.parent_id is not None:
        diff = run.agents.diff(run.node_commit(n.parent_id), n.commit_sha, binary=False)
    return {  # for a terminal: what the agent wrote can hold escape sequences
        "node": replace(n, reason=_terminal(n.reason), summary=_terminal(n.summary)),
        "lineage": ancestors(run.store, node_id),
        "children": children(run.store, node_id),
        "results": run.store.results(node_id),
        "expansions": run.store.expansions(parent_id=node_id),
        "diff": printable(diff),
    }


def _terminal(text: str | None) -> str | None:
    return printable(text) if text is not None else None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(printable(text.replace("\n", " ")))
