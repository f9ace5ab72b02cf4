"""Story features as columns, and pair scoring in bulk: the arrays behind :mod:`.cluster`.

:class:`Columns` holds every channel of a set of articles as arrays (a float16 matrix for the
dense vectors, CSR matrices for the word vectors and blocking keys, integer codes for the
time anchors), about 1 KB an article where the :class:`~unspun.records.StoryFeatures`
dictionaries take 24 KB.  Columns are built per chunk (:func:`columns_of`, in a worker
process if the caller likes) and joined (:func:`concat_columns`): every vocabulary is sorted
and a chunk's sorted vocabulary maps into the joined one in the same order, so each row's
words stay in word order, the order :func:`~.cluster.cosine` sums in.

:func:`scored_rows` makes candidate pairs a block of rows at a time (the article-by-key
incidence matrix times its transpose) and scores each block as it is made, so only edges are
ever held, never the candidate list.  Every score equals :func:`~.cluster.similarity` for its
pair bit for bit, whatever else shares its batch.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import os
import queue
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from ..records import StoryFeatures

if TYPE_CHECKING:
    from .cluster import ClusterConfig

__all__ = ["CANDIDATE_BLOCK", "Bag", "Columns", "columns_of", "concat_columns", "scored_graph", "scored_rows", "unpack",
           "warm_compiled"]

# Rows per block of the candidate product: bounds its output (a row's co-keyed articles; at a
# million benchmark articles about 2,000 a row, some 20 bytes each while a block is read, so
# about 200 MB a block, where 20,000 rows held about 800 MB).
CANDIDATE_BLOCK = 5_000
# Pairs scored per batch: bounds the gathered rows (dense vectors in float64) to tens of MB.
_BATCH = 20_000


def unpack(packed: str) -> npt.NDArray[np.float32] | None:
    """A stored dense vector (base64 little-endian float16) as float32; None for ""."""
    if not packed:
        return None
    return np.frombuffer(base64.b64decode(packed), dtype="<f2").astype(np.float32)


def _day(anchor: str) -> int:
    try:
        return date.fromisoformat(anchor[:10]).toordinal()
    except ValueError:
        return -1


@dataclass(frozen=True, slots=True)
class Bag:
    """Word vectors of many articles: a CSR matrix (float64 weights, int32 columns) whose
    columns are the sorted ``vocab``; each row's columns ascend, so in word order."""

    matrix: Any
    vocab: tuple[str, ...]


def _bag(vectors: Sequence[Mapping[str, float]] | Sequence[Sequence[str]], ones: bool = False) -> Bag:
    """The bag of ``vectors``; with ``ones``, they are sequences of distinct words of weight 1
    (blocking keys)."""
    from scipy.sparse import csr_matrix

    from . import kernels

    # One pass over every word in C (chain), then each row's entries sorted by column in a
    # compiled loop: sorting each article's items in Python cost a third of clustering 10k
    # articles, and one numpy sort of all of them by (row, column) still a sixth.
    flat = list(itertools.chain.from_iterable(vectors))
    words = sorted(set(flat))
    col = dict(zip(words, range(len(words)), strict=True))
    sizes = np.fromiter(map(len, vectors), dtype=np.int64, count=len(vectors))
    cols = np.fromiter(map(col.__getitem__, flat), dtype=np.int32, count=len(flat))
    if ones:
        vals = np.ones(len(flat), dtype=np.float64)
    else:
        weights = itertools.chain.from_iterable(v.values() for v in cast(Sequence[Mapping[str, float]], vectors))
        vals = np.fromiter(weights, dtype=np.float64, count=len(flat))
    indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    kernels.sort_rows(indptr, cols, vals)  # a row's words in word order
    m = csr_matrix((vals, cols, indptr), shape=(len(vectors), max(1, len(words))))
    if ones:  # a word listed twice is still one key
        m.sum_duplicates()
        m.data[:] = 1.0
    return Bag(m, tuple(words))


