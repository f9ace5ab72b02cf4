"""Linkage: connected components and average-link agglomeration over a sparse graph of scored
pairs, the last step of story clustering (:mod:`.cluster`).

Two implementations of one definition (:func:`average_link`): rounds of reciprocal nearest
neighbours over the whole graph as sparse integer matrices (:func:`cluster_rows`), whose cost
and memory follow the edges and stay in C; and the sparse heap of :func:`average_link` itself,
Python dictionaries, which is the reference the rounds are tested against and the path for
scores that are not whole millionths.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["average_link", "cluster_graph", "cluster_rows", "components", "edge_rows"]


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


def _round_labels(n: int, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], w: npt.NDArray[np.float64],
                  threshold: float) -> list[int] | None:
    """Cluster label of each of ``n`` nodes under average link of the edges ``(i, j, w)``, by
    rounds of reciprocal nearest neighbours; None when the scores are not whole millionths.

    Average link is reducible (a merged cluster is never closer to a third than the nearer of
    its parts), so two clusters that are each other's best neighbour merge in the greedy order
    too, whatever else merges first (Sumengen et al., "Scaling Hierarchical Agglomerative
    Clustering to Billion-sized Datasets", 2021).  Each round merges every such pair at once
    with sparse products, so the cost follows the edges (no n-by-n matrix) and stays in C.
    Sums are integers (scores are rounded to millionths), so no order of adding rounds them;
    ties go to the neighbour with the smallest member, as in :func:`average_link`.  A cluster
    whose best mean is below the threshold is final (any later mean with it is an average of
    its present ones) and leaves the graph.
    """
    from scipy.sparse import coo_matrix, csr_matrix

    q = np.rint(w * 1e6)
    tq = round(threshold * 1e6)
    if len(w) and (float(np.abs(q - w * 1e6).max()) > 1e-3 or abs(tq - threshold * 1e6) > 1e-6):
        return None
    # Row numbers and labels as int32 (half the memory of the first round's temporaries, the
    # peak of a big run); sums stay int64.
    idx = np.int32 if n < 2**31 - 1 else np.int64
    lab = np.arange(n, dtype=idx)  # each node's cluster, known by its smallest member
    active: npt.NDArray[Any] = np.arange(n, dtype=idx)  # the smallest member of each cluster still in play
    size = np.ones(n, dtype=np.int64)
    sums = coo_matrix((np.concatenate([q, q]).astype(np.int64),
                       (np.concatenate([i, j]).astype(idx), np.concatenate([j, i]).astype(idx))), shape=(n, n)).tocsr()
    del q
    sums.sum_duplicates()
    while sums.nnz:
        m = sums.shape[0]
        counts = np.diff(sums.indptr)
        row = np.repeat(np.arange(m, dtype=idx), counts)
        pair = size[row] * size[sums.indices]
        reach = sums.data >= tq * pair
        mean = np.divide(sums.data, pair, out=np.full(len(pair), -1.0), where=reach)
        del pair
        has = counts > 0
        starts = sums.indptr[:-1][has]
        best_mean = np.full(m, -1.0)
        best_mean[has] = np.maximum.reduceat(mean, starts)
        tied = np.where(reach & (mean == best_mean[row]), active[sums.indices], n)
        del mean, reach
        best_low = np.full(m, n, dtype=tied.dtype)
        best_low[has] = np.minimum.reduceat(tied, starts)
        del tied
        at = np.full(n + 1, -1, dtype=np.int64)
        at[active] = np.arange(m)
        best = at[best_low]  # -1: no neighbour at the threshold
        mine = np.arange(m)
        mutual = (best > mine) & (best[np.maximum(best, 0)] == mine)
        live = best >= 0
        if not mutual.any():
            break
        into = mine.copy()
        into[best[mutual]] = mine[mutual]
        into = into[live]  # clusters with no neighbour at the threshold are final: dropped
        kept = np.flatnonzero(live)
        new, inv = np.unique(into, return_inverse=True)
        fold = csr_matrix((np.ones(len(kept), dtype=np.int64), (kept, inv)), shape=(m, len(new)))
        del row
        merged = (fold.T @ sums @ fold).tocsr()
        del sums
        # A merged pair's own sum is no longer an edge: the diagonal goes.
        row = np.repeat(np.arange(merged.shape[0], dtype=idx), np.diff(merged.indptr))
        off = merged.indices != row
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row[off], minlength=merged.shape[0]))])
        sums = csr_matrix((merged.data[off], merged.indices[off], indptr), shape=merged.shape)
        del merged, row, off
        new_low = np.full(len(new), n, dtype=idx)
        np.minimum.at(new_low, inv, active[kept])
        # Nodes of merged clusters take the new smallest member as their label.
        relabel = np.arange(n + 1, dtype=idx)
        relabel[active[kept]] = new_low[inv]
        lab = relabel[lab]
        size = np.bincount(inv, weights=size[kept], minlength=len(new)).astype(np.int64)
        active = new_low
    return [int(x) for x in lab]


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


def cluster_graph(nodes: Iterable[str], edges: Sequence[tuple[str, str, float]], threshold: float) -> list[list[str]]:
    """The clusters of :func:`average_link` over the graph, by :func:`cluster_rows`."""
    ids = sorted(set(nodes))
    return cluster_rows(ids, *edge_rows({x: k for k, x in enumerate(ids)}, edges), threshold)


def cluster_rows(ids: Sequence[str], i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], w: npt.NDArray[np.float64],
                 threshold: float) -> list[list[str]]:
    """:func:`average_link` with the nodes as the sorted, distinct ``ids`` and the edges as row
    numbers into them, ``(i[k], j[k], w[k])``: by reciprocal rounds, or by the heap itself for
    scores that are not whole millionths (no scorer makes those; hand-made graphs can)."""
    if not len(ids):
        return []
    loop = i == j
    if loop.any():
        i, j, w = i[~loop], j[~loop], w[~loop]
    labels = _round_labels(len(ids), i, j, w, threshold)
    if labels is not None:
        return _groups(ids, labels)
    return average_link(ids, [(ids[a], ids[b], s) for a, b, s in zip(i.tolist(), j.tolist(), w.tolist(), strict=True)],
                        threshold)
