"""Clean text to stories for up to a million articles on this machine, in worker processes.

The corpus is ``bench_cluster``'s (real articles from ../shared/data, content-farm copies of
them, and past 10,000 articles generations with other names, rare words and years), written
once as JSONL shards of clean text (untimed; ``--shards DIR`` keeps them for the next run).
Timed, as a user would run it:

* **features**: worker processes each read a shard, embed it with the static MiniLM
  (model2vec distillation of the bundled MiniLM), build names, time anchor and blocking keys
  (the fast path: no parser) and hand back :class:`unspun.stages.scoring.Columns`, about
  1 KB an article;
* **cluster**: the parent joins the columns, scores candidates a block at a time into the
  graph of edges inside the components of the edges at the threshold
  (:func:`unspun.stages.scoring.scored_graph`), lets the columns go and runs average link
  over the graph (:func:`unspun.stages.cluster.link_graph`).

The configuration is the fast path's at scale: ``min_shared_keys=2`` (see ``ClusterConfig``:
on ECB+ topics 1-25 the fast path scores 0.8940 with it against 0.8844 without).  Peak
memory is the largest sum of the resident memory of this process and its workers, sampled
every 0.2 s.  B3-F1 is scored on the copies of ECB+ articles (their gold is the event).
Baseline: the same code at 10k articles in the same process, so the table shows how cost
grows against linear.

    .venv/bin/python benchmarks/bench_million.py [--sizes 10000,100000,1000000] [--workers 2] [--shards DIR]
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench_cluster import article_at, first_generation, gold_at  # this folder is on the path

from unspun.evaluation.cluster import b_cubed
from unspun.records import Article
from unspun.stages import cluster, scoring

ROOT = Path(__file__).resolve().parents[1]
CFG = replace(cluster.ClusterConfig(), min_shared_keys=2)
SHARD = 25_000
RECYCLE = 4
FEATURE_CHUNK = 5_000


@functools.cache
def _first(data: str) -> list[tuple[str, str, str, str]]:
    return first_generation(Path(data))


def _write_shard(job: tuple[str, int, int, str]) -> str:
    data, lo, hi, path = job
    first = _first(data)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for k in range(lo, hi):
            a, _ = article_at(first, k)
            fh.write(json.dumps({"id": a.id, "title": a.title, "text": a.clean_text, "language": a.language}) + "\n")
    os.replace(tmp, path)
    return path


def shards(data: Path, n: int, where: Path, workers: int) -> list[str]:
    """The corpus's JSONL shards under ``where/n``, written unless already there."""
    root = where / str(n)
    root.mkdir(parents=True, exist_ok=True)
    jobs = [(str(data), lo, min(n, lo + SHARD), str(root / f"shard-{lo // SHARD:04d}.jsonl")) for lo in range(0, n, SHARD)]
    todo = [j for j in jobs if not Path(j[3]).exists()]
    if todo:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            pool.map(_write_shard, todo, chunksize=1)
    return [j[3] for j in jobs]


def featurize(path: str) -> scoring.Columns:
    """One shard's columns: read, embed, features (what each worker does)."""
    from unspun.models import static_encoder

    arts = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            arts.append(Article(id=r["id"], source="", text=r["text"], clean_text=r["text"], title=r["title"],
                                language=r["language"]))
    enc = static_encoder()
    # Features a few thousand articles at a time: their dictionaries take some 24 KB an
    # article against about 1 KB as columns, so a whole shard's would cost a worker 600 MB.
    parts = []
    for lo in range(0, len(arts), FEATURE_CHUNK):
        chunk = arts[lo : lo + FEATURE_CHUNK]
        dense = enc.encode([cluster.embed_text(a) for a in chunk]) if enc is not None else None
        feats = {a.id: cluster.features(a, dense[i] if dense is not None else None, None, CFG) for i, a in enumerate(chunk)}
        parts.append(scoring.columns_of(feats, with_terms=bool(CFG.terms)))
    return scoring.concat_columns(parts)


class PeakMemory:
    """The largest total resident memory of this process and its children, sampled."""

    def __init__(self) -> None:
        self.peak = 0
        self.phase_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _tree(self) -> int:
        me = os.getpid()
        total = self._rss(me)
        for child in multiprocessing.active_children():
            if child.pid is not None and child.pid != me:
                total += self._rss(child.pid)
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            now = self._tree()
            self.peak = max(self.peak, now)
            self.phase_peak = max(self.phase_peak, now)

    def mark(self) -> int:
        """The peak since the last mark (or the start); a new phase begins."""
        now = self._tree()
        seen, self.phase_peak = max(self.phase_peak, now), now
        return seen

    def __enter__(self) -> PeakMemory:
        self.peak = self.phase_peak = self._tree()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_size(data: Path, n: int, workers: int, where: Path) -> dict[str, Any]:
    paths = shards(data, n, where, workers)
    out: dict[str, Any] = {"articles": n, "workers": workers}
    with PeakMemory() as mem:
        t = time.perf_counter()
        # A worker is replaced after RECYCLE shards: its word caches (memoized rarity, folded
        # words) grow with the vocabulary, and a fresh worker reloads tables in a few seconds.
        with multiprocessing.get_context("spawn").Pool(workers, maxtasksperchild=RECYCLE) as pool:
            parts = pool.map(featurize, paths, chunksize=1)
        out["features_s"] = time.perf_counter() - t
        out["features_peak_mb"] = mem.mark() / 2**20
        t1 = time.perf_counter()
        cols = scoring.concat_columns(parts)
        del parts
        ids = cols.ids
        graph = scoring.scored_graph(cols, CFG)
        del cols  # linkage needs the edges only
        groups = cluster.link_graph(ids, graph, CFG)
        del graph
        out["cluster_s"] = time.perf_counter() - t1
        out["cluster_peak_mb"] = mem.mark() / 2**20
        out["total_s"] = time.perf_counter() - t
    out["peak_mb"] = mem.peak / 2**20
    first = _first(str(data))
    label = {m: g for g, members in enumerate(groups) for m in members}
    ecb = [k for k in range(n) if gold_at(first, k).startswith("ecb:")]
    out["stories"] = len(groups)
    out["b3_f1_ecb"] = b_cubed([label[f"a{k:07d}"] for k in ecb], [gold_at(first, k) for k in ecb])[2]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shards", help="keep the corpus shards here (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(args.shards) if args.shards else Path(tmp)
        rows = []
        for n in (int(x) for x in args.sizes.split(",")):
            rows.append(run_size(Path(args.data), n, args.workers, where))
            print(json.dumps(rows[-1]), flush=True)
    base = rows[0]
    print(f"fast path at scale (static MiniLM, no parser, min_shared_keys=2); {args.workers} worker processes; "
          f"baseline: {base['articles']:,} articles in the same process")
    print("| articles | features s (embedding included) | cluster s | total s | total vs linear from baseline "
          "| peak MB (all processes) | features / cluster peak MB | stories | B3-F1 (ECB+ copies) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        linear = base["total_s"] * r["articles"] / base["articles"]
        print(f"| {r['articles']:,} | {r['features_s']:.1f} | {r['cluster_s']:.1f} | {r['total_s']:.1f} | "
              f"{r['total_s'] / linear:.2f}x | {r['peak_mb']:.0f} | {r['features_peak_mb']:.0f} / {r['cluster_peak_mb']:.0f} | "
              f"{r['stories']:,} | {r['b3_f1_ecb']:.3f} |")


if __name__ == "__main__":
    main()
