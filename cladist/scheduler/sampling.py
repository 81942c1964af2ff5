"""The HGM formulas of DESIGN section 4 as small pure functions (numpy).

- temperature τ = B / b, with b floored at ``MIN_REMAINING_FRACTION`` · B (so τ ≤ 1000);
- the expand-or-evaluate rule N^α ≥ |T|;
- Thompson sampling: the argmax of one Beta(τ(1 + s), τ(1 + f)) draw per candidate;
- the best-belief pick: the largest lower ε-quantile of Beta(1 + n_s, 1 + n_f), computed
  by :func:`cladist.archive.lineage.best_belief_index` (the archive's own rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import betaincinv

from cladist.archive.lineage import best_belief_index
from cladist.scheduler.contracts import Budget

if TYPE_CHECKING:
    from cladist.scheduler.state import TreeState

MIN_REMAINING_FRACTION = 1e-3
GROUPED_MIN = 2048  # candidates from which Thompson sampling groups equal (s, f) pairs
_SIDE = 64          # counts below this are grouped


def temperature(budget: Budget) -> float:
    """τ = B / b: 1 at the start, growing as the budget runs out (less exploration).
    b → 0 is guarded: b is taken as at least B / 1000, so τ never exceeds 1000."""
    floor = budget.total * MIN_REMAINING_FRACTION
    return budget.total / max(budget.remaining, floor)


def should_expand(evaluations: int, tree_size: int, alpha: float) -> bool:
    """HGM's rule: expand when N^α ≥ |T| (N counts evaluations in flight, |T| pending
    expansions). Raises ValueError for a negative count or α outside (0, 1]."""
    if evaluations < 0 or tree_size < 0:
        raise ValueError("counts must be >= 0")
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    return bool(float(evaluations) ** alpha >= tree_size)


def beta_parameters(successes: np.ndarray, failures: np.ndarray,
                    tau: float) -> tuple[np.ndarray, np.ndarray]:
    """The Thompson-sampling Beta parameters (τ(1 + s), τ(1 + f)), element-wise."""
    s = np.asarray(successes, float)
    f = np.asarray(failures, float)
    return tau * (1.0 + s), tau * (1.0 + f)


def thompson_argmax(rng: np.random.Generator, successes: np.ndarray, failures: np.ndarray,
                    tau: float) -> int:
    """Position of the largest draw from Beta(τ(1 + s), τ(1 + f)), one draw per candidate.
    Raises ValueError for an empty candidate list.

    With many candidates (≥ ``GROUPED_MIN``) and integer counts, candidates sharing a
    small (s, f) pair are exchangeable: the largest of k independent draws from one Beta
    is drawn directly as F⁻¹(u^(1/k)) and the winner is uniform among them. Same
    distribution, but the cost grows with the number of distinct pairs, not of agents."""
    s = np.asarray(successes)
    f = np.asarray(failures)
    if s.size == 0:
        raise ValueError("no candidates")
    if s.size < GROUPED_MIN or not (np.issubdtype(s.dtype, np.integer)
                                    and np.issubdtype(f.dtype, np.integer)):
        return int(np.argmax(rng.beta(*beta_parameters(s, f, tau))))
    small = (s < _SIDE) & (f < _SIDE)
    best, winner = -1.0, -1
    big = np.flatnonzero(~small)
    if big.size:
        draws = rng.beta(*beta_parameters(s[big], f[big], tau))
        j = int(np.argmax(draws))
        best, winner = float(draws[j]), int(big[j])
    rows = np.flatnonzero(small)
    if rows.size:
        key = s[rows] * _SIDE + f[rows]
        counts = np.bincount(key, minlength=_SIDE * _SIDE)
        groups = np.flatnonzero(counts)
        top = betaincinv(tau * (1.0 + groups // _SIDE), tau * (1.0 + groups % _SIDE),
                         rng.random(groups.size) ** (1.0 / counts[groups]))
        g = int(np.argmax(top))
        if top[g] > best:
            members = rows[key == groups[g]]
            winner = int(members[rng.integers(members.size)])
    return winner


def best_belief_agent(state: TreeState, epsilon: float) -> int | None:
    """Id of the best-belief agent among the valid agents of ``state`` (see
    :func:`best_belief_index`), or None when none has a scored evaluation."""
    from cladist.scheduler.state import VALID

    valid = state.col("status") == VALID
    rows = np.flatnonzero(valid)
    found = best_belief_index(state.ids[rows], state.col("n_s")[rows],
                              state.col("n_f")[rows], epsilon)
    return None if found is None else int(state.ids[rows[found]])


def random_free_task(state: TreeState, agent_id: int, rng: np.random.Generator) -> str | None:
    """A task drawn uniformly among the agent's tasks that are neither evaluated nor in
    flight, or None if it has none. Raises StateError for an unknown agent."""
    n_tasks = len(state.task_ids)
    free = n_tasks - state.get("occupied", agent_id)
    if free <= 0:
        return None
    done, flight = state.busy_task_indices(agent_id)
    if 4 * free >= n_tasks:  # mostly free: rejection sampling is cheap
        while True:
            k = int(rng.integers(n_tasks))
            if k not in done and k not in flight:
                return state.task_ids[k]
    tasks = state.free_tasks(agent_id)
    return tasks[int(rng.integers(len(tasks)))]
