"""Choosing what a self-improvement step works on: one task the parent failed, or a
meta-problem its results show (many empty patches, context overflows, flaky tasks).

Follows DGM: each meta-problem whose symptom shows is chosen with its configured
probability; otherwise a failed task is drawn uniformly. A parent with no failure and no
symptom gets the generic target "make the agent better at solving tasks", with one
concrete direction drawn from ``GENERAL_DIRECTIONS`` (a vague target gives a small model
nothing to change, and every expansion of the same parent the same diagnosis).
"""

from __future__ import annotations

from typing import Any

from cladist.agents import abi
from cladist.archive.lineage import ancestors
from cladist.archive.records import ResultRecord, Verdict
from cladist.archive.run import Run
from cladist.evolve.jobs import Target

EMPTY_PATCH_SHARE = 0.1

GENERAL_DIRECTIONS = (
    "in agent/prompts.py, add a sentence to SYSTEM telling the model to view a file "
    "before it changes it",
    "in agent/prompts.py, make task() ask the model to say in one sentence what is wrong "
    "before its first action",
    "in agent/prompts.py, make nudge() end with a complete example of a view action",
    "in agent/prompts.py, make REPEATED suggest viewing the file again before the next edit",
    "in agent/prompts.py, make tests_fail() tell the model to read the first failing "
    "assertion before it edits the code",
    "in agent/prompts.py, make the hint after a failed replace suggest viewing the lines "
    "to change again",
    "in agent/tools.py, make truncate() keep more of the end of a long output (where test "
    "failures are) than of its start",
)
"""Concrete first steps for the generic target, each one small change to the seed agent's
files that its own tests allow (a child may have moved them: the diagnosis reads the code
it is given). They are given to the diagnosis and, verbatim, to the self-edit; a parent
gets each of them once before any comes again."""


def _exit_reason(run: Run, result: ResultRecord) -> str | None:
    if not result.trajectory_ref:
        return None
    try:
        return abi.exit_reason(run.blobs.get_text(result.trajectory_ref))
    except OSError:
        return None


def symptoms(run: Run, parent_id: int) -> dict[str, list[ResultRecord]]:
    """The parent's scored failures grouped by the meta-problem they show (``task`` holds
    every failure)."""
    results = [r for r in run.store.results(parent_id) if r.verdict != Verdict.INFRA_ERROR]
    failed = [r for r in results if r.verdict == Verdict.FAIL]
    found: dict[str, list[ResultRecord]] = {"task": failed}
    empty = [r for r in failed if not r.patch_ref]
    if results and len(empty) / len(results) >= EMPTY_PATCH_SHARE:
        found["empty_patches"] = empty
    overflow = [r for r in failed
                if abi.is_context_overflow(r.detail.get("agent_exit_reason"))
                or abi.is_context_overflow(_exit_reason(run, r))]
    if overflow:
        found["context_length"] = overflow
    lineage = set(ancestors(run.store, parent_id))
    passed_before = {r.task_id for a in lineage for r in run.store.results(a)
                     if r.verdict == Verdict.PASS}
    flaky = [r for r in failed if r.task_id in passed_before]
    if flaky:
        found["stochasticity"] = flaky
    return found


def choose_target(run: Run, parent_id: int, probabilities: dict[str, float], rng: Any
                  ) -> Target:
    """Draw the target of one expansion of ``parent_id`` with ``rng`` (numpy Generator)."""
    found = symptoms(run, parent_id)
    for kind, probability in probabilities.items():
        examples = found.get(kind)
        if examples and rng.random() < probability:
            return Target(kind, examples[int(rng.integers(len(examples)))])
    if found["task"]:
        return Target("task", found["task"][int(rng.integers(len(found["task"])))])
    tried = {e.target for e in run.store.expansions(parent_id)}
    fresh = [d for d in GENERAL_DIRECTIONS if Target("general", direction=d).describe()
             not in tried] or list(GENERAL_DIRECTIONS)
    return Target("general", direction=fresh[int(rng.integers(len(fresh)))])
