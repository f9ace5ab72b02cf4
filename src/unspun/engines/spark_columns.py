"""What the Spark engine's Python workers run for the corpus-wide clustering steps.

The local engine clusters a whole corpus over :class:`~unspun.stages.scoring.Columns` (about
1 KB an article): candidates come from the key incidence matrix a block of rows at a time and
average link runs over arrays.  The Spark engine does the same work split across tasks:

* ``columns``: the articles step's tasks each save their articles' features as a chunk of
  columns in the work folder; one task joins the chunks into the corpus's columns, written
  as plain ``.npy`` arrays that every later task maps from disk (vocabularies left out:
  scoring reads the matrices only), and hands back each row's article id;
* ``edges``: each task scores the candidates of its blocks of rows (every block sees the
  whole corpus's columns, so each pair is scored once, by the task that owns its first row)
  and also returns a spanning forest of its edges at the threshold, the input of the
  connected components;
* ``groups``: each task takes a share of the components, reads their edges from the edges
  step's files (no shuffle) and runs average link over them.

Every score, component and cluster is the one the local engine computes, bit for bit.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..stages import cluster, linkage, scoring
from ..steps import PipelineConfig

__all__ = [
    "EDGE_SCHEMA", "GROUP_SCHEMA", "ROW_SCHEMA", "edges_task", "groups_task", "join_task",
    "load_columns", "save_columns", "spanning_forest",
]

ROW_SCHEMA = "row int, id string"
# What an edges task reports; its edges go to Parquet files of (x, y, m) under ``kind=0``: a
# scored pair at or above the edge floor (score in millionths), and ``kind=1``: an edge of the
# task's spanning forest of the pairs at the threshold (m unused).
EDGE_SCHEMA = "task int, edges long, forest long"
GROUP_SCHEMA = "row int, label int"

# Rows of a task's output batch: a few MB of int32 columns.
_OUT = 1 << 18
# Rows of a Parquet row group the edges tasks write: 12 MB of int32 columns.
_ROW_GROUP = 1 << 20

_BAGS = ("terms", "names", "entities", "keys")
_ARRAYS = ("dense", "dim", "parsed", "full", "day", "year")


def _fs(path: str) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    fs, p = url_to_fs(path)
    return fs, p


def _local(fs: Any) -> bool:
    return getattr(fs, "protocol", None) in ("file", ("file", "local"))


def _put(fs: Any, path: str, arr: npt.NDArray[Any]) -> None:
    with fs.open(path, "wb") as fh:
        np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)


def _get(fs: Any, path: str, mmap: bool) -> npt.NDArray[Any]:
    if mmap and _local(fs):
        out: npt.NDArray[Any] = np.load(path, mmap_mode="r", allow_pickle=False)
        return out
    with fs.open(path, "rb") as fh:
        got: npt.NDArray[Any] = np.load(fh, allow_pickle=False)
        return got


def save_columns(cols: scoring.Columns, where: str, vocab: bool) -> None:
    """``cols`` as plain arrays in the folder ``where`` (a path or fsspec URL); with ``vocab``
    the ids, years and vocabularies too (a chunk to be joined), else ids and years only."""
    fs, root = _fs(where)
    fs.makedirs(root, exist_ok=True)
    meta: dict[str, Any] = {"n": len(cols), "years": list(cols.years), "terms": cols.terms is not None, "vocab": {}}
    for name in _ARRAYS:
        _put(fs, f"{root}/{name}.npy", getattr(cols, name))
    for name in _BAGS:
        bag = getattr(cols, name)
        if bag is None:
            continue
        m = bag.matrix
        meta[f"{name}_width"] = int(m.shape[1])
        for part in ("indptr", "indices", "data"):
            _put(fs, f"{root}/{name}.{part}.npy", getattr(m, part))
        if vocab:
            meta["vocab"][name] = list(bag.vocab)
    with fs.open(f"{root}/ids.txt", "w", encoding="utf-8") as fh:
        fh.write("\n".join(cols.ids))
    # Written last: a folder without it is a half-written one.
    with fs.open(f"{root}/meta.json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh)


def load_columns(where: str, mmap: bool = True) -> scoring.Columns:
    """Columns saved by :func:`save_columns`; large arrays mapped from a local disk, not read.
    Bags come back without a vocabulary unless it was saved."""
    from scipy.sparse import csr_matrix

    fs, root = _fs(where)
    with fs.open(f"{root}/meta.json", "r", encoding="utf-8") as fh:
        meta = json.load(fh)
    with fs.open(f"{root}/ids.txt", "r", encoding="utf-8") as fh:
        text = fh.read()
    ids = tuple(text.split("\n")) if text else ()
    arrays = {name: _get(fs, f"{root}/{name}.npy", mmap) for name in _ARRAYS}
    bags: dict[str, scoring.Bag | None] = {}
    for name in _BAGS:
        if f"{name}_width" not in meta:
            bags[name] = None
            continue
        indptr, indices, data = (_get(fs, f"{root}/{name}.{part}.npy", mmap) for part in ("indptr", "indices", "data"))
        m = csr_matrix((data, indices, indptr), shape=(meta["n"], meta[f"{name}_width"]), copy=False)
        bags[name] = scoring.Bag(m, tuple(meta["vocab"].get(name, ())))
    names, entities, keys = bags["names"], bags["entities"], bags["keys"]
    assert names is not None and entities is not None and keys is not None
    return scoring.Columns(ids=ids, terms=bags["terms"], names=names, entities=entities, keys=keys,
                           years=tuple(meta["years"]), **arrays)


def _lighten() -> None:
    """Give back what a reused Python worker kept from the per-article step (word memos of a
    million articles' vocabulary, gigabytes) before the clustering steps' arrays move in."""
    import ctypes
    import gc

    cluster.forget_words()
    gc.collect()
    try:  # glibc keeps freed heap; hand it back to the system
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@functools.lru_cache(maxsize=1)
def _cached(where: str, fingerprint: str) -> scoring.Columns:
    """The corpus's columns, loaded once per Python worker and run (the fingerprint changes
    with the inputs and the configuration, so a worker never serves another run's)."""
    return load_columns(where)


def join_task(chunks: Sequence[str], where: str) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """One task: the ``chunks`` (in id order) joined into the corpus's columns at ``where``;
    yields every ``(row, id)``."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        _lighten()
        for _ in batches:
            pass
        cols = scoring.concat_columns([load_columns(c, mmap=False) for c in chunks])
        save_columns(cols, where, vocab=False)
        for lo in range(0, len(cols), _OUT):
            hi = min(len(cols), lo + _OUT)
            yield pd.DataFrame({"row": np.arange(lo, hi, dtype=np.int32), "id": list(cols.ids[lo:hi])})

    return run


def spanning_forest(x: npt.NDArray[np.int32], y: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """A spanning forest of the graph ``(x, y)``: every node but the least of its component
    paired with that least node.  Its components are the graph's."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nodes, local = np.unique(np.concatenate([x, y]), return_inverse=True)
    k = len(x)
    g = coo_matrix((np.ones(k, dtype=np.int8), (local[:k], local[k:])), shape=(len(nodes), len(nodes)))
    _, label = connected_components(g, directed=False)
    least = np.full(int(label.max(initial=-1)) + 1, np.iinfo(np.int32).max, dtype=np.int64)
    np.minimum.at(least, label, nodes)  # nodes ascend, so the first of each label is its least
    root = least[label]
    keep = root != nodes
    return nodes[keep].astype(np.int32), root[keep].astype(np.int32)


class _ParquetOut:
    """Int32 columns written to one Parquet file a large row group at a time, under a hidden
    name until closed (a reader never sees half a file; a task tried again overwrites it)."""

    def __init__(self, path: str, names: tuple[str, ...]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.fs, self.path = _fs(path)
        folder, name = self.path.rsplit("/", 1)
        self.fs.makedirs(folder, exist_ok=True)
        self.tmp = f"{folder}/.{name}.{os.getpid()}.tmp"
        self.names = names
        self.schema = pa.schema([(c, pa.int32()) for c in names])
        self._fh = self.fs.open(self.tmp, "wb")
        self._writer = pq.ParquetWriter(self._fh, self.schema)
        self._held: list[tuple[npt.NDArray[np.int32], ...]] = []
        self._size = 0
        self.rows = 0

    def add(self, *cols: npt.NDArray[np.int32]) -> None:
        self._held.append(cols)
        self._size += len(cols[0])
        self.rows += len(cols[0])
        if self._size >= _ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._held:
            arrays = [pa.array(np.concatenate([h[k] for h in self._held]), type=pa.int32()) for k in range(len(self.names))]
            self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self._held, self._size = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()
        self._fh.close()
        self.fs.mv(self.tmp, self.path)


def edges_task(cfg: PipelineConfig, where: str, fingerprint: str, out: str,
               ) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Blocks of rows ``(task, lo, hi)`` → for each task number, a Parquet file of its scored
    candidates ``(x, y, m)`` under ``out/kind=0`` and one of a spanning forest of those at the
    threshold under ``out/kind=1``, written here with pyarrow (through Spark's rows, the 166 M
    edges of a million articles cost more than scoring them); yields ``(task, edges, forest)``."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        _lighten()
        dealt = sorted((int(t), int(lo), int(hi)) for b in batches
                       for t, lo, hi in zip(b["task"], b["lo"], b["hi"], strict=True))
        if not dealt:
            return
        cols = _cached(where, fingerprint)
        tq = round(cfg.cluster.threshold * 1e6)
        for task in sorted({t for t, _, _ in dealt}):
            blocks = [(lo, hi) for t, lo, hi in dealt if t == task]
            strong_x: list[npt.NDArray[np.int32]] = []
            strong_y: list[npt.NDArray[np.int32]] = []
            edges = _ParquetOut(f"{out.rstrip('/')}/kind=0/part-{task:05d}.parquet", ("x", "y", "m"))
            for x, y, v in scoring.scored_rows(cols, cfg.cluster, rows=blocks):
                m = np.rint(v * 1e6).astype(np.int32)
                x32, y32 = x.astype(np.int32), y.astype(np.int32)
                strong = m >= tq
                strong_x.append(x32[strong])
                strong_y.append(y32[strong])
                edges.add(x32, y32, m)
            edges.close()
            forest = _ParquetOut(f"{out.rstrip('/')}/kind=1/part-{task:05d}.parquet", ("x", "y", "m"))
            if strong_x:
                u, v2 = spanning_forest(np.concatenate(strong_x), np.concatenate(strong_y))
                forest.add(u, v2, np.zeros(len(u), dtype=np.int32))
            forest.close()
            yield pd.DataFrame({"task": [task], "edges": [edges.rows], "forest": [forest.rows]})

    return run


def groups_task(cfg: PipelineConfig, where: str, n: int, tasks: int,
                ) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Task numbers ``k`` → for every article of a multi-article component whose number is
    ``k`` modulo ``tasks``, its row and its story's least row.

    ``where`` is the run's folder: the task reads the components, the duplicate pairs as
    rows (``groups/dups``) and the scored edges straight from the edges step's files,
    keeping the pairs inside its components.  Nothing is shuffled: at a million articles one
    component holds 150 M edges, which a sort by Spark would take minutes over in one task.
    Edges are placed block of rows by block (the edges step's unit) and sorted within each
    block, so the graph is in row order without a sort of the whole; a duplicate pair's 1.0
    replaces its story score (a duplicate is always in its canonical's story).  Average link
    then runs over the task's graph at once, in the corpus's row numbers: components share no
    edge, so each is clustered as alone."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        _lighten()
        for k in sorted(int(t) for batch in batches for t in batch["task"]):
            graph, seen = _task_graph(where, n, k, tasks)
            if not len(graph[1]):
                continue
            labels = np.asarray(linkage.take_labels(n, graph, round(cfg.cluster.threshold * 1e6)), dtype=np.int64)
            rows = np.flatnonzero(seen)
            yield pd.DataFrame({"row": rows.astype(np.int32), "label": labels[rows].astype(np.int32)})

    return run


def _read(where: str, step: str, columns: list[str], kind: int | None = None) -> Iterator[Any]:
    """The record batches of one step's Parquet, without read-ahead (buffered row groups of
    a big step would cost gigabytes)."""
    import pyarrow.dataset as ds

    fs, root = _fs(where)
    data = ds.dataset(f"{root.rstrip('/')}/{step}", format="parquet", partitioning="hive",
                      filesystem=None if _local(fs) else fs)
    flt = (ds.field("kind") == kind) if kind is not None else None
    yield from data.to_batches(columns=columns, filter=flt, batch_readahead=0, fragment_readahead=0, use_threads=False)


def _task_graph(where: str, n: int, k: int, tasks: int) -> tuple[list[npt.NDArray[Any]], npt.NDArray[np.bool_]]:
    """The upper-triangle graph ``[indptr, indices, sums]`` of the edges inside task ``k``'s
    components, and which rows are in them."""
    comp = np.arange(n, dtype=np.int64)
    for b in _read(where, "components", ["row", "comp"]):
        comp[b["row"].to_numpy()] = b["comp"].to_numpy()
    size = np.bincount(comp, minlength=n)
    mine = (size[comp] > 1) & (comp % tasks == k)
    del size

    def kept(b: Any) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        x, y = b["x"].to_numpy(), b["y"].to_numpy()
        keep = mine[x] & (comp[x] == comp[y])
        return x[keep], y[keep], b["m"].to_numpy()[keep]

    # Pass one counts each block's edges, pass two puts them in place.
    size_of = np.zeros(n // scoring.CANDIDATE_BLOCK + 1, dtype=np.int64)
    for b in _read(where, "edges", ["x", "y", "m"], kind=0):
        size_of += np.bincount(kept(b)[0] // scoring.CANDIDATE_BLOCK, minlength=len(size_of))
    start = np.concatenate([[0], np.cumsum(size_of)])
    total = int(start[-1])
    xs, ys, ms = (np.empty(total, dtype=np.int32) for _ in range(3))
    fill = start[:-1].copy()
    for b in _read(where, "edges", ["x", "y", "m"], kind=0):
        x, y, m = kept(b)
        if not len(x):
            continue
        block = x // scoring.CANDIDATE_BLOCK
        order = np.argsort(block, kind="stable")
        block, x, y, m = block[order], x[order], y[order], m[order]
        cuts = np.flatnonzero(np.diff(block)) + 1
        for a, e in zip([0, *cuts.tolist()], [*cuts.tolist(), len(block)], strict=True):
            at = int(fill[block[a]])
            xs[at : at + e - a], ys[at : at + e - a], ms[at : at + e - a] = x[a:e], y[a:e], m[a:e]
            fill[block[a]] += e - a
    for a, e in itertools.pairwise(start.tolist()):  # sorted within each block: rows, then columns
        if e - a > 1:
            order = np.lexsort((ys[a:e], xs[a:e]))
            xs[a:e], ys[a:e], ms[a:e] = xs[a:e][order], ys[a:e][order], ms[a:e][order]
    seen = np.zeros(n, dtype=bool)
    seen[xs] = True
    seen[ys] = True
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(xs, minlength=n), out=indptr[1:])
    del xs
    ys, ms = _with_duplicates(where, indptr, ys, ms, mine)
    return [indptr, ys, ms], seen


def _with_duplicates(where: str, indptr: npt.NDArray[np.int64], ys: npt.NDArray[np.int32], ms: npt.NDArray[np.int32],
                     mine: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """The duplicate pairs among ``mine`` scored 1.0: in place where the pair is an edge,
    inserted in row order where it is not (``indptr`` is updated)."""
    pairs = [(b["x"].to_numpy(), b["y"].to_numpy()) for b in _read(where, "groups/dups", ["x", "y"])]
    if not pairs:
        return ys, ms
    dx = np.concatenate([p[0] for p in pairs]).astype(np.int64)
    dy = np.concatenate([p[1] for p in pairs]).astype(np.int64)
    keep = mine[dx]
    dx, dy = dx[keep], dy[keep]
    order = np.lexsort((dy, dx))
    dx, dy = dx[order], dy[order]
    full = np.int32(1_000_000)
    where_at = np.empty(len(dx), dtype=np.int64)
    found = np.zeros(len(dx), dtype=bool)
    for t, (x, y) in enumerate(zip(dx.tolist(), dy.tolist(), strict=True)):
        a, b = int(indptr[x]), int(indptr[x + 1])
        p = a + int(np.searchsorted(ys[a:b], y))
        where_at[t] = p
        if p < b and ys[p] == y:
            ms[p] = full
            found[t] = True
    missing = ~found
    if missing.any():
        ys = np.insert(ys, where_at[missing], dy[missing].astype(np.int32))
        ms = np.insert(ms, where_at[missing], np.full(int(missing.sum()), full, dtype=np.int32))
        indptr += np.concatenate([[0], np.cumsum(np.bincount(dx[missing], minlength=len(indptr) - 1))])
    return ys, ms
