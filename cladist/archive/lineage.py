"""Lineage queries over the archive: ancestors, descendants, clades, the best-belief pick.

Each node row stores its materialized path (``0/3/17/``: the ids from the root to itself),
so ancestors need no recursion and a clade is one index range scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from cladist.archive import schema as t
from cladist.archive.records import NodeRecord, NodeStatus

if TYPE_CHECKING:
    import networkx as nx

    from cladist.archive.store import ArchiveStore


def _path(store: ArchiveStore, node_id: int) -> str:
    from cladist.errors import NotFoundError

    with store.engine.connect() as c:
        found = c.execute(select(t.node.c.path).where(t.node.c.id == node_id)).scalar()
    if found is None:
        raise NotFoundError(f"node {node_id}: no such node")
    return str(found)


def ancestors(store: ArchiveStore, node_id: int) -> list[int]:
    """Ids from the root down to the parent of ``node_id`` (empty for the root)."""
    return [int(p) for p in _path(store, node_id).rstrip("/").split("/")[:-1]]


def depth(store: ArchiveStore, node_id: int) -> int:
    """Number of edges between the root and ``node_id``."""
    return len(ancestors(store, node_id))


def descendants(store: ArchiveStore, node_id: int) -> list[int]:
    """Ids of every node below ``node_id``, in id order."""
    prefix = _path(store, node_id)
    # '/' + 1 == '0': the range [prefix, prefix[:-1] + '0') holds exactly the paths below.
    upper = prefix[:-1] + "0"
    with store.engine.connect() as c:
        rows = c.execute(select(t.node.c.id).where(t.node.c.path > prefix, t.node.c.path < upper)
                         .order_by(t.node.c.id))
        return [int(r[0]) for r in rows]


def clade(store: ArchiveStore, node_id: int) -> list[int]:
    """The node itself followed by its descendants."""
    return [node_id, *descendants(store, node_id)]


def children(store: ArchiveStore, node_id: int) -> list[int]:
    """Ids of the direct children of ``node_id``."""
    with store.engine.connect() as c:
        rows = c.execute(select(t.node.c.id).where(t.node.c.parent_id == node_id)
                         .order_by(t.node.c.id))
        return [int(r[0]) for r in rows]


def lower_quantiles(passes: Any, fails: Any, epsilon: float) -> Any:
    """Lower ``epsilon``-quantile of Beta(1 + passes, 1 + fails), element-wise (numpy)."""
    import numpy as np
    from scipy.special import betaincinv

    return betaincinv(1.0 + np.asarray(passes, float), 1.0 + np.asarray(fails, float), epsilon)


def best_belief(store: ArchiveStore, epsilon: float = 0.01) -> int | None:
    """The best-belief agent (DESIGN section 4) among valid nodes (see
    :func:`best_belief_index`). None when nothing has been scored."""
    with store.engine.connect() as c:
        rows = c.execute(select(t.node.c.id, t.node.c.n_pass, t.node.c.n_fail).where(
            t.node.c.status.in_([NodeStatus.VALID.value, NodeStatus.EVALUATING.value]),
            (t.node.c.n_pass + t.node.c.n_fail) > 0)).all()
    found = best_belief_index([r[0] for r in rows], [r[1] for r in rows],
                              [r[2] for r in rows], epsilon)
    return None if found is None else int(rows[found][0])


def best_belief_index(ids: Any, passes: Any, fails: Any, epsilon: float) -> int | None:
    """Position (in the given arrays) of the best-belief agent: among entries with at
    least one scored evaluation, the largest lower ε-quantile of Beta(1 + n_s, 1 + n_f);
    ties go to more evaluations, then to the smaller id. None if nothing was scored."""
    import numpy as np

    passes = np.asarray(passes)
    fails = np.asarray(fails)
    scored = np.flatnonzero(passes + fails > 0)
    if scored.size == 0:
        return None
    s, f = passes[scored], fails[scored]
    pairs, inverse = np.unique(np.stack([s, f], axis=1), axis=0, return_inverse=True)
    quantile = lower_quantiles(pairs[:, 0], pairs[:, 1], epsilon)[inverse.ravel()]
    order = np.lexsort((np.asarray(ids)[scored], -(s + f), -quantile))
    return int(scored[order[0]])


def brute_force_clade_counts(store: ArchiveStore) -> dict[int, tuple[int, int]]:
    """Pooled (passes, fails) per node recomputed from the result rows, for checking the
    incremental counts."""
    shape = store.node_paths()
    own: dict[int, list[int]] = {node_id: [0, 0] for node_id, _, _ in shape}
    with store.engine.connect() as c:
        for node_id, verdict in c.execute(select(t.task_result.c.node_id,
                                                 t.task_result.c.verdict)):
            if verdict == "pass":
                own[node_id][0] += 1
            elif verdict == "fail":
                own[node_id][1] += 1
    pooled = {node_id: [0, 0] for node_id in own}
    for node_id, _parent, path in shape:
        for anc in path.rstrip("/").split("/"):
            pooled[int(anc)][0] += own[node_id][0]
            pooled[int(anc)][1] += own[node_id][1]
    return {k: (v[0], v[1]) for k, v in pooled.items()}


def check_clade_counts(store: ArchiveStore) -> list[str]:
    """Differences between stored and recomputed clade counts; empty when they agree."""
    expected = brute_force_clade_counts(store)
    problems = []
    for n in store.nodes():
        if (n.clade_pass, n.clade_fail) != expected[n.id]:
            problems.append(f"node {n.id}: stored clade counts {(n.clade_pass, n.clade_fail)}"
                            f" != recomputed {expected[n.id]}")
    return problems


def to_networkx(store: ArchiveStore) -> nx.DiGraph:
    """The tree as a networkx DiGraph (edges parent -> child) with each node's record."""
    import networkx as nx

    graph = nx.DiGraph()
    nodes: list[NodeRecord] = store.nodes()
    for n in nodes:
        graph.add_node(n.id, record=n)
    graph.add_edges_from((n.parent_id, n.id) for n in nodes if n.parent_id is not None)
    return graph
