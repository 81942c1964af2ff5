"""Policies built on DGM's staged evaluation: ``dgm``, ``greedy`` and ``uniform``.

All three run the same asynchronous version of DGM's loop: stage work owed by any agent
comes first (oldest agent first, see :mod:`cladist.scheduler.staging`), otherwise a parent
is expanded; with nothing to start, ``Wait``. They differ only in the parent:
- ``dgm``: sampled with weight sigmoid(10·(a_i − 0.5)) · 1 / (1 + c_i) among settled
  agents (a_i: pass rate, c_i: children that are not invalid);
- ``greedy`` (SICA-like): the settled agent with the best pass rate;
- ``uniform``: any valid agent, uniformly.
Final pick: ``dgm`` and ``greedy`` answer like DGM (best pass rate among the agents that
went furthest through the stages); ``uniform`` answers with the best-belief agent.
"""

from __future__ import annotations

import numpy as np

from cladist.config import SchedulerConfig
from cladist.scheduler.contracts import Budget, Decision, Expand, Wait
from cladist.scheduler.sampling import best_belief_agent
from cladist.scheduler.staging import next_stage_work, settled
from cladist.scheduler.state import VALID, TreeState


def dgm_weights(accuracy: np.ndarray, children: np.ndarray) -> np.ndarray:
    """DGM's unnormalised parent weights sigmoid(10·(a − 0.5)) / (1 + c), element-wise."""
    a = np.asarray(accuracy, float)
    return 1.0 / (1.0 + np.exp(-10.0 * (a - 0.5))) / (1.0 + np.asarray(children, float))


class StagedPolicy:
    """Base of the staged policies; subclasses define :meth:`choose_parent`. Never raises
    for a consistent state."""

    name = "staged"

    def __init__(self, config: SchedulerConfig, rng: np.random.Generator,
                 epsilon: float = 0.01):
        self.config = config
        self.rng = rng
        self.epsilon = epsilon

    def decide(self, state: TreeState, budget: Budget) -> Decision:
        """Stage work first, else an expansion, else ``Wait``."""
        if state.n == 0:
            return Wait("empty tree")
        stages, threshold = self.config.dgm_stages, self.config.dgm_stage_threshold
        work = next_stage_work(state, stages, threshold)
        if work is not None:
            return work
        parent = self.choose_parent(state, settled(state, stages, threshold))
        if parent is None:
            return Wait("no agent has finished its evaluation stage yet")
        return Expand(int(state.ids[parent]))

    def choose_parent(self, state: TreeState, ready: np.ndarray) -> int | None:
        """Index of the parent to expand among ``ready`` (settled agents), or None."""
        raise NotImplementedError

    def final_pick(self, state: TreeState) -> int | None:
        """Best pass rate among valid agents with the most scored tasks (ties: older)."""
        valid = np.flatnonzero(state.col("status") == VALID)
        scored = (state.col("n_s") + state.col("n_f"))[valid]
        if valid.size == 0 or scored.max() == 0:
            return None
        furthest = valid[scored == scored.max()]
        rates = state.col("n_s")[furthest] / scored.max()
        return int(state.ids[furthest[int(np.argmax(rates))]])


class DGMPolicy(StagedPolicy):
    """The ``dgm`` policy (DESIGN section 4)."""

    name = "dgm"

    def choose_parent(self, state: TreeState, ready: np.ndarray) -> int | None:
        """Sample proportionally to :func:`dgm_weights` (with replacement across calls)."""
        if ready.size == 0:
            return None
        scored = state.col("n_s")[ready] + state.col("n_f")[ready]
        w = dgm_weights(state.col("n_s")[ready] / scored, state.col("children")[ready])
        return int(ready[self.rng.choice(ready.size, p=w / w.sum())])


class GreedyPolicy(StagedPolicy):
    """The ``greedy`` policy: always expand the current best (SICA-like)."""

    name = "greedy"

    def choose_parent(self, state: TreeState, ready: np.ndarray) -> int | None:
        """Best pass rate; ties go to more evaluations, then to the older agent."""
        if ready.size == 0:
            return None
        scored = state.col("n_s")[ready] + state.col("n_f")[ready]
        rate = state.col("n_s")[ready] / scored
        return int(ready[np.lexsort((ready, -scored, -rate))[0]])


class UniformPolicy(StagedPolicy):
    """The ``uniform`` policy: a random valid parent; best-belief final pick."""

    name = "uniform"

    def choose_parent(self, state: TreeState, ready: np.ndarray) -> int | None:
        """Uniform over every valid agent (evaluated or not)."""
        valid = np.flatnonzero(state.col("status") == VALID)
        return None if valid.size == 0 else int(valid[self.rng.integers(valid.size)])

    def final_pick(self, state: TreeState) -> int | None:
        """The best-belief agent among valid agents."""
        return best_belief_agent(state, self.epsilon)
