"""Linkage: connected components and average-link agglomeration over a sparse graph of scored
pairs, the last step of story clustering (:mod:`.cluster`).

Two implementations of one definition (:func:`average_link`): a sparse one whose cost follows
the edges, exact to the last tie, for most components; and a dense one (average linkage,
fastcluster's, over the full distance matrix, every missing pair at score 0) for the big components
of a corpus full of copies, where the sparse one spends seconds in Python dictionaries.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["DENSE_FROM", "DENSE_UP_TO", "average_link", "average_link_dense", "cluster_graph", "cluster_rows", "components", "edge_rows"]

# Components of this many articles or more are clustered on the dense matrix.  Below it the
# sparse path is cheap and keeps its exact tie rule; from here on it is several times slower
# (8,027 articles with 2.0 M edges: 6.5 s against 1.4 s; 0.9 s since the linkage is
# fastcluster's).  Above DENSE_UP_TO the matrix (8 bytes a pair, worked on in place) would
# outgrow memory: 16,000 articles is 1 GB.
DENSE_FROM = 1000
DENSE_UP_TO = 16_000


def components(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components, each sorted, the list sorted by first member."""
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for n in parent:
        groups.setdefault(find(n), []).append(n)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def average_link(nodes: Iterable[str], edges: Iterable[tuple[str, str, float]], threshold: float) -> list[list[str]]:
    """Average-link agglomeration over a sparse graph (a missing pair scores 0).

    Repeatedly merges the two clusters with the highest mean pair score while it is at least
    ``threshold``.  Ties go to the pair whose smallest member ids sort first, and every sum is
    accumulated in a fixed order, so the result is a function of the graph alone.

    The heap is lazy: after a merge only the pairs whose sum grew (the absorbed cluster's
    neighbours) get a fresh entry; every other pair of the merged cluster can only have lost
    mean, so its old entry is an upper bound, and it is re-filed at its current mean when it
    reaches the top.  The top entry that is current is therefore the best pair, as if every
    pair had been re-filed after every merge.  A merge folds the cluster with fewer
    neighbours into the one with more (a cluster is held under a handle, and known by its
    smallest member), so a big story absorbing articles one by one costs each article's
    neighbours, not the story's, every time.
    """
    handles = sorted(set(nodes))
    members: dict[str, list[str]] = {n: [n] for n in handles}
    name = {n: n for n in handles}  # handle -> smallest member: the id ties are broken by
    sums: dict[str, dict[str, float]] = {n: {} for n in handles}
    for a, b, s in sorted(edges):
        if a in sums and b in sums and a != b:
            sums[a][b] = sums[a].get(b, 0.0) + s
            sums[b][a] = sums[b].get(a, 0.0) + s
    heap = [(-round(v, 9), x, y, x, y) for x in sums for y, v in sums[x].items() if x < y and v >= threshold]
    heapq.heapify(heap)

    def push(h: str, g: str) -> None:
        mean = sums[h][g] / (len(members[h]) * len(members[g]))
        if mean >= threshold:
            if name[h] > name[g]:
                h, g = g, h
            heapq.heappush(heap, (-round(mean, 9), name[h], name[g], h, g))

    while heap:
        neg, lo, hi, h, g = heapq.heappop(heap)
        if h not in sums or g not in sums or g not in sums[h]:
            continue
        if name[h] != lo or name[g] != hi or round(sums[h][g] / (len(members[h]) * len(members[g])), 9) != -neg:
            push(h, g)  # stale: re-filed as it is now, if it still reaches the threshold
            continue
        keep, gone = (h, g) if len(sums[h]) >= len(sums[g]) else (g, h)
        moved = sums.pop(gone)
        moved.pop(keep, None)
        sums[keep].pop(gone, None)
        grew = sorted(moved)
        for z in grew:
            # The same two sums added as when the smaller id's cluster absorbed the other
            # (addition commutes exactly), so every mean is what a fixed order would give.
            sums[keep][z] = sums[keep].get(z, 0.0) + moved[z]
            sums[z].pop(gone, None)
            sums[z][keep] = sums[keep][z]
        members[keep] += members.pop(gone)
        smallest = min(name[keep], name.pop(gone))
        if smallest != name[keep]:
            name[keep] = smallest
            grew = sorted(sums[keep])  # its entries carry the old name: all re-filed
        for z in grew:
            push(keep, z)
    return sorted((sorted(g) for g in members.values()), key=lambda g: g[0])


def _dense_labels(n: int, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], w: npt.NDArray[np.float64],
                  threshold: float) -> list[int]:
    """Cluster label of each of ``n`` nodes (indices in sorted-id order) under average link
    of the edges ``(i, j, w)``, on the dense matrix."""
    import fastcluster
    from scipy.cluster.hierarchy import fcluster

    lo, hi = np.minimum(i, j), np.maximum(i, j)
    # Row-major index of (lo, hi) in SciPy's condensed upper triangle.
    flat = n * lo - lo * (lo + 1) // 2 + (hi - lo - 1)
    size = n * (n - 1) // 2
    if len(flat) and bool((flat[1:] > flat[:-1]).all()):
        # Each pair once, as candidates come (sorted, distinct): written straight into a
        # matrix filled with C, one pass over the 8 bytes a pair instead of three.
        top = max(1.0, float(w.max()))
        dist = np.full(size, top)
        dist[flat] -= w
    else:
        # A pair listed twice sums, as in the sparse path.  (With no edges bincount gives integers.)
        dist = np.bincount(flat, weights=w, minlength=size).astype(np.float64, copy=False)
        top = max(1.0, float(dist.max()) if len(dist) else 1.0)
        np.subtract(top, dist, out=dist)
    # fastcluster's nearest-neighbour chain merges as SciPy's does (same update, same chain) in
    # half the time, and works on the matrix in place.  Its Python wrapper (1.3.0) copies the
    # input whatever ``preserve_input`` says (``array(X)`` copies under NumPy 2): up to 1 GB
    # and most of the time at 10,000 articles, so the C routine is called as the wrapper would.
    merges = np.empty((n - 1, 4))
    fastcluster.linkage_wrap(n, dist, merges, fastcluster.mthidx["average"])
    labels = fcluster(merges, t=top - threshold + 1e-12, criterion="distance")
    return [int(x) for x in labels]