def _dense_rows(packed: Sequence[str]) -> tuple[npt.NDArray[np.float16], npt.NDArray[np.int64]]:
    """Stored dense vectors (base64 float16) as a zero-padded float16 matrix and each row's
    width (-1 for none); vectors of one width (the usual case) are decoded as one buffer."""
    raw = list(map(binascii.a2b_base64, packed))  # what base64.b64decode does, less its per-call wrapper
    sizes = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    dim = np.where(sizes > 0, sizes // 2, -1)
    width = max(int(dim.max(initial=0)), 1)
    if len(raw) and bool((dim == width).all()):
        return np.frombuffer(b"".join(raw), dtype="<f2").reshape(len(raw), width).astype(np.float16), dim
    dense = np.zeros((len(raw), width), dtype=np.float16)
    for k, r in enumerate(raw):
        if r:
            dense[k, : len(r) // 2] = np.frombuffer(r, dtype="<f2")
    return dense, dim


@dataclass(frozen=True, slots=True)
class Columns:
    """The story features of a set of articles, row ``k`` for ``ids[k]`` (sorted, distinct).

    ``dense`` is the float16 vectors (zero-padded to the widest; ``dim`` is a row's width, -1
    without a vector), ``terms`` (None when not kept: a weight of 0 never reads them),
    ``names``, ``entities`` and ``keys`` are :class:`Bag` s (key weights are 1), ``parsed``
    says whether a parser ran, and the anchor is ``full`` (a whole date), ``day`` (its day
    number, -1 when unreadable) and ``year`` (the first four characters' index in ``years``,
    -1 without an anchor).
    """

    ids: tuple[str, ...]
    dense: npt.NDArray[np.float16]
    dim: npt.NDArray[np.int64]
    terms: Bag | None
    names: Bag
    entities: Bag
    keys: Bag
    parsed: npt.NDArray[np.bool_]
    full: npt.NDArray[np.bool_]
    day: npt.NDArray[np.int64]
    year: npt.NDArray[np.int64]
    years: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.ids)


def columns_of(feats: Mapping[str, StoryFeatures], with_terms: bool = True) -> Columns:
    """Columns of ``feats``, rows in id order.  ``with_terms=False`` leaves the term vectors
    out (a hundred words an article that a zero ``terms`` weight never reads)."""
    ids = tuple(sorted(feats))
    fs = [feats[i] for i in ids]
    dense, dim = _dense_rows([f.dense for f in fs])
    years = tuple(sorted({f.anchor[:4] for f in fs if f.anchor}))
    code = {y: k for k, y in enumerate(years)}
    full = np.array([len(f.anchor or "") >= 10 for f in fs], dtype=bool)
    return Columns(
        ids=ids, dense=dense, dim=dim,
        terms=_bag([f.terms for f in fs]) if with_terms else None,
        names=_bag([f.names for f in fs]),
        entities=_bag([f.entities for f in fs]),
        keys=_bag([f.keys for f in fs], ones=True),
        parsed=np.array([f.parsed for f in fs], dtype=bool),
        full=full,
        day=np.array([_day(f.anchor or "") if x else -1 for f, x in zip(fs, full.tolist(), strict=True)], dtype=np.int64),
        year=np.array([code[f.anchor[:4]] if f.anchor else -1 for f in fs], dtype=np.int64),
        years=years,
    )


def _join_bags(bags: Sequence[Bag]) -> Bag:
    """One bag of the rows of ``bags`` in turn.  A chunk's sorted vocabulary maps into the
    joined sorted one in the same order, so every row's columns still ascend."""
    from scipy.sparse import csr_matrix

    words = sorted(set().union(*(b.vocab for b in bags)))
    col = {w: k for k, w in enumerate(words)}
    parts, indptr, rows, filled = [], [np.zeros(1, dtype=np.int64)], 0, 0
    for b in bags:
        m = b.matrix
        where = np.fromiter((col[w] for w in b.vocab), dtype=np.int32, count=len(b.vocab))
        parts.append((where[m.indices], m.data))
        indptr.append(np.asarray(m.indptr[1:], dtype=np.int64) + filled)
        rows += m.shape[0]
        filled += m.nnz
    del col
    cols = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, dtype=np.int32)
    vals = np.concatenate([v for _, v in parts]) if parts else np.zeros(0)
    return Bag(csr_matrix((vals, cols, np.concatenate(indptr)), shape=(rows, max(1, len(words)))), tuple(words))


