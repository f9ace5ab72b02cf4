"""Extraction time on real pages (WCXB + L3S-GN1), against trafilatura alone, in one process.

Baselines, both trafilatura 2.x on the same decoded HTML strings:

* ``trafilatura``: ``trafilatura.extract(html)``, its defaults: main text only.  This is the
  baseline the acceptance criterion names (unspun at most 1.3x).
* ``trafilatura+metadata``: ``bare_extraction(html, with_metadata=True)``: main text plus
  title, author, date and site, the same job unspun's extraction does.

``unspun`` is everything unspun does to a page before the pipeline's later stages: parse once,
structured metadata (htmldate when the page declares no date), trafilatura without comments,
readability when that finds too little, then the ``clean`` stage (junk lines, metadata lines,
language detection).  Rounds alternate the systems so machine noise hits all of them; the
figure is each system's fastest round.

    .venv/bin/python benchmarks/bench_extract.py [--data ../shared/data] [--rounds 3] [--limit N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from unspun.evaluation.clean import extract_and_clean, load_l3s, load_wcxb

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="pages per data set")
    args = ap.parse_args()
    data = Path(args.data) / "extraction"
    pages = []
    for loader, folder in ((load_wcxb, data / "wcxb-articles"), (load_l3s, data / "l3s-gn1")):
        for i, (_pid, html, _gold) in enumerate(loader(folder)):
            if args.limit is not None and i >= args.limit:
                break
            pages.append(html)
    systems: dict[str, Callable[[str], object]] = {
        "trafilatura": lambda h: trafilatura.extract(h),
        "trafilatura+metadata": lambda h: trafilatura.bare_extraction(h, with_metadata=True),
        "unspun": extract_and_clean,
    }
    for fn in systems.values():  # warm-up: imports, regex and dateparser caches, language model
        for h in pages[:20]:
            fn(h)
    best = {name: float("inf") for name in systems}
    for _ in range(args.rounds):
        for name, fn in systems.items():
            t = time.perf_counter()
            for h in pages:
                fn(h)
            best[name] = min(best[name], time.perf_counter() - t)
    base = best["trafilatura"]
    print(f"pages: {len(pages)} (WCXB + L3S-GN1), rounds: {args.rounds}, fastest round per system")
    print("| system | seconds | pages/s | ratio to trafilatura |")
    print("|---|---:|---:|---:|")
    for name, secs in best.items():
        print(f"| {name} | {secs:.2f} | {len(pages) / secs:.1f} | {secs / base:.2f}x |")


if __name__ == "__main__":
    main()
