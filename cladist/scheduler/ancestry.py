"""Ancestor index arrays of a growing tree, cached within a memory bound: the clade counts
add a result to an agent and all its ancestors, O(depth) per result."""

from __future__ import annotations

import numpy as np


class Ancestry:
    """``of(i, parents)``: agent index ``i`` and its ancestors, root first. Arrays are
    cached until they hold ``limit`` entries in all, then the cache starts over."""

    def __init__(self, limit: int):
        self.limit = limit
        self._cache: dict[int, np.ndarray] = {}
        self._size = 0

    def of(self, i: int, parents: np.ndarray) -> np.ndarray:
        """Indices of ``i`` and its ancestors; ``parents[i]`` is i's parent (-1: root)."""
        found = self._cache.get(i)
        if found is None:
            p = int(parents[i])
            found = (np.array([i], np.int32) if p < 0
                     else np.append(self.of(p, parents), np.int32(i)))
            if self._size + found.size > self.limit:
                self._cache.clear()
                self._size = 0
            self._cache[i] = found
            self._size += found.size
        return found
