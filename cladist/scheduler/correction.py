"""Difficulty-adjusted counts: the ``correct_async_bias`` switch of the HGM policy.

The bias: with asynchronous workers, easy tasks (mostly passes) come back first, so a young
agent's few results are a sample enriched in easy tasks and it looks better than it is.
Tasks are *started* uniformly at random, so the bias is purely about *which* tasks have
results yet. The correction removes task difficulty from each result (a linear, Rasch-like
adjustment): a result y on task t counts as y − p̂_t + p̄ successes instead of y, where p̂_t
is the task's pass rate over every other agent's results (leave-one-out, shrunk towards the
overall pass rate p̄ with a prior of ``PRIOR_STRENGTH`` results). A pass on a task that
everyone passes is worth little, a pass on a hard task a lot; an agent's adjusted rate no
longer depends on which tasks happened to finish. Adjusted successes are summed per agent
(own) and per clade, then clipped to [0, count]; failures = count − successes. The counts
stored in the archive are never changed: this is a view used only for sampling.
"""

from __future__ import annotations

import numpy as np

from cladist.scheduler.state import TreeState

PRIOR_STRENGTH = 2.0


def adjusted_counts(state: TreeState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(n_s', n_f', N_s', N_f') as float arrays over agent indices (see module docstring).
    Agents without results on known tasks keep their raw counts."""
    n = state.n
    n_s = state.col("n_s").astype(float)
    n_f = state.col("n_f").astype(float)
    big_s = state.col("N_s").astype(float)
    big_f = state.col("N_f").astype(float)
    agent, task, passed = state.result_log()
    if agent.size == 0 or n == 0:
        return n_s, n_f, big_s, big_f
    y = passed.astype(float)
    p_bar = float(y.mean())
    others_pass = state.task_pass[task] - y
    others_total = state.task_total[task] - 1
    p_hat = (others_pass + PRIOR_STRENGTH * p_bar) / (others_total + PRIOR_STRENGTH)
    shift = np.bincount(agent, weights=p_bar - p_hat, minlength=n)  # Σ (p̄ − p̂_t)
    clade_shift = _pool(state, shift)
    own_total, clade_total = n_s + n_f, big_s + big_f
    adj_own = np.clip(n_s + shift, 0.0, own_total)
    adj_clade = np.clip(big_s + clade_shift, 0.0, clade_total)
    return adj_own, own_total - adj_own, adj_clade, clade_total - adj_clade


def _pool(state: TreeState, values: np.ndarray) -> np.ndarray:
    """Sum ``values`` over each agent's clade: children have larger indices than their
    parent, so one backward pass adds each agent's total to its parent (O(n))."""
    pooled = values.astype(float).tolist()
    parent = state.col("parent").tolist()
    for i in range(state.n - 1, 0, -1):
        pooled[parent[i]] += pooled[i]
    return np.asarray(pooled)