def concat_columns(parts: Sequence[Columns]) -> Columns:
    """The columns of every part, as :func:`columns_of` would build them over the union
    (rows in id order; the ids must be distinct)."""
    if len(parts) == 1:
        return parts[0]
    ids = tuple(i for p in parts for i in p.ids)
    ordered = all(a < b for a, b in itertools.pairwise(ids))
    order = None if ordered else np.argsort(np.array(ids, dtype=object), kind="stable")
    width = max((p.dense.shape[1] for p in parts), default=1)
    dense = np.zeros((len(ids), width), dtype=np.float16)
    at = 0
    for p in parts:
        dense[at : at + len(p), : p.dense.shape[1]] = p.dense
        at += len(p)
    years = tuple(sorted(set().union(*(p.years for p in parts))))
    code = {y: k for k, y in enumerate(years)}
    year = np.concatenate([np.append(np.array([code[y] for y in p.years], dtype=np.int64), -1)[p.year] for p in parts])
    out = Columns(
        ids=ids, dense=dense, dim=np.concatenate([p.dim for p in parts]),
        terms=_join_bags([p.terms for p in parts if p.terms is not None]) if all(p.terms is not None for p in parts) else None,
        names=_join_bags([p.names for p in parts]),
        entities=_join_bags([p.entities for p in parts]),
        keys=_join_bags([p.keys for p in parts]),
        parsed=np.concatenate([p.parsed for p in parts]), full=np.concatenate([p.full for p in parts]),
        day=np.concatenate([p.day for p in parts]), year=year, years=years,
    )
    if order is None:
        return out
    return _take(out, order)


def _take(c: Columns, order: npt.NDArray[np.int64]) -> Columns:
    def bag(b: Bag) -> Bag:
        return Bag(b.matrix[order], b.vocab)

    return Columns(ids=tuple(c.ids[k] for k in order.tolist()), dense=c.dense[order], dim=c.dim[order],
                   terms=bag(c.terms) if c.terms is not None else None, names=bag(c.names), entities=bag(c.entities),
                   keys=bag(c.keys), parsed=c.parsed[order], full=c.full[order], day=c.day[order], year=c.year[order],
                   years=c.years)


# --- scoring ---------------------------------------------------------------------------


