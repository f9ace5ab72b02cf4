"""Near-duplicate detection speed: unspun's dedup index against datasketch ``MinHashLSH``.

The corpus is real articles from ../shared/data (ECB+, SemEval-2022 Task 8, PolNeAR) plus, for
a third of them, a near copy made the way copy sites make them (a sentence dropped, a few words
changed, a line of junk added), so true duplicate pairs exist in known places.

Both systems get the same documents, the same 5-word shingles (``dedup.shingle_set``), 128
permutations, the same bands x rows (``dedup.lsh_params`` for the threshold), and the same job
per document: sign it, query the index, keep candidates whose estimated Jaccard passes the
threshold, insert it.  unspun signs with rensa and files band keys in a dict; datasketch signs
with its numpy ``MinHash.update_batch`` and uses ``MinHashLSH``.  Pair recall is measured
against the pairs whose exact shingle Jaccard passes the threshold.  The two systems alternate
rounds; each figure is its fastest round.

    .venv/bin/python benchmarks/bench_dedup.py [--data ../shared/data] [--rounds 3] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from collections import defaultdict
from pathlib import Path

from unspun.records import Article
from unspun.stages import dedup

ROOT = Path(__file__).resolve().parents[1]


def load_texts(data: Path) -> list[str]:
    texts = [json.loads(line)["text"] for line in (data / "ecbplus/ecbplus-topics-1-35.jsonl").open(encoding="utf-8")]
    with (data / "semeval2022-t8/pairs-dev.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            texts += [r["text1"], r["text2"]]
    texts += [p.read_text(encoding="utf-8") for p in sorted((data / "polnear/text").glob("*.txt"))]
    seen: set[str] = set()
    return [t for t in texts if len(t) > 400 and not (t in seen or seen.add(t))]  # type: ignore[func-returns-value]


def near_copy(text: str, rng: random.Random) -> str:
    sents = text.split(". ")
    if len(sents) > 6:
        del sents[rng.randrange(1, len(sents) - 1)]
    words = ". ".join(sents).split(" ")
    for _ in range(max(1, len(words) // 150)):
        words[rng.randrange(len(words))] = rng.choice(["reportedly", "officials", "said", "on Monday"])
    return " ".join(words) + "\nRead more: subscribe to our newsletter"


def run_unspun(docs: list[tuple[str, str]], threshold: float, bands: int, rows: int) -> set[tuple[str, str]]:
    dedup._fold_run.cache_clear()  # every round starts cold, as a real run does
    cfg = dedup.DedupConfig(threshold=threshold)
    buckets: dict[str, list[str]] = defaultdict(list)
    sigs: dict[str, tuple[int, ...]] = {}
    found: set[tuple[str, str]] = set()
    for did, text in docs:
        sig = dedup.signature(Article(id=did, source="", text=text), cfg)
        keys = dedup.band_keys(sig, bands, rows)
        cands = {o for k in keys for o in buckets.get(k, ())}
        for o in cands:
            if dedup.jaccard_estimate(sig, sigs[o]) >= threshold:
                found.add((min(did, o), max(did, o)))
        sigs[did] = sig
        for k in keys:
            buckets[k].append(did)
    return found


def run_datasketch(docs: list[tuple[str, str]], threshold: float, bands: int, rows: int) -> set[tuple[str, str]]:
    from datasketch import MinHash, MinHashLSH

    cfg = dedup.DedupConfig(threshold=threshold)
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(bands, rows))
    hashes: dict[str, MinHash] = {}
    found: set[tuple[str, str]] = set()
    for did, text in docs:
        m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        m.update_batch([s.encode("utf-8") for s in dedup.shingle_set(text, cfg.shingle)])
        for o in lsh.query(m):
            if m.jaccard(hashes[o]) >= threshold:
                found.add((min(did, o), max(did, o)))
        hashes[did] = m
        lsh.insert(did, m)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--threshold", type=float, default=0.8)
    args = ap.parse_args()
    rng = random.Random(5)
    base = load_texts(Path(args.data))[: args.limit]
    docs = [(f"d{i:05d}", t) for i, t in enumerate(base)]
    docs += [(f"c{i:05d}", near_copy(t, rng)) for i, t in enumerate(base) if i % 3 == 0]
    rng.shuffle(docs)
    bands, rows = dedup.lsh_params(args.threshold, 128)
    best: dict[str, float] = {}
    found: dict[str, set[tuple[str, str]]] = {}
    for _ in range(args.rounds):
        for name, fn in (("datasketch MinHashLSH", run_datasketch), ("unspun", run_unspun)):
            t0 = time.perf_counter()
            found[name] = fn(docs, args.threshold, bands, rows)
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
    text = dict(docs)
    sh = {d: set(dedup.shingles(t, 5)) for d, t in docs}
    candidates = set().union(*found.values()) | {(f"c{i:05d}", f"d{i:05d}") for i in range(len(base)) if i % 3 == 0}
    truth = {p for p in candidates if p[0] in text and p[1] in text
             and len(sh[p[0]] & sh[p[1]]) / len(sh[p[0]] | sh[p[1]]) >= args.threshold}
    print(f"documents: {len(docs)} ({len(base)} real articles + {len(docs) - len(base)} near copies); "
          f"threshold {args.threshold}, 128 permutations, {bands} bands x {rows} rows; fastest of {args.rounds} rounds")
    print(f"true pairs (exact shingle Jaccard >= {args.threshold}): {len(truth)}")
    print("| system | seconds | docs/s | pair recall | pair precision | speed ratio to datasketch |")
    print("|---|---:|---:|---:|---:|---:|")
    ref = best["datasketch MinHashLSH"]
    for name in ("datasketch MinHashLSH", "unspun"):
        f = found[name]
        recall = len(f & truth) / len(truth) if truth else 1.0
        precision = len(f & truth) / len(f) if f else 1.0
        print(f"| {name} | {best[name]:.2f} | {len(docs) / best[name]:.0f} | {recall:.3f} | {precision:.3f} | "
              f"{ref / best[name]:.2f}x |")


if __name__ == "__main__":
    main()
