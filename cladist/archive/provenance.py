"""The README written beside an exported agent: where it came from (run, node, lineage,
scores, model) and how to run it again with ``cladist eval --agent PATH``."""

from __future__ import annotations

import time

from cladist.archive.lineage import ancestors, best_belief
from cladist.archive.records import Verdict
from cladist.archive.run import Run

README_NAME = "README-export.md"
"""File name of the provenance README (the agent's own README.md is part of its code)."""


def provenance_readme(run: Run, node_id: int, out_hint: str = "PATH") -> str:
    """Markdown describing node ``node_id`` of ``run``; ``out_hint`` is the folder name used
    in the example commands. Raises NotFoundError for an unknown node."""
    node = run.store.node(node_id)
    record = run.store.run_record()
    cfg = run.config
    best = best_belief(run.store, cfg.archive.best_belief_epsilon)
    lineage = [*ancestors(run.store, node_id), node_id]
    results = run.store.results(node_id)
    expansions = {e.child_id: e for e in run.store.expansions() if e.child_id is not None}
    own = f"{node.n_pass}/{node.evaluations} tasks passed" if node.evaluations else "not evaluated"
    clade = (f"{node.clade_estimate:.3f} ({node.clade_pass} of "
             f"{node.clade_pass + node.clade_fail} evaluations in its clade passed)"
             if node.clade_estimate is not None else "no data")
    lines = [
        f"# Agent: node {node_id} of run {record.id}",
        "",
        f"Exported by cladist {record.cladist_version} on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"- run: `{record.id}` (name `{record.name}`, status {record.status}"
        + (f", stopped: {record.stop_reason}" if record.stop_reason else "") + ")",
        f"- node: {node_id}, depth {node.depth}, status {node.status}, commit "
        f"`{node.commit_sha}`" + (" — the run's best-belief agent" if node_id == best else ""),
        f"- own score: {own}",
        f"- clade estimate (metaproductivity): {clade}",
        f"- model during the run: {cfg.llm.provider} `{cfg.llm.model}`; suite "
        f"{cfg.evaluator.suite}",
        "",
        "## Lineage (root first)",
        "",
        "| node | own score | what changed |",
        "|---|---|---|",
    ]
    for anc_id in lineage:
        anc = run.store.node(anc_id)
        score = f"{anc.n_pass}/{anc.evaluations}" if anc.evaluations else "-"
        made = expansions.get(anc_id)
        change = anc.summary or (made.target if made else None) or (
            "seed agent" if anc.parent_id is None else "")
        lines.append(f"| {anc_id} | {score} | {_cell(change)} |")
    lines += ["", "## Results of this node", ""]
    if results:
        lines += ["| task | attempt | verdict |", "|---|---|---|"]
        lines += [f"| {r.task_id} | {r.attempt} | {r.verdict}"
                  + (" (infrastructure, not scored)" if r.verdict == Verdict.INFRA_ERROR else "")
                  + " |" for r in results]
    else:
        lines.append("None recorded.")
    lines += [
        "", "## Run it",
        "",
        "```bash",
        f"# on {'a task it was evaluated on' if results else 'one bundled task'}, "
        "with the configured model:",
        f"cladist eval --agent {out_hint} --tasks "
        f"{results[0].task_id if results else 'py-easy-is-even'}",
        "# on the whole configured suite, with the model of this run:",
        f"cladist eval --agent {out_hint} -c llm.provider={cfg.llm.provider} "
        f"-c llm.model={cfg.llm.model}",
        "```",
        "",
        f"The same agent stays in the run: `cladist show {record.id} {node_id}`, and "
        f"`cladist export {record.id} --node {node_id} --format bundle --out agent.bundle` "
        "gives its whole git history.",
        "",
    ]
    return "\n".join(lines)


def _cell(text: str | None) -> str:
    return (text or "").replace("\n", " ").replace("|", "\\|")[:160]