def _round6(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``round(x, 6)`` of each value, as Python gives it (what :func:`~.cluster.similarity`
    returns).

    numpy scales by 10**6, rounds half to even and divides back; away from a half-way point
    the integer it picks is Python's, and dividing it by 10**6 gives the nearest double to the
    decimal, as Python does.  Near a half-way point the scaled product's own rounding can
    tip it the other way, so those few go through Python's correctly rounded ``round``.
    """
    scaled = v * 1e6
    out = np.round(v, 6)
    tie = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if len(tie):
        out[tie] = [round(t, 6) for t in v[tie].tolist()]
    return out


class _Pairs:
    """A batch of row pairs ``(x[k], y[k])`` with its distinct rows and columns (and where each
    pair's are among them), found once for every channel's product."""

    __slots__ = ("cols", "rows", "x", "xr", "y", "yc")

    def __init__(self, x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]) -> None:
        self.x, self.y = x, y
        self.rows, self.xr = np.unique(x, return_inverse=True)
        self.cols, self.yc = np.unique(y, return_inverse=True)

    @property
    def compact(self) -> bool:
        """The block of distinct rows by distinct columns is at most 64 times the batch."""
        return len(self.rows) * len(self.cols) <= 64 * len(self.x)


class _Table:
    """Scores pairs of rows of :class:`Columns` at once, channel by channel."""

    def __init__(self, cols: Columns, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        self.c = cols
        if cfg.terms and cols.terms is None:
            raise ValueError("the terms channel has a weight but the columns were built without terms")
        # See :meth:`_dense_dots`: stored vectors are float16 values; their norms must be at most 4.
        # A few thousand rows at a time: the whole matrix in float64 would be 2 GB at a million.
        self.exact_order_free = all(
            bool((np.sqrt(np.square(cols.dense[lo : lo + CANDIDATE_BLOCK], dtype=np.float64).sum(axis=1)) <= 4.0).all())
            for lo in range(0, len(cols), CANDIDATE_BLOCK))

    @staticmethod
    def _rowdot(m: Any, p: _Pairs) -> npt.NDArray[np.float64]:
        """Sparse dot products of row pairs, each equal to :func:`~.cluster.cosine` bit for bit.

        SciPy's sparse product adds an output entry's products in the order of the left row's
        columns, which are in word order: the order ``cosine`` sums in, from the same zero.
        (An elementwise product summed along rows does not keep that order.)  One product
        over the batch's distinct rows and columns serves every pair when that block is not
        much bigger than the batch; otherwise the batch is halved until it is, which pairs
        sorted by row (as candidates come) never need.
        """
        if not len(p.x):
            return np.zeros(0, dtype=np.float64)
        if not p.compact and len(p.x) > 1:
            h = len(p.x) // 2
            return np.concatenate([_Table._rowdot(m, _Pairs(p.x[:h], p.y[:h])), _Table._rowdot(m, _Pairs(p.x[h:], p.y[h:]))])
        block = (m[p.rows] @ m[p.cols].T).toarray()
        out: npt.NDArray[np.float64] = np.asarray(block[p.xr, p.yc], dtype=np.float64)
        return out

    def scores(self, x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        cfg, c = self.cfg, self.c
        p = _Pairs(x, y)
        # The weighted mix of :func:`~.cluster.similarity`, channel by channel in its order.
        num = np.zeros(len(x), dtype=np.float64)
        total = np.zeros(len(x), dtype=np.float64)
        if cfg.terms and c.terms is not None:
            num += cfg.terms * self._rowdot(c.terms.matrix, p)
        total += cfg.terms
        num += cfg.names * self._rowdot(c.names.matrix, p)
        total += cfg.names
        both = c.parsed[x] & c.parsed[y]
        if both.any():
            num += np.where(both, cfg.entities * self._rowdot(c.entities.matrix, p), 0.0)
            total += np.where(both, cfg.entities, 0.0)
        dense = (c.dim[x] >= 0) & (c.dim[x] == c.dim[y])
        if dense.any():
            dot = self._dense_dots(p)
            num += np.where(dense, cfg.dense * dot, 0.0)
            total += np.where(dense, cfg.dense, 0.0)
        total = np.where(total == 0, 1.0, total)
        content = num / total
        return content + np.where(content >= cfg.time_min_content, self._time(x, y), 0.0)

    def _dense_dots(self, p: _Pairs) -> npt.NDArray[np.float64]:
        """Dense dot products of row pairs, equal to the pairwise float64 sum bit for bit.

        Stored vectors are float16 values, so every product is a multiple of 2**-48 with at
        most 22 significant bits, and while the absolute products of a pair sum to at most 32
        (unit vectors: 1) every partial sum is exact in float64: no summation order rounds.
        So a matrix product over the batch's distinct rows and columns (BLAS, in C) gives the
        pairwise sum's numbers; it is used when it is not much bigger than the batch.
        """
        d = self.c.dense
        if self.exact_order_free and p.compact:
            block: npt.NDArray[np.float64] = d[p.rows].astype(np.float64) @ d[p.cols].astype(np.float64).T
            return block[p.xr, p.yc]
        dots: npt.NDArray[np.float64] = (d[p.x].astype(np.float64) * d[p.y].astype(np.float64)).sum(axis=1)
        return dots

    def _time(self, x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        cfg, c = self.cfg, self.c
        out = np.zeros(len(x), dtype=np.float64)
        has = (c.year[x] >= 0) & (c.year[y] >= 0)
        both_full = has & c.full[x] & c.full[y]
        valid = both_full & (c.day[x] >= 0) & (c.day[y] >= 0)
        days = np.abs(c.day[x] - c.day[y])
        out = np.where(valid & (days <= cfg.near_days), cfg.time_bonus, out)
        out = np.where(valid & (days > cfg.far_days), -cfg.time_penalty, out)
        same_year = c.year[x] == c.year[y]
        partial = has & ~both_full
        out = np.where(partial & same_year, cfg.time_bonus, out)
        return np.where(partial & ~same_year, -cfg.time_penalty, out)


def _incidence(cols: Columns, cfg: ClusterConfig) -> Any:
    """The article-by-key matrix with purged keys' entries (keys filed under more than
    ``cfg.max_block`` articles) removed."""
    inc = cols.keys.matrix.astype(np.int32)
    live = np.bincount(inc.indices, minlength=inc.shape[1]) <= cfg.max_block
    inc.data = live[inc.indices].astype(np.int32)
    inc.eliminate_zeros()
    return inc


def candidate_blocks(cols: Columns, cfg: ClusterConfig, rows: Sequence[tuple[int, int]] | None = None,
                     ) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """Row pairs ``x < y`` sharing at least ``cfg.min_shared_keys`` live keys, a block of
    rows at a time, in (x, y) order; with ``rows``, ranges ``(start, stop)``, only the pairs
    whose ``x`` is in one of them, range by range (an engine splits the work so: disjoint
    ranges covering every row give every pair once)."""
    inc = _incidence(cols, cfg)
    by_key = inc.T.tocsr()
    for start, stop in rows if rows is not None else [(0, len(cols))]:
        for lo in range(start, stop, CANDIDATE_BLOCK):
            yield _candidates(inc, by_key, lo, min(lo + CANDIDATE_BLOCK, stop), cfg)


def _candidates(inc: Any, by_key: Any, lo: int, hi: int, cfg: ClusterConfig,
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The candidate pairs of rows ``lo`` to ``hi``: one product of their keys with every row's."""
    shared = inc[lo:hi] @ by_key
    shared.sort_indices()
    row = np.repeat(np.arange(lo, lo + shared.shape[0], dtype=np.int64), np.diff(shared.indptr))
    keep = (shared.indices > row) & (shared.data >= cfg.min_shared_keys)
    return row[keep], shared.indices[keep].astype(np.int64)


# Rows per call of the compiled loop: small enough that threads share a block's rows evenly
# (the first rows of the upper triangle have the most pairs), big enough that a call's cost
# is the loop's.
_KERNEL_ROWS = 128
# Given pairs per call of the compiled loop (same reasoning).
_KERNEL_PAIRS = 8192
# Threads for the compiled loop: the machine's cores, at most 8 (the output is the same).
_THREADS = max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


class _Loops:
    """:mod:`.kernels`' loops over one set of columns: the arrays they read, in one set of
    dtypes whatever sizes SciPy picked (so each loop has one compiled signature), and a
    scratch set per thread.  Work is cut into spans that threads share; their output is
    joined in span order, so nothing depends on the thread count."""

    def __init__(self, cols: Columns, cfg: ClusterConfig, walk: bool) -> None:
        self.cols, self.cfg = cols, cfg

        def csr(b: Bag | None) -> tuple[Any, ...]:
            if b is None:
                return (np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float64))
            m = b.matrix
            return (m.indptr.astype(np.int64, copy=False), m.indices.astype(np.int32, copy=False),
                    m.data.astype(np.float64, copy=False))

        self.keyed: list[tuple[Any, Any]] = []
        if walk:
            inc = _incidence(cols, cfg)
            inc.sort_indices()
            by_key = inc.T.tocsr()
            by_key.sort_indices()
            self.keyed = [(m.indptr.astype(np.int64, copy=False), m.indices.astype(np.int32, copy=False))
                          for m in (inc, by_key)]
        self.channels = (csr(cols.terms if cfg.terms else None), csr(cols.names), csr(cols.entities))
        self.w = np.array([cfg.terms, cfg.names, cfg.entities, cfg.dense, cfg.time_bonus, cfg.time_penalty,
                           cfg.near_days, cfg.far_days, cfg.time_min_content], dtype=np.float64)
        self.bits = cols.dense.view(np.uint16)
        # Each thread's scratch: a shared-key count and a found list per row (walking only),
        # and a zeroed vector per channel vocabulary for the loaded row (left zeroed again).
        n = len(cols) if walk else 1
        widths = (cols.terms.matrix.shape[1] if cfg.terms and cols.terms is not None else 1,
                  cols.names.matrix.shape[1], cols.entities.matrix.shape[1])
        self.spare: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        for _ in range(_THREADS):
            self.spare.put((np.zeros(n, np.int32), np.zeros(n, np.int64), *(np.zeros(k, np.float64) for k in widths)))
        self.pool = ThreadPoolExecutor(_THREADS)

    def _common(self) -> tuple[Any, ...]:
        c = self.cols
        return (self.w, *self.channels, c.parsed, self.bits, c.dim, c.year, c.full, c.day)

    def _rows(self, span: tuple[int, int]) -> tuple[Any, Any, Any]:
        from . import kernels

        scratch = self.spare.get()
        try:
            w, terms, names, entities, parsed, bits, dim, year, full, day = self._common()
            out: tuple[Any, Any, Any] = kernels.rows_scored(
                span[0], span[1], self.keyed[0], self.keyed[1], self.cfg.min_shared_keys, w,
                terms, names, entities, parsed, bits, dim, year, full, day, scratch)
            return out
        finally:
            self.spare.put(scratch)

    def _pairs(self, xy: tuple[Any, Any]) -> npt.NDArray[np.float64]:
        from . import kernels

        scratch = self.spare.get()
        try:
            w, terms, names, entities, parsed, bits, dim, year, full, day = self._common()
            out: npt.NDArray[np.float64] = kernels.pairs_scored(xy[0], xy[1], w, terms, names, entities, parsed, bits,
                                                                dim, year, full, day, scratch)
            return out
        finally:
            self.spare.put(scratch)

    def blocks(self, rows: Sequence[tuple[int, int]] | None,
               ) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
        """:func:`candidate_blocks`' pairs with their unrounded scores, a block at a time."""
        for start, stop in rows if rows is not None else [(0, len(self.cols))]:
            for lo in range(start, stop, CANDIDATE_BLOCK):
                hi = min(lo + CANDIDATE_BLOCK, stop)
                parts = list(self.pool.map(self._rows, [(a, min(a + _KERNEL_ROWS, hi)) for a in range(lo, hi, _KERNEL_ROWS)]))
                per_row = np.concatenate([p[0] for p in parts])
                yield (np.repeat(np.arange(lo, hi, dtype=np.int64), per_row),
                       np.concatenate([p[1] for p in parts]).astype(np.int64), np.concatenate([p[2] for p in parts]))

    def scores(self, x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """The unrounded scores of the given pairs."""
        step = _KERNEL_PAIRS
        spans = [(x[a : a + step].astype(np.int64, copy=False), y[a : a + step].astype(np.int64, copy=False))
                 for a in range(0, len(x), step)]
        parts = list(self.pool.map(self._pairs, spans))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)

    def close(self) -> None:
        self.pool.shutdown()


