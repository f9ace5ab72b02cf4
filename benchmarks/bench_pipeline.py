"""Pipeline throughput on real articles (ECB+ plus the seeds), against a named baseline.

Baseline ``read+normalize``: reading every article and folding its text to words, the least
any per-article stage must do.  The ratio says what the whole per-article pipeline (clean,
facts, MinHash, features) costs on top, and what a full run into a SQLite store costs.

    .venv/bin/python benchmarks/bench_pipeline.py [--data ../shared/data/ecbplus/ecbplus-topics-1-35.jsonl]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from unspun.pipeline import PipelineConfig, process_article, run_items
from unspun.records import Article
from unspun.stages.ingest import iter_inputs
from unspun.storage import SQLiteStore
from unspun.textutil import normalize_for_hash

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data/ecbplus/ecbplus-topics-1-35.jsonl"))
    ap.add_argument("--seeds", default=str(ROOT.parent / "shared/seeds"))
    args = ap.parse_args()
    arts = [a for a in iter_inputs([args.data, args.seeds]) if isinstance(a, Article)]
    n = len(arts)

    t = time.perf_counter()
    for a in arts:
        normalize_for_hash(a.text)
    base = time.perf_counter() - t

    cfg = PipelineConfig()
    t = time.perf_counter()
    for a in arts:
        process_article(a, cfg)
    per_article = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.db")
        t = time.perf_counter()
        summary = run_items(arts, store, cfg)
        full = time.perf_counter() - t
        store.close()

    print(f"articles: {n}")
    print("| step | seconds | articles/s | × baseline time |")
    print("|---|---|---|---|")
    for name, secs in (("baseline read+normalize", base), ("per-article stages", per_article),
                       ("full run into SQLite (all stages, grouping, briefs)", full)):
        print(f"| {name} | {secs:.2f} | {n / secs:.0f} | {secs / base:.1f} |")
    print(f"stories: {summary.stories}, duplicates: {summary.duplicates}")


if __name__ == "__main__":
    main()
