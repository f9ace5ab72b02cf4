"""Story clustering cost as the corpus grows, and against BERTopic's UMAP + HDBSCAN at 10k.

The corpus is built from the real articles in ../shared/data by what copy sites do: every
ECB+ article, SemEval-2022 text and PolNeAR article is a base, and copies are made from the
bases in turn (``evaluation.derivation.make_copy``: paraphrase, reorder, drop, condense,
round numbers, shorten quotes, inject junk, retitle) until the corpus has N articles.  A copy
belongs to its base's story: the ECB+ event for ECB+ bases, the base itself otherwise.

Every size runs in a fresh process, so its peak memory (``ru_maxrss``) is its own:

* **embed**: the static MiniLM (model2vec distillation of the bundled MiniLM) over what the
  dense channel reads; computed once and handed to both systems at 10k;
* **features**: names, terms, time anchor and blocking keys per article (no parser: the
  fast path; spaCy NER is the per-article cost the full path adds);
* **cluster**: candidates from blocking keys, edges, average link inside components;
* at 10k, **BERTopic**: its default UMAP (15 neighbours, 5 dimensions, cosine) and HDBSCAN
  (min cluster size 10) on the same embeddings -- the ratio is baseline seconds over ours.

B3-F1 is scored on the copies of ECB+ articles (their gold is the event).

    .venv/bin/python benchmarks/bench_cluster.py [--sizes 10000,100000] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from unspun.evaluation.cluster import b_cubed
from unspun.evaluation.derivation import article_lines, make_copy
from unspun.models import static_encoder, static_status
from unspun.records import Article
from unspun.stages import cluster

ROOT = Path(__file__).resolve().parents[1]


def bases(data: Path) -> list[tuple[str, str, str]]:
    """(id, text, story) of every real article the corpus is built from."""
    out = []
    for line in (data / "ecbplus/ecbplus-topics-1-35.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        out.append((f"e{r['id']}", str(r["text"]), f"ecb:{r['event']}"))
    with (data / "semeval2022-t8/pairs-dev.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            for k in ("1", "2"):
                out.append((f"s{r['pair_id']}#{k}", r[f"text{k}"], f"s{r['pair_id']}#{k}"))
    for p in sorted((data / "polnear/text").glob("*.txt")):
        out.append((f"p{p.stem}", p.read_text(encoding="utf-8"), f"p{p.stem}"))
    return [b for b in out if len(b[1]) > 300]


def corpus(data: Path, n: int) -> tuple[list[Article], list[str]]:
    rng = random.Random(7)
    base = bases(data)
    arts: list[Article] = []
    gold: list[str] = []
    for k in range(n):
        bid, text, story = base[k % len(base)]
        lines = article_lines(text)
        if k >= len(base) and len(lines) >= 3:
            lines, _ = make_copy(lines, rng, "Other headline")
        body = "\n\n".join(lines)
        arts.append(Article(id=f"a{k:07d}", source=bid, text=body, clean_text=body, title=lines[0][:120]))
        gold.append(story)
    return arts, gold


def run_one(data: Path, n: int, with_bertopic: bool) -> dict[str, Any]:
    arts, gold = corpus(data, n)
    out: dict[str, Any] = {"articles": n}
    enc = static_encoder()
    t = time.perf_counter()
    dense = enc.encode([cluster.embed_text(a) for a in arts]) if enc is not None else None
    out["embed_s"] = time.perf_counter() - t
    cfg = cluster.ClusterConfig()
    t = time.perf_counter()
    feats = {a.id: cluster.features(a, dense[i] if dense is not None else None, None, cfg) for i, a in enumerate(arts)}
    out["features_s"] = time.perf_counter() - t
    # The libraries clustering calls are loaded before the clock starts, as BERTopic's are
    # below (imported before its timing): ~0.9 s of imports is not clustering.
    import scipy.sparse.csgraph  # noqa: F401

    t = time.perf_counter()
    groups = cluster.cluster_features(feats, cfg)
    out["cluster_s"] = time.perf_counter() - t
    label = {m: g for g, members in enumerate(groups) for m in members}
    ecb = [i for i, s in enumerate(gold) if s.startswith("ecb:")]
    out["stories"] = len(groups)
    out["b3_f1_ecb"] = b_cubed([label[arts[i].id] for i in ecb], [gold[i] for i in ecb])[2]
    if with_bertopic and dense is not None:
        from bertopic import BERTopic

        model = BERTopic()
        t = time.perf_counter()
        reduced = model.umap_model.fit_transform(dense)
        topics = model.hdbscan_model.fit(reduced).labels_
        out["bertopic_s"] = time.perf_counter() - t
        lab = [int(x) if x >= 0 else -1 - i for i, x in enumerate(topics)]
        out["bertopic_b3_f1_ecb"] = b_cubed([lab[i] for i in ecb], [gold[i] for i in ecb])[2]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--bertopic", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(Path(args.data), args.one, args.bertopic)))
        return
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--data", args.data, "--one", str(n)] + (["--bertopic"] if n == 10000 else [])
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"encoder: {static_status()}; fast path (no parser); one process per size")
    print("| articles | embed s | features s | cluster s | cluster s per 1k | peak RSS MB | stories | B3-F1 (ECB+ copies) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['articles']:,} | {r['embed_s']:.1f} | {r['features_s']:.1f} | {r['cluster_s']:.1f} | "
              f"{1000 * r['cluster_s'] / r['articles']:.2f} | {r['peak_rss_mb']:.0f} | {r['stories']:,} | {r['b3_f1_ecb']:.3f} |")
    ten = next((r for r in rows if "bertopic_s" in r), None)
    if ten:
        print()
        print(f"10k articles, same precomputed embeddings: BERTopic UMAP + HDBSCAN {ten['bertopic_s']:.1f} s "
              f"(B3-F1 {ten['bertopic_b3_f1_ecb']:.3f}); unspun clustering {ten['cluster_s']:.1f} s "
              f"(B3-F1 {ten['b3_f1_ecb']:.3f}): {ten['bertopic_s'] / ten['cluster_s']:.1f}x; with unspun's "
              f"features counted too {ten['bertopic_s'] / (ten['cluster_s'] + ten['features_s']):.1f}x")


if __name__ == "__main__":
    main()
