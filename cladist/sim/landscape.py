"""The simulated landscape of DESIGN section 4: hidden agent qualities, no LLM, no sandbox.

Tasks have difficulties d_t ~ N(0, difficulty_sd). Agent a has an ability θ_a and passes
task t with probability sigmoid(θ_a − d_t); its true quality is the mean of that over the
tasks (its expected score). Agents also carry a heritable metaproductivity trait m: the
k-th expansion of parent p yields a child with
    m_child = m_p + metaproductivity_sd · z₁,
    θ_child = θ_p + m_p + step_bias + step_sd · z₂,
and is invalid with probability sigmoid(invalid_base − invalid_slope · m_p). So a parent's
children improve on it on average only when m_p > −step_bias, and good lineages stay good.

Every random number is a hash of (seed, the agent's lineage, what is drawn): the k-th child
of a given agent, its outcome on a given task and the time that takes are the same whatever
policy explores the landscape (common random numbers make policy comparisons sharp).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

_MASK = (1 << 64) - 1
_NORMAL = NormalDist()


def _mix(x: int) -> int:
    """splitmix64 finaliser: a well-mixed 64-bit hash of ``x``."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _uniform(key: int, salt: int) -> float:
    """A uniform number in (0, 1) determined by ``key`` and ``salt``."""
    return ((_mix(key ^ _mix(salt)) >> 11) + 0.5) * 2.0**-53


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class LandscapeConfig:
    """Parameters of the landscape and of the simulated run's costs and timings."""

    n_tasks: int = 100
    difficulty_sd: float = 2.5
    root_ability: float = -1.0
    root_metaproductivity: float = 0.0
    metaproductivity_sd: float = 0.1
    step_bias: float = -0.35
    step_sd: float = 0.3
    invalid_base: float = -1.0
    invalid_slope: float = 4.0
    evaluation_cost: float = 1.0
    expansion_cost: float = 2.0
    evaluation_time: float = 1.0
    difficulty_time: float = 0.5
    fail_time_factor: float = 2.0
    time_noise_sd: float = 0.5
    expansion_time: float = 5.0
    infra_error_rate: float = 0.0
    workers: int = 8


class Landscape:
    """The hidden truth of one simulated run; agent ids are 0 (the root), 1, 2, ..."""

    def __init__(self, config: LandscapeConfig, seed: int):
        self.config = config
        self.seed_key = _mix(seed + 1)
        self.difficulty = np.random.default_rng([seed, 7]).normal(
            0.0, config.difficulty_sd, config.n_tasks)
        self._difficulty = self.difficulty.tolist()
        self.ability: list[float] = []
        self.meta: list[float] = []
        self.key: list[int] = []
        self.valid: list[bool] = []
        self.tries: list[int] = []
        self._quality = np.zeros(1024)
        self._potential = np.zeros(1024)
        self._add(config.root_ability, config.root_metaproductivity, self.seed_key, True)

    def _add(self, ability: float, meta: float, key: int, valid: bool) -> int:
        self.ability.append(ability)
        self.meta.append(meta)
        self.key.append(key)
        self.valid.append(valid)
        self.tries.append(0)
        i = len(self.ability) - 1
        if i == self._quality.size:
            self._quality = np.resize(self._quality, 2 * i)
            self._potential = np.resize(self._potential, 2 * i)
        self._quality[i] = np.mean(1.0 / (1.0 + np.exp(self.difficulty - ability)))
        self._potential[i] = ability + meta + self.config.step_bias
        return i

    @property
    def size(self) -> int:
        """Agents created so far (valid or not)."""
        return len(self.ability)

    def spawn(self, parent: int) -> int:
        """Create the parent's next child (valid or not) and return its id."""
        c = self.config
        k = self.tries[parent] = self.tries[parent] + 1
        key = _mix(self.key[parent] ^ _mix(k))
        z1 = _NORMAL.inv_cdf(_uniform(key, 1))
        z2 = _NORMAL.inv_cdf(_uniform(key, 2))
        m = self.meta[parent]
        invalid_p = _sigmoid(c.invalid_base - c.invalid_slope * m)
        return self._add(self.ability[parent] + m + c.step_bias + c.step_sd * z2,
                         m + c.metaproductivity_sd * z1, key, _uniform(key, 3) >= invalid_p)

    def passes(self, agent: int, task: int) -> bool:
        """Whether the agent passes the task (the same answer every time it is asked)."""
        p = _sigmoid(self.ability[agent] - self._difficulty[task])
        return _uniform(self.key[agent], 1000 + 2 * task) < p

    def evaluation_time(self, agent: int, task: int, passed: bool) -> float:
        """How long evaluating the task takes: longer for hard tasks and for failures."""
        c = self.config
        z = _NORMAL.inv_cdf(_uniform(self.key[agent], 1001 + 2 * task))
        slow = c.fail_time_factor if not passed else 1.0
        return c.evaluation_time * slow * math.exp(c.difficulty_time * self._difficulty[task]
                                                   + c.time_noise_sd * z)

    def expansion_time(self, child: int) -> float:
        """How long the expansion that made ``child`` took."""
        return self.config.expansion_time * math.exp(
            0.3 * _NORMAL.inv_cdf(_uniform(self.key[child], 4)))

    def quality(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """True quality (expected pass rate over the tasks) of the given agents."""
        return self._quality[np.asarray(ids, dtype=np.int64)]

    def potential(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """Expected ability of the given agents' next children: θ + m + step_bias (what an
        oracle expands on)."""
        return self._potential[np.asarray(ids, dtype=np.int64)]

    def qualities(self) -> np.ndarray:
        """True quality of every agent created, by id."""
        return self._quality[: self.size].copy()
