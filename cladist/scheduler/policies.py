"""Policy registry: build the configured policy, plus the simulator-only ``oracle``.

The run loop needs only :func:`make_policy`::

    policy = make_policy(config)   # a Config: scheduler section, run.random_seed, epsilon
    decision = policy.decide(state, Budget(total, spent))
    best = policy.final_pick(state)

Policies: ``hgm`` (:mod:`cladist.scheduler.hgm`), ``dgm``, ``greedy``, ``uniform``
(:mod:`cladist.scheduler.dgm`); all randomness goes through one ``numpy.random.Generator``
seeded by ``run.random_seed`` unless one is passed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cladist.config import Config, SchedulerConfig
from cladist.scheduler.contracts import Budget, Decision, Expand, Policy, Wait
from cladist.scheduler.dgm import DGMPolicy, GreedyPolicy, UniformPolicy
from cladist.scheduler.hgm import HGMPolicy
from cladist.scheduler.state import VALID, TreeState

POLICIES: dict[str, type[HGMPolicy] | type[DGMPolicy] | type[GreedyPolicy]
               | type[UniformPolicy]] = {
    "hgm": HGMPolicy, "dgm": DGMPolicy, "greedy": GreedyPolicy, "uniform": UniformPolicy}


def make_policy(config: Config | SchedulerConfig, rng: np.random.Generator | None = None,
                *, epsilon: float | None = None, seed: int | None = None) -> Policy:
    """The policy named by ``scheduler.policy``. With a whole :class:`Config`, the seed is
    ``run.random_seed`` and ε is ``archive.best_belief_epsilon``; with a SchedulerConfig,
    pass ``seed`` (default 0) and ``epsilon`` (default 0.01). Raises ValueError for an
    unknown policy name (the config already rejects one)."""
    if isinstance(config, Config):
        scheduler = config.scheduler
        seed = config.run.random_seed if seed is None else seed
        epsilon = config.archive.best_belief_epsilon if epsilon is None else epsilon
    else:
        scheduler = config
    if scheduler.policy not in POLICIES:
        raise ValueError(f"unknown policy {scheduler.policy!r} (allowed: {', '.join(POLICIES)})")
    rng = rng if rng is not None else np.random.default_rng(seed or 0)
    return POLICIES[scheduler.policy](scheduler, rng, 0.01 if epsilon is None else epsilon)


class OraclePolicy:
    """Simulator only: knows the truth. ``quality(ids)`` gives true qualities and
    ``potential(ids)`` how good an agent's children are expected to be (default: quality).
    It never evaluates, always expands the valid agent of highest potential and answers
    with the truly best valid agent: the upper bound in policy comparisons. Never raises
    for a consistent state."""

    name = "oracle"

    def __init__(self, quality: Callable[[np.ndarray], np.ndarray],
                 potential: Callable[[np.ndarray], np.ndarray] | None = None):
        self.quality = quality
        self.potential = potential or quality

    def _best(self, state: TreeState, score: Callable[[np.ndarray], np.ndarray]) -> int | None:
        valid = np.flatnonzero(state.col("status") == VALID)
        if valid.size == 0:
            return None
        ids = state.ids[valid]
        return int(ids[int(np.argmax(score(ids)))])

    def decide(self, state: TreeState, budget: Budget) -> Decision:
        """Expand the valid agent with the best expected children."""
        best = self._best(state, self.potential)
        return Wait("no valid agent") if best is None else Expand(best)

    def final_pick(self, state: TreeState) -> int | None:
        """The truly best valid agent."""
        return self._best(state, self.quality)
