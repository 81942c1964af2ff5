"""What a simulated run is judged on: true clade metaproductivity and estimator correlation.

True clade metaproductivity of an agent (HGM's definition, realised on the final tree): the
best true quality among the valid agents of its clade. Estimators compared against it:
HGM's pooled clade rate N_s / (N_s + N_f) and DGM's proxy, the agent's own pass rate. The
correlation is a Pearson correlation weighted by the agent's clade evaluations N(a), over
valid agents with at least one own scored evaluation (so both estimators are defined).
"""

from __future__ import annotations

import numpy as np

from cladist.scheduler.state import VALID, TreeState


def true_clade_metaproductivity(state: TreeState, quality: np.ndarray) -> np.ndarray:
    """Per agent index: the best true quality among valid agents in its clade (−inf if
    the clade holds no valid agent). ``quality`` is indexed by agent index."""
    best = np.where(state.col("status") == VALID, np.asarray(quality, float), -np.inf)
    parent, depth = state.col("parent"), state.col("depth")
    order = np.argsort(depth, kind="stable")
    levels = np.split(order, np.flatnonzero(np.diff(depth[order])) + 1)
    for level in reversed(levels[1:]):
        np.maximum.at(best, parent[level], best[level])
    return best


def weighted_pearson(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Pearson correlation of x and y with weights w; NaN when undefined (fewer than two
    points with weight, or no spread)."""
    x, y, w = (np.asarray(v, float) for v in (x, y, w))
    if x.size < 2 or w.sum() <= 0:
        return float("nan")
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    vx, vy = np.average((x - mx) ** 2, weights=w), np.average((y - my) ** 2, weights=w)
    if vx <= 0 or vy <= 0:
        return float("nan")
    return float(cov / np.sqrt(vx * vy))


def estimator_correlations(state: TreeState, quality: np.ndarray) -> tuple[float, float]:
    """(HGM estimator correlation, DGM estimator correlation) with the true clade
    metaproductivity, per the module docstring."""
    truth = true_clade_metaproductivity(state, quality)
    n_s, n_f = state.col("n_s"), state.col("n_f")
    big_s, big_f = state.col("N_s"), state.col("N_f")
    rows = np.flatnonzero((state.col("status") == VALID) & (n_s + n_f > 0))
    weight = (big_s + big_f)[rows]
    hgm = big_s[rows] / weight
    dgm = n_s[rows] / (n_s + n_f)[rows]
    return (weighted_pearson(hgm, truth[rows], weight),
            weighted_pearson(dgm, truth[rows], weight))
