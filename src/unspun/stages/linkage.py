"""Linkage: connected components and average-link agglomeration over a sparse graph of scored
pairs, the last step of story clustering (:mod:`.cluster`).

Two implementations of one definition (:func:`average_link`): rounds of reciprocal nearest
neighbours over the whole graph held as a sparse integer matrix (:func:`cluster_rows`), each
round two compiled passes over the edges (:mod:`.kernels`), so cost and memory follow the
edges; and the sparse heap of :func:`average_link` itself, Python dictionaries, which is the
reference the rounds are tested against and the path for scores that are not whole
millionths.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["average_link", "cluster_graph", "cluster_rows", "components", "edge_rows", "groups_of", "take_labels", "upper_graph", "upper_labels"]


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


def upper_graph(n: int, i: npt.NDArray[np.integer[Any]], j: npt.NDArray[np.integer[Any]],
                q: npt.NDArray[np.integer[Any]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any], npt.NDArray[Any]]:
    """Integer edge scores ``(i, j, q)`` over ``n`` nodes as the upper triangle of their
    symmetric matrix, in CSR form ``(indptr, indices, sums)``: each pair once, as (smaller,
    larger), pairs listed twice summed, loops dropped.  Four bytes an index, and four a sum
    when every sum fits."""
    from scipy.sparse import coo_matrix

    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keep = lo != hi
    if not keep.all():
        lo, hi, q = lo[keep], hi[keep], q[keep]
    m = coo_matrix((q.astype(np.int64), (lo.astype(np.int32), hi.astype(np.int32))), shape=(n, n)).tocsr()
    m.sum_duplicates()  # a pair listed twice: its scores add up
    sums = m.data.astype(np.int32) if _top(m.data) < 2**31 else m.data
    return m.indptr.astype(np.int64), m.indices.astype(np.int32, copy=False), sums


def _top(q: npt.NDArray[Any]) -> int:
    """The largest absolute score (0 for none)."""
    return int(np.abs(q).max()) if len(q) else 0


def upper_labels(n: int, indptr: npt.NDArray[np.int64], indices: npt.NDArray[Any], sums: npt.NDArray[Any],
                 tq: int) -> list[int]:
    """Cluster label of each of ``n`` nodes (its smallest member) under average link of the
    graph held as :func:`upper_graph` of integer scores, stopped below the integer threshold
    ``tq``, by rounds of reciprocal nearest neighbours.

    Average link is reducible (a merged cluster is never closer to a third than the nearer of
    its parts), so two clusters that are each other's best neighbour merge in the greedy order
    too, whatever else merges first (Sumengen et al., "Scaling Hierarchical Agglomerative
    Clustering to Billion-sized Datasets", 2021).  Each round merges every such pair at once,
    so the cost follows the edges (no n-by-n matrix); a round is two compiled passes over the
    edges (:mod:`.kernels`: best neighbours, then the edges folded onto the merged clusters,
    a counting sort by row).  Sums are integers, so
    no order of adding rounds them; ties go to the neighbour with the smallest member, as in
    :func:`average_link`.  A cluster whose best mean is below the threshold is final (any
    later mean with it is an average of its present ones) and leaves the graph.

    Memory follows the edges, not the rounds: the graph is kept as its upper triangle (8
    bytes an edge while sums fit int32, 12 after), a round reads it without temporaries, and
    a round's old graph is let go once its edges are folded (in column order, into arrays
    sized once) and before they are put back in row order, so a round holds at most two
    copies of the graph's edges.  Clusters are indexed in
    the order of their smallest member, so "smallest index" and "smallest member" agree.
    """
    return take_labels(n, [indptr, indices, sums], tq)


def take_labels(n: int, graph: list[npt.NDArray[Any]], tq: int) -> list[int]:
    """:func:`upper_labels` of the graph ``[indptr, indices, sums]``, emptying the list: a
    caller that holds no other reference to the arrays has them freed as the first round
    replaces them (at 150 M edges, 1.2 GB less at the peak)."""
    from . import kernels

    sums, indices, indptr = graph.pop(), graph.pop(), graph.pop()
    # The dtypes the compiled loops are built for (kernels.warm_link loads each of them).
    indptr, indices = indptr.astype(np.int64, copy=False), indices.astype(np.int32, copy=False)
    if sums.dtype not in (np.int32, np.int64):
        sums = sums.astype(np.int64)
    lab = np.arange(n, dtype=np.int64)
    active = np.arange(n, dtype=np.int64)  # each cluster's smallest member, ascending
    size = np.ones(n, dtype=np.int64)
    top = _top(sums)  # the largest single pair score
    while len(indices):
        m = len(active)
        best = kernels.best_neighbours(indptr, indices, sums, size, tq)
        mine = np.arange(m)
        mutual = (best > mine) & (best[np.maximum(best, 0)] == mine)
        if not mutual.any():
            break
        live = best >= 0  # clusters with no neighbour at the threshold are final: dropped
        into = mine.copy()
        into[best[mutual]] = mine[mutual]  # the larger index folds into the smaller
        reps = np.flatnonzero(live & (into == mine))
        new = np.full(m, -1, dtype=np.int64)
        new[live] = np.searchsorted(reps, into[live])
        grown = np.bincount(new[live], weights=size[live], minlength=len(reps)).astype(np.int64)
        # A sum over clusters of sizes a and b adds at most a * b pair scores.
        dtype = np.int32 if top * int(grown.max(initial=1)) ** 2 < 2**31 else np.int64
        # Every edge folded onto the merged clusters (a merged pair's own sum is no longer
        # an edge), pairs of clusters summed: in column order first, then, with the old graph
        # let go, by row.
        start, lo, val = kernels.fold_by_column(indptr, indices, sums, new, len(reps), np.empty(len(indices), dtype=dtype))
        del indptr, indices, sums
        indptr, indices, sums = kernels.fold_by_row(start, lo, val, len(reps))
        del start, lo, val
        # Nodes of merged clusters take the new smallest member as their label.
        relabel = np.arange(n, dtype=np.int64)
        relabel[active[best[mutual]]] = active[mutual]
        lab = relabel[lab]
        size = grown
        active = active[reps]
    return [int(x) for x in lab]


def _round_labels(n: int, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], w: npt.NDArray[np.float64],
                  threshold: float) -> list[int] | None:
    """Cluster label of each of ``n`` nodes under average link of the edges ``(i, j, w)``, by
    :func:`upper_labels`; None when the scores are not whole millionths."""
    q = np.rint(w * 1e6)
    tq = round(threshold * 1e6)
    if len(w) and (float(np.abs(q - w * 1e6).max()) > 1e-3 or abs(tq - threshold * 1e6) > 1e-6):
        return None
    return upper_labels(n, *upper_graph(n, i, j, q.astype(np.int64)), tq)


def groups_of(ids: Sequence[str], labels: Sequence[int]) -> list[list[str]]:
    """The ids grouped by label, each group in the order of ``ids``, groups by first member."""
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
    labels = _round_labels(len(ids), i, j, w, threshold)
    if labels is not None:
        return groups_of(ids, labels)
    return average_link(ids, [(ids[a], ids[b], s) for a, b, s in zip(i.tolist(), j.tolist(), w.tolist(), strict=True)],
                        threshold)
