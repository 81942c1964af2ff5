"""The Huxley-Gödel Machine policy (DESIGN section 4), with the known-weakness switches.

Each decision:
1. while the root has had fewer than ``root_expansions`` expansions started: expand it;
2. expand if N^α ≥ |T| (N: scored evaluations + evaluations in flight; |T|: every agent of
   the tree, invalid children included, + expansions in flight; with
   ``count_invalid_in_tree: false`` invalid children are left out of |T|, which lets a run
   whose self-modifications all fail expand forever), else evaluate; if the chosen kind of
   work is impossible, the other one; if neither is, ``Wait``;
3. expand: Thompson sampling, one Beta(τ(1 + N_s), τ(1 + N_f)) draw per eligible agent,
   the largest wins. Eligible: valid agents with at least one own pass (the paper never
   expands agents whose every evaluation failed, nor unevaluated ones); with
   ``expand_all_fail``, also valid agents with only failures. If none is eligible and
   nothing can be evaluated, the root is expanded (so the search cannot stall);
4. evaluate: Thompson sampling on Beta(τ(1 + n_s), τ(1 + n_f)) among valid agents with a
   task neither evaluated nor in flight; ONE such task, uniformly at random;
5. τ = B / b (see :func:`cladist.scheduler.sampling.temperature`).
Switches: ``count_failed_expansions`` adds an agent clade's failed expansions to N_f;
``correct_async_bias`` samples on difficulty-adjusted counts
(:mod:`cladist.scheduler.correction`). Final pick: best-belief over valid agents.
"""

from __future__ import annotations

import numpy as np

from cladist.config import SchedulerConfig
from cladist.scheduler.contracts import Budget, Decision, Evaluate, Expand, Wait
from cladist.scheduler.correction import adjusted_counts
from cladist.scheduler.sampling import (
    best_belief_agent,
    random_free_task,
    should_expand,
    temperature,
    thompson_argmax,
)
from cladist.scheduler.state import VALID, TreeState


class HGMPolicy:
    """The ``hgm`` policy; ``rng`` is its only source of randomness. Never raises for a
    consistent state."""

    name = "hgm"

    def __init__(self, config: SchedulerConfig, rng: np.random.Generator,
                 epsilon: float = 0.01):
        self.config = config
        self.rng = rng
        self.epsilon = epsilon

    def decide(self, state: TreeState, budget: Budget) -> Decision:
        """Expand or evaluate per the module docstring."""
        root = state.root_id
        if root is None:
            return Wait("empty tree")
        valid = state.col("status") == VALID
        if valid[0] and state.col("started")[0] < self.config.root_expansions:
            return Expand(root)
        tau = temperature(budget)
        counts = adjusted_counts(state) if self.config.correct_async_bias else None
        n_evals = state.evaluations + state.in_flight_total
        tree = state.tree_size
        if self.config.count_invalid_in_tree:
            tree += state.n - state.live_agents  # invalid children are agents made too
        if should_expand(n_evals, tree, self.config.alpha):
            decision = self._expand(state, tau, counts, fallback=False)
            decision = decision or self._evaluate(state, valid, tau, counts)
        else:
            decision = self._evaluate(state, valid, tau, counts)
        decision = decision or self._expand(state, tau, counts, fallback=True)
        return decision or Wait("every task is evaluated or in flight; nothing to expand")

    def eligible_parents(self, state: TreeState, fallback: bool = True) -> np.ndarray:
        """Indices of the agents that may be expanded now (see module docstring); with
        ``fallback``, the root when no other agent is eligible."""
        valid = state.col("status") == VALID
        ok = valid & (state.col("n_s") > 0)
        if self.config.expand_all_fail:
            ok |= valid & (state.col("n_f") > 0)
        found = np.flatnonzero(ok)
        if fallback and found.size == 0 and state.n and valid[0]:
            found = np.array([0])
        return found

    def _expand(self, state: TreeState, tau: float, counts: tuple[np.ndarray, ...] | None,
                fallback: bool = True) -> Decision | None:
        candidates = self.eligible_parents(state, fallback)
        if candidates.size == 0:
            return None
        if counts is None:
            s, f = state.col("N_s")[candidates], state.col("N_f")[candidates].astype(float)
        else:
            s, f = counts[2][candidates], counts[3][candidates]
        if self.config.count_failed_expansions:
            f = f + state.col("clade_failed")[candidates]
        pick = candidates[thompson_argmax(self.rng, s, f, tau)]
        return Expand(int(state.ids[pick]))

    def _evaluate(self, state: TreeState, valid: np.ndarray, tau: float,
                  counts: tuple[np.ndarray, ...] | None) -> Decision | None:
        candidates = np.flatnonzero(valid & (state.col("occupied") < len(state.task_ids)))
        if candidates.size == 0:
            return None
        if counts is None:
            s, f = state.col("n_s")[candidates], state.col("n_f")[candidates]
        else:
            s, f = counts[0][candidates], counts[1][candidates]
        agent = int(state.ids[candidates[thompson_argmax(self.rng, s, f, tau)]])
        task = random_free_task(state, agent, self.rng)
        assert task is not None  # candidates have a free task
        return Evaluate(agent, (task,))

    def final_pick(self, state: TreeState) -> int | None:
        """The best-belief agent: largest lower ε-quantile of Beta(1 + n_s, 1 + n_f) among
        valid agents (ties: more evaluations, then the older agent)."""
        return best_belief_agent(state, self.epsilon)
