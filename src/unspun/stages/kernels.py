"""Compiled loops (numba) of candidate generation, pair scoring and the rounds of average
link, used by :mod:`.scoring` and :mod:`.linkage`.

The array path in :mod:`.scoring` scores a batch of pairs with matrix products over the
batch's distinct rows and columns: at 10,000 benchmark articles such a block is 151 rows by
1,665 columns for 20,000 pairs, so twelve products are computed for each one kept, and
making the candidates (a sparse product of key incidences, then a sort and a filter) costs
as much again.  Here one loop per row walks the row's keys, keeps the later articles that
share ``min_shared_keys`` of them, and scores each such pair directly: sparse channels by
scattering the row's weights into a dense scratch vector and gathering the other article's
(no merge of sorted lists, no wasted products), the dense channel as a dot product over the
stored float16 values.

Every score is the array path's (and :func:`~.cluster.similarity`'s) bit for bit:

* a sparse cosine adds the products of the shared words in word order, from zero, as
  ``cosine`` does: the gather walks the other article's words in column (word) order, and a
  word the row lacks adds ``0.0 * w``, a zero, which leaves any partial sum as it is;
* a dense dot is exact in float64 whatever the order when the vectors' norms are at most 4
  (see ``scoring._Table._dense_dots``), so its loop may be reordered and vectorized; columns
  where that does not hold are scored by the array path instead;
* the weighted mix, the time adjustment and their order are ``_Table.scores``'.

Row ranges are independent, so :func:`scoring.scored_rows` runs them on a few threads (the
loops release the GIL) and joins their output in row order: the result does not depend on
the thread count.  Compiled code is cached on disk by numba (``cache=True``): the first call
on a machine compiles for a few seconds, later processes load it
(:func:`scoring.warm_compiled` does both ahead of a timed call).

Average link's rounds (:func:`~.linkage.take_labels`) read the integer graph twice per
round here (best neighbours, then the edges folded onto the merged clusters by two counting
sorts): the same integer sums and float divisions as the array version they replaced, in
about a third of its time at 10k articles, and with one copy of the edges fewer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

__all__ = ["best_neighbours", "fold_by_column", "fold_by_row", "pairs_scored", "rows_scored", "sort_rows", "warm_link"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(**options: Any) -> Callable[[_F], _F]:
    return cast(Callable[[_F], _F], numba.njit(cache=True, nogil=True, **options))


# Slots of the weight vector handed to the loops (floats, so one typed array carries them).
_TERMS, _NAMES, _ENTITIES, _DENSE, _BONUS, _PENALTY, _NEAR, _FAR, _GATE = range(9)


# A float16's exponent and mantissa bits moved into place in a float32 give its value times
# 2**-112, the difference of the two formats' exponent biases (a half subnormal lands on a
# float32 subnormal): scaling by this power of two is exact.
_HALF_SCALE = 2.0**112


@_compiled()
def _unpack(bits: Any, y: int, raw: Any) -> Any:
    """Row ``y`` of the float16 bit patterns as float32 values times 2**-112, exactly (no
    infinity or NaN gets this far, see ``exact_order_free``): a view of ``raw``."""
    for k in range(raw.shape[0]):
        h = np.uint32(bits[y, k])
        raw[k] = ((h & np.uint32(0x7FFF)) << np.uint32(13)) | ((h & np.uint32(0x8000)) << np.uint32(16))
    return raw.view(np.float32)


@_compiled(fastmath={"reassoc", "contract"})
def _dense_dot(row: Any, other: Any) -> float:
    # Exact products summed exactly (norms at most 4): any order, so reassociation is safe.
    # ``other`` is scaled by 2**-112, so the sum is too, exactly.
    s = 0.0
    for k in range(row.shape[0]):
        s += row[k] * np.float64(other[k])
    return s * _HALF_SCALE


@_compiled()
def _gather(ptr: Any, idx: Any, val: Any, scratch: Any, y: int) -> float:
    # Not reassociated: the products of shared words are added in word order, from zero.
    s = 0.0
    for j in range(ptr[y], ptr[y + 1]):
        s += scratch[idx[j]] * val[j]
    return s


@_compiled()
def _scatter(ptr: Any, idx: Any, val: Any, scratch: Any, x: int, clear: bool) -> None:
    for p in range(ptr[x], ptr[x + 1]):
        scratch[idx[p]] = 0.0 if clear else val[p]


@_compiled()
def _later_sharing(x: int, iptr: Any, iidx: Any, kptr: Any, kidx: Any, least: int, count: Any, found: Any) -> int:
    """The rows after ``x`` sharing at least ``least`` keys with it, sorted, into ``found``;
    returns how many.  ``count`` is all zeros on entry and on return."""
    n = 0
    for p in range(iptr[x], iptr[x + 1]):
        k = iidx[p]
        lo, hi = kptr[k], kptr[k + 1]
        while lo < hi:  # the first article of the key's block after x (blocks are sorted)
            mid = (lo + hi) // 2
            if kidx[mid] <= x:
                lo = mid + 1
            else:
                hi = mid
        for q in range(lo, kptr[k + 1]):
            y = kidx[q]
            if count[y] == 0:
                found[n] = y
                n += 1
            count[y] += 1
    kept = 0
    for t in range(n):
        y = found[t]
        if count[y] >= least:
            found[kept] = y
            kept += 1
        count[y] = 0
    found[:kept].sort()
    return kept


@_compiled()
def _time(x: int, y: int, w: Any, year: Any, full: Any, day: Any) -> float:
    if year[x] < 0 or year[y] < 0:
        return 0.0
    if full[x] and full[y]:
        if day[x] < 0 or day[y] < 0:
            return 0.0
        days = abs(day[x] - day[y])
        if days <= w[_NEAR]:
            return float(w[_BONUS])
        if days > w[_FAR]:
            return -float(w[_PENALTY])
        return 0.0
    return float(w[_BONUS]) if year[x] == year[y] else -float(w[_PENALTY])


@_compiled()
def _load(x: int, clear: bool, w: Any, terms: Any, names: Any, entities: Any, parsed: Any, bits: Any,
          scratch: Any, row: Any, raw: Any) -> None:
    """Row ``x``'s sparse channels scattered into the scratch vectors (or cleared again), and
    its dense vector decoded into ``row``."""
    _count, _found, t_scr, n_scr, e_scr = scratch
    if w[_TERMS] != 0.0:
        _scatter(terms[0], terms[1], terms[2], t_scr, x, clear)
    _scatter(names[0], names[1], names[2], n_scr, x, clear)
    if parsed[x]:
        _scatter(entities[0], entities[1], entities[2], e_scr, x, clear)
    if not clear:
        scaled = _unpack(bits, x, raw)
        for j in range(row.shape[0]):
            row[j] = np.float64(scaled[j]) * _HALF_SCALE


@_compiled()
def _score_row(x: int, ys: Any, a: int, b: int, scores: Any, w: Any, terms: Any, names: Any, entities: Any,
               parsed: Any, bits: Any, dim: Any, year: Any, full: Any, day: Any, scratch: Any, row: Any,
               raw: Any) -> None:
    """The scores before rounding of ``x`` (loaded by :func:`_load`) and each of ``ys[a:b]``,
    into ``scores[a:b]``.  One call a row, not a pair: a call per pair, handed the channel
    tuples, cost more than the pair's arithmetic (the 10k benchmark's 1.41 M candidates took
    0.63 s on one thread that way, 0.30 s this way, with the same scores)."""
    _count, _found, t_scr, n_scr, e_scr = scratch
    t_ptr, t_idx, t_val = terms
    n_ptr, n_idx, n_val = names
    e_ptr, e_idx, e_val = entities
    for t in range(a, b):
        y = ys[t]
        num = 0.0
        total = 0.0
        if w[_TERMS] != 0.0:
            num += w[_TERMS] * _gather(t_ptr, t_idx, t_val, t_scr, y)
        total += w[_TERMS]
        num += w[_NAMES] * _gather(n_ptr, n_idx, n_val, n_scr, y)
        total += w[_NAMES]
        if parsed[x] and parsed[y]:
            num += w[_ENTITIES] * _gather(e_ptr, e_idx, e_val, e_scr, y)
            total += w[_ENTITIES]
        if dim[x] >= 0 and dim[x] == dim[y]:
            num += w[_DENSE] * _dense_dot(row, _unpack(bits, y, raw))
            total += w[_DENSE]
        if total == 0.0:
            total = 1.0
        content: float = num / total
        scores[t] = content + _time(x, y, w, year, full, day) if content >= w[_GATE] else content


@_compiled()
def rows_scored(lo: int, hi: int, inc: Any, by_key: Any, least: int, w: Any, terms: Any, names: Any, entities: Any,
                parsed: Any, bits: Any, dim: Any, year: Any, full: Any, day: Any,
                scratch: Any) -> tuple[Any, Any, Any]:
    """For rows ``lo`` to ``hi``: how many candidates each row has, their columns (ascending
    within a row) and their scores before rounding.

    ``inc`` and ``by_key`` are (indptr, indices) of the article-by-live-key matrix and its
    transpose; ``terms``, ``names``, ``entities`` are (indptr, indices, data) of the channels'
    CSR matrices (``terms`` empty when its weight is 0); ``scratch`` holds a zeroed int32 and
    int64 array of the row count and zeroed float64 arrays of each vocabulary's size.
    """
    count, found = scratch[0], scratch[1]
    per_row = np.zeros(hi - lo, np.int64)
    ys = np.empty(1024, np.int32)
    m = 0
    for x in range(lo, hi):
        k = _later_sharing(x, inc[0], inc[1], by_key[0], by_key[1], least, count, found)
        per_row[x - lo] = k
        if m + k > ys.shape[0]:
            grown = np.empty(max(2 * ys.shape[0], m + k), np.int32)
            grown[:m] = ys[:m]
            ys = grown
        for t in range(k):
            ys[m + t] = found[t]
        m += k
    scores = np.empty(m, np.float64)
    row = np.zeros(bits.shape[1], np.float64)
    raw = np.zeros(bits.shape[1], np.uint32)
    at = 0
    for x in range(lo, hi):
        k = per_row[x - lo]
        if k == 0:
            continue
        _load(x, False, w, terms, names, entities, parsed, bits, scratch, row, raw)
        _score_row(x, ys, at, at + k, scores, w, terms, names, entities, parsed, bits, dim, year, full, day, scratch, row, raw)
        _load(x, True, w, terms, names, entities, parsed, bits, scratch, row, raw)
        at += k
    return per_row, ys[:m].copy(), scores


@_compiled()
def pairs_scored(xs: Any, ys: Any, w: Any, terms: Any, names: Any, entities: Any, parsed: Any, bits: Any, dim: Any,
                 year: Any, full: Any, day: Any, scratch: Any) -> Any:
    """The scores before rounding of the given row pairs (any order; a run of pairs with the
    same first row loads that row once), as :func:`rows_scored` scores its candidates."""
    scores = np.empty(xs.shape[0], np.float64)
    row = np.zeros(bits.shape[1], np.float64)
    raw = np.zeros(bits.shape[1], np.uint32)
    t = 0
    while t < xs.shape[0]:
        x = xs[t]
        end = t + 1
        while end < xs.shape[0] and xs[end] == x:
            end += 1
        _load(x, False, w, terms, names, entities, parsed, bits, scratch, row, raw)
        _score_row(x, ys, t, end, scores, w, terms, names, entities, parsed, bits, dim, year, full, day, scratch, row, raw)
        _load(x, True, w, terms, names, entities, parsed, bits, scratch, row, raw)
        t = end
    return scores


@_compiled()
def sort_rows(indptr: Any, cols: Any, vals: Any) -> None:
    """Each CSR row's entries ordered by column, in place (insertion sort: rows hold tens of
    words, and the columns of a row are distinct)."""
    for r in range(indptr.shape[0] - 1):
        a, b = indptr[r], indptr[r + 1]
        for i in range(a + 1, b):
            c, v = cols[i], vals[i]
            j = i - 1
            while j >= a and cols[j] > c:
                cols[j + 1] = cols[j]
                vals[j + 1] = vals[j]
                j -= 1
            cols[j + 1] = c
            vals[j + 1] = v


# --- average link (see linkage.take_labels) ----------------------------------------------


@_compiled()
def _mean(total: Any, pair: Any, tq: int) -> float:
    """A pair of clusters' mean score, when it reaches the threshold (its sum at least ``tq``
    times the pair count); -1 otherwise."""
    return total / pair if total >= tq * pair else -1.0


@_compiled()
def best_neighbours(indptr: Any, indices: Any, sums: Any, size: Any, tq: int) -> Any:
    """Each cluster's best neighbour (-1: none at the threshold): the highest mean pair score
    (a sum over the product of the sizes; only pairs whose sum reaches ``tq`` times it), ties
    to the smallest index, over the upper triangle read both ways."""
    m = size.shape[0]
    top = np.full(m, -1.0)
    for r in range(m):
        for p in range(indptr[r], indptr[r + 1]):
            c = indices[p]
            mean = _mean(sums[p], size[r] * size[c], tq)
            top[r] = max(top[r], mean)
            top[c] = max(top[c], mean)
    low = np.full(m, m, np.int64)
    for r in range(m):
        for p in range(indptr[r], indptr[r + 1]):
            c = indices[p]
            mean = _mean(sums[p], size[r] * size[c], tq)
            if mean >= 0.0 and mean == top[r] and c < low[r]:
                low[r] = c
            if mean >= 0.0 and mean == top[c] and r < low[c]:
                low[c] = r
    for r in range(m):
        if low[r] == m:
            low[r] = -1
    return low


@_compiled()
def _folded(new: Any, r: int, c: int) -> tuple[int, int]:
    """Edge ``(r, c)`` on the merged clusters as (smaller, larger); (-1, -1) when an end is
    gone or both ends are in one cluster (a merged pair's own sum is no longer an edge)."""
    a, b = new[r], new[c]
    if a < 0 or b < 0 or a == b:
        return -1, -1
    return min(a, b), max(a, b)


@_compiled()
def fold_by_column(indptr: Any, indices: Any, sums: Any, new: Any, m: int, val: Any) -> tuple[Any, Any, Any]:
    """First half of a round's fold: the upper-triangle graph with each node ``r`` moved to
    cluster ``new[r]`` (-1: gone) and edges inside a cluster dropped, as its edges in column
    order (a counting sort): where each column's edges start, their rows, their sums (written
    into ``val``, as long as the graph and of the dtype the caller needs; a prefix of it is
    returned).  The caller lets the old graph go before :func:`fold_by_row`, so a round holds
    two copies of the edges at most."""
    rows = indptr.shape[0] - 1
    start = np.zeros(m + 1, np.int64)
    for r in range(rows):
        for p in range(indptr[r], indptr[r + 1]):
            a, b = _folded(new, r, indices[p])
            if a >= 0:
                start[b + 1] += 1
    for k in range(m):
        start[k + 1] += start[k]
    lo = np.empty(start[m], np.int32)
    at = start[:m].copy()
    for r in range(rows):
        for p in range(indptr[r], indptr[r + 1]):
            a, b = _folded(new, r, indices[p])
            if a >= 0:
                lo[at[b]] = a
                val[at[b]] = sums[p]
                at[b] += 1
    return start, lo, val[: start[m]]


@_compiled()
def fold_by_row(start: Any, lo: Any, val: Any, m: int) -> tuple[Any, Any, Any]:
    """Second half: :func:`fold_by_column`'s edges as CSR by row (a stable counting sort, so
    each row's columns ascend), a pair of clusters listed more than once summed (integers:
    any order gives the same sum)."""
    count = np.zeros(m + 1, np.int64)
    for q in range(lo.shape[0]):
        count[lo[q] + 1] += 1
    for k in range(m):
        count[k + 1] += count[k]
    col = np.empty(lo.shape[0], np.int32)
    out = np.empty_like(val)
    at = count[:m].copy()
    for h in range(m):
        for q in range(start[h], start[h + 1]):
            r = lo[q]
            col[at[r]] = h
            out[at[r]] = val[q]
            at[r] += 1
    indptr = np.zeros(m + 1, np.int64)
    k = 0
    for r in range(m):
        last = -1
        for q in range(count[r], count[r + 1]):  # k never passes q: compacting in place is safe
            if col[q] == last:
                out[k - 1] += out[q]
            else:
                col[k] = col[q]
                out[k] = out[q]
                k += 1
                last = col[q]
        indptr[r + 1] = k
    return indptr, col[:k], out[:k]


def warm_link() -> None:
    """Load (or compile) every signature average link calls: sums as int32 or int64, and a
    round that widens them."""
    ptr, idx, size = np.array([0, 1, 1], np.int64), np.array([1], np.int32), np.ones(2, np.int64)
    for dtype in (np.int32, np.int64):
        best_neighbours(ptr, idx, np.array([5], dtype), size, 1)
    for a, b in ((np.int32, np.int32), (np.int32, np.int64), (np.int64, np.int64)):
        fold_by_row(*fold_by_column(ptr, idx, np.array([5], a), np.array([0, 1], np.int64), 2, np.empty(1, b)), 2)
