"""Adding 1 % new articles to a stored corpus, against a full run over the same articles.

The corpus is the clustering benchmark's (real articles from ../shared/data plus content-farm
copies of them, ``bench_cluster.corpus``), fed through the real pipeline into a real SQLite
file.  Baseline: one full run over all N articles into a fresh store.  Measured: a store that
already holds the first 99 % (built untimed), then one run with the last 1 %.  Both end with
the same stories (checked).  The ratio is the incremental run's time over the full run's.

Fast path (no MiniLM, no parser) so the per-article stages do not drown the corpus stages;
every stage still runs: clean, facts, dedup, clustering, provenance, cross-check and briefs.

    .venv/bin/python benchmarks/bench_incremental.py [--size 100000] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_cluster import corpus  # this folder is on the path when the script runs

from unspun.pipeline import PipelineConfig, run_items
from unspun.storage import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--size", type=int, default=100_000)
    args = ap.parse_args()
    arts, _ = corpus(Path(args.data), args.size)
    cut = args.size - max(1, args.size // 100)
    cfg = PipelineConfig(semantic=False, parser=False)
    with tempfile.TemporaryDirectory() as tmp:
        # The grown store first, so the figure that matters is printed half an hour sooner.
        with SQLiteStore(Path(tmp) / "grown.db") as grown:
            t, c = time.perf_counter(), time.process_time()
            run_items(arts[:cut], grown, cfg)
            first_s, first_cpu = time.perf_counter() - t, time.process_time() - c
            t, c = time.perf_counter(), time.process_time()
            summary = run_items(arts[cut:], grown, cfg)
            add_s, add_cpu = time.perf_counter() - t, time.process_time() - c
            print(f"first {cut:,}: {first_s:.1f} s; adding {args.size - cut:,}: {add_s:.1f} s", flush=True)
            got = sorted(s.article_ids for s in grown.stories())
        with SQLiteStore(Path(tmp) / "full.db") as full:
            t, c = time.perf_counter(), time.process_time()
            run_items(arts, full, cfg)
            full_s, full_cpu = time.perf_counter() - t, time.process_time() - c
            expected = sorted(s.article_ids for s in full.stories())
        same = got == expected
    print(f"articles: {args.size:,} (store of {cut:,}, then {args.size - cut:,} new); fast path; SQLite")
    # CPU seconds too: the cost in work, which a busy machine disturbs less than wall time.
    print("| run | seconds | share of the full run | CPU seconds | share of the full run's CPU |")
    print("|---|---:|---:|---:|---:|")
    rows = [(f"full run, all {args.size:,} articles (baseline)", full_s, full_cpu),
            (f"first {cut:,} articles (untimed setup, for reference)", first_s, first_cpu),
            (f"adding the last {args.size - cut:,} to that store", add_s, add_cpu)]
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.1f} | {100 * wall / full_s:.1f} % | {cpu:.1f} | {100 * cpu / full_cpu:.1f} % |")
    print(f"stories: {len(expected):,}; stories rewritten by the addition: {summary.stories_updated:,}; "
          f"same stories as the full run: {same}")


if __name__ == "__main__":
    main()