def _groups(ids: Sequence[str], labels: Sequence[int]) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for x, label in zip(ids, labels, strict=True):
        groups.setdefault(label, []).append(x)
    return sorted(groups.values(), key=lambda g: g[0])


def edge_rows(row: Mapping[str, int], edges: Iterable[tuple[str, str, float]],
              ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Edges ``(a, b, score)`` as arrays of row numbers (``row[a]``, ``row[b]``) and scores;
    an edge with an end outside ``row`` is left out."""
    kept = [(row[a], row[b], s) for a, b, s in edges if a in row and b in row]
    return (np.array([e[0] for e in kept], dtype=np.int64), np.array([e[1] for e in kept], dtype=np.int64),
            np.array([e[2] for e in kept], dtype=np.float64))


def average_link_dense(nodes: Iterable[str], edges: Sequence[tuple[str, str, float]], threshold: float) -> list[list[str]]:
    """:func:`average_link` on the full matrix: average linkage (UPGMA, fastcluster's) over the
    distances ``C - sum of the pair's scores``, missing pairs at ``C``, cut where the mean
    score falls below ``threshold``.

    Average link is the same on distances and on scores, a mean being linear, and ``C`` (the
    largest pair sum, at least 1) only keeps every distance non-negative, as SciPy requires.
    Average linkage is reducible, so the nearest-neighbour chain yields the dendrogram of
    the greedy best-pair-first merges; cut at the threshold it gives :func:`average_link`'s
    clusters.  Only exact ties between two candidate merges (or means within 1e-12 of the
    threshold) may resolve differently: the chain breaks them by position in the sorted ids, not
    by smallest member.  Same clusters on the 10k benchmark's 8,027-article component, on
    real ECB+ graphs and on random ones (``test_dense_average_link_*``).
    """
    ids = sorted(set(nodes))
    if len(ids) < 2:
        return [ids] if ids else []
    i, j, w = edge_rows({x: k for k, x in enumerate(ids)}, edges)
    loop = i == j
    return _groups(ids, _dense_labels(len(ids), i[~loop], j[~loop], w[~loop], threshold))


def cluster_graph(nodes: Iterable[str], edges: Sequence[tuple[str, str, float]], threshold: float) -> list[list[str]]:
    """Average link inside each connected component of the edges at or above ``threshold``,
    with every edge inside a component counted: the clusters of :func:`average_link` over the
    whole graph (a merge needs a mean at the threshold, so one pair at it, so a cluster never
    spans two such components).  Components from ``DENSE_FROM`` to ``DENSE_UP_TO`` nodes go
    the dense way, the others the sparse way; which depends on the component alone, so the
    result is still a function of the graph.  The split runs on integer arrays (SciPy's
    connected components, a sort by component): Python touches an edge only to read it once
    and, in components on the sparse path, to hand it over.
    """
    ids = sorted(set(nodes))
    return cluster_rows(ids, *edge_rows({x: k for k, x in enumerate(ids)}, edges), threshold)


def cluster_rows(ids: Sequence[str], i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], w: npt.NDArray[np.float64],
                 threshold: float) -> list[list[str]]:
    """:func:`cluster_graph` with the nodes as the sorted, distinct ``ids`` and the edges as
    row numbers into them, ``(i[k], j[k], w[k])``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(ids)
    if not n:
        return []
    loop = i == j
    if loop.any():
        i, j, w = i[~loop], j[~loop], w[~loop]
    strong = w >= threshold
    graph = coo_matrix((np.ones(int(strong.sum())), (i[strong], j[strong])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    inside = np.flatnonzero(comp[i] == comp[j])
    inside = inside[np.argsort(comp[i[inside]], kind="stable")]
    numbers = np.arange(comp.max() + 2)  # every component's number, and one past the last
    bounds = np.searchsorted(comp[i[inside]], numbers)
    members = np.argsort(comp, kind="stable")  # node rows by component, ascending within each
    starts = np.searchsorted(comp[members], numbers)
    out: list[list[str]] = []
    for c in range(len(starts) - 1):
        rows_c = members[starts[c] : starts[c + 1]]
        names = [ids[k] for k in rows_c.tolist()]
        if len(names) == 1:
            out.append(names)
            continue
        e = inside[bounds[c] : bounds[c + 1]]
        if DENSE_FROM <= len(names) <= DENSE_UP_TO:
            local_i, local_j = np.searchsorted(rows_c, i[e]), np.searchsorted(rows_c, j[e])
            out.extend(_groups(names, _dense_labels(len(names), local_i, local_j, w[e], threshold)))
        else:
            sub = [(ids[a], ids[b], s) for a, b, s in zip(i[e].tolist(), j[e].tolist(), w[e].tolist(), strict=True)]
            out.extend(average_link(names, sub, threshold))
    return sorted(out, key=lambda g: g[0])