def warm_compiled() -> None:
    """Compile (a machine's first use) or load from numba's disk cache every compiled loop of
    scoring and average link, with every signature they are called with, so that a timed
    call after this times the work alone."""
    from . import kernels
    from .cluster import ClusterConfig

    vec = base64.b64encode(np.array([0.6, 0.8], dtype="<f2").tobytes()).decode()
    one = StoryFeatures(dense=vec, terms={"a": 1.0}, names={"a": 1.0}, entities={"a": 1.0}, anchor="2020-01-01",
                        parsed=True, keys=("a", "b"))
    cfg = ClusterConfig()
    two = columns_of({"x": one, "y": one})
    list(scored_rows(two, cfg))
    list(scored_rows(two, cfg, (np.zeros(1, np.int64), np.ones(1, np.int64))))
    list(scored_rows(columns_of({"x": one, "y": one}), replace(cfg, terms=0.1)))
    kernels.warm_link()


def scored_rows(cols: Columns, cfg: ClusterConfig, pairs: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None,
                floor: float | None = None, rows: Sequence[tuple[int, int]] | None = None, compiled: bool = True,
                ) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    """Scored pairs at or above ``floor`` (``cfg.edge_floor`` by default) as row-number arrays
    and scores, a batch at a time: the given ``pairs``, else the candidates of
    :func:`candidate_blocks` (those of the ``rows`` ranges, if given) as they are made.

    Candidates are made and pairs scored by :mod:`.kernels`' compiled loops unless
    ``compiled`` is false or a dense vector's norm exceeds 4 (then the array path, whose
    scores are the same bit for bit; the loops are several times faster)."""
    table = _Table(cols, cfg)
    floor = cfg.edge_floor if floor is None else floor

    def kept(x: npt.NDArray[np.int64], y: npt.NDArray[np.int64], score: npt.NDArray[np.float64],
             ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        near = np.flatnonzero(score >= floor - 1e-6)
        v = _round6(score[near])
        keep = v >= floor
        return x[near[keep]], y[near[keep]], v[keep]

    if compiled and table.exact_order_free:
        loops = _Loops(cols, cfg, walk=pairs is None)
        try:
            if pairs is None:
                for x, y, score in loops.blocks(rows):
                    yield kept(x, y, score)
            else:
                for lo in range(0, len(pairs[0]), _BATCH * 10):
                    x, y = pairs[0][lo : lo + _BATCH * 10], pairs[1][lo : lo + _BATCH * 10]
                    yield kept(x, y, loops.scores(x, y))
        finally:
            loops.close()
        return
    blocks = [pairs] if pairs is not None else candidate_blocks(cols, cfg, rows)
    for ia, ib in blocks:
        for lo in range(0, len(ia), _BATCH):
            x, y = ia[lo : lo + _BATCH], ib[lo : lo + _BATCH]
            yield kept(x, y, table.scores(x, y))


class _Gather:
    """An int32 array appended to in many small pieces, held as a few large ones.

    Small arrays live on the C heap, and glibc keeps much freed heap memory: held as they
    came, the thousands of batches of edges of a million benchmark articles raised scoring's
    peak by 0.65 GB (6.1 -> 5.45 GB when gathered).  Pieces are joined a million entries at
    a time instead: an array that size is mapped on its own and given back when freed, and
    the small pieces reuse the same few megabytes of heap.
    """

    def __init__(self) -> None:
        self.big: list[npt.NDArray[np.int32]] = []
        self.small: list[npt.NDArray[np.int32]] = []
        self.count = 0

    def add(self, a: npt.NDArray[Any]) -> None:
        self.small.append(a.astype(np.int32, copy=False))
        self.count += len(a)
        if self.count >= 1 << 20:
            self._flush()

    def _flush(self) -> None:
        if self.small:
            self.big.append(np.concatenate(self.small))
        self.small, self.count = [], 0

    def joined(self) -> npt.NDArray[np.int32]:
        """The whole array; each piece is let go once copied, so the joined array's pages are
        written as the pieces' are freed and joining holds little more than one copy."""
        self._flush()
        out = np.empty(sum(len(c) for c in self.big), dtype=np.int32)
        k = 0
        while self.big:
            c = self.big.pop(0)
            out[k : k + len(c)] = c
            k += len(c)
        return out


def scored_graph(cols: Columns, cfg: ClusterConfig) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """The edges of :func:`scored_rows` that lie inside a component of the edges at the
    threshold, as the upper triangle of the score matrix in CSR form ``(indptr, indices,
    millionths)`` (:func:`~.linkage.upper_graph`'s form; a score rounded to six places is
    its millionths over 10**6, so nothing is lost).  An average-link merge needs a pair at the
    threshold, so an edge between two such components can change no decision.

    Memory is 8 bytes an edge: candidates come in (row, column) order, so rows are counted,
    never stored, and the component filter compacts the arrays in place.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(cols)
    tq = round(cfg.threshold * 1e6)
    counts = np.zeros(n + 1, dtype=np.int64)
    cols_at, sums_at, strong_x, strong_y = _Gather(), _Gather(), _Gather(), _Gather()
    for x, y, v in scored_rows(cols, cfg):
        m = np.rint(v * 1e6).astype(np.int32)
        if len(x):
            counts[x[0] + 1 : x[-1] + 2] += np.bincount(x - x[0], minlength=int(x[-1] - x[0]) + 1)
        cols_at.add(y)
        sums_at.add(m)
        strong = m >= tq
        strong_x.add(x[strong])
        strong_y.add(y[strong])
    indptr = np.cumsum(counts)
    indices, sums = cols_at.joined(), sums_at.joined()
    sx, sy = strong_x.joined(), strong_y.joined()
    _, comp = connected_components(coo_matrix((np.ones(len(sx), dtype=np.int8), (sx, sy)), shape=(n, n)), directed=False)
    del sx, sy
    k = 0
    kept = np.zeros(n + 1, dtype=np.int64)
    for lo in range(0, n, CANDIDATE_BLOCK):
        hi = min(n, lo + CANDIDATE_BLOCK)
        a, b = int(indptr[lo]), int(indptr[hi])
        row = np.repeat(np.arange(lo, hi), np.diff(indptr[lo : hi + 1]))
        inside = comp[row] == comp[indices[a:b]]
        t = int(inside.sum())
        indices[k : k + t] = indices[a:b][inside]
        sums[k : k + t] = sums[a:b][inside]
        kept[lo + 1 : hi + 1] = np.bincount(row[inside] - lo, minlength=hi - lo)
        k += t
    indices.resize(k, refcheck=False)
    sums.resize(k, refcheck=False)
    return np.cumsum(kept), indices, sums
