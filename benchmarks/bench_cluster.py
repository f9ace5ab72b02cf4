"""Story clustering cost as the corpus grows, and against BERTopic's UMAP + HDBSCAN at 10k.

The corpus is built from the real articles in ../shared/data by what copy sites do: every
ECB+ article, SemEval-2022 text and PolNeAR article is a base, and copies are made from the
bases in turn (``evaluation.derivation.make_copy``: paraphrase, reorder, drop, condense,
round numbers, shorten quotes, inject junk, retitle) until the corpus has N articles.  A copy
belongs to its base's story: the ECB+ event for ECB+ bases, the base itself otherwise.

Past 10,000 articles the corpus goes on in *generations*: generation g is the first 10,000
articles again with, the same way throughout the generation,

* every name (a capitalized word rarer than Zipf 5, as the name channel reads them) replaced
  by an invented one,
* every other word rarer than Zipf 4.5 ("earthquake", "rehab"; not "police" or "arrested")
  replaced by an English word of the same rarity (same half-Zipf band), picked by a hash,
* every year shifted by 7 g (within 1950-2039).

So each generation's stories are new stories about other people and things at another time,
told in the common words of news, and the number of stories grows with the corpus as it does
in real news (without the swap of rare words, every generation of a story would share its
rarest words, and the blocks of those words would grow with the square of the corpus, which
real news does not do).  A generation-g article's gold story is its base's, tagged g.

Every size runs in a fresh process, so its peak memory (``ru_maxrss``) is its own:

* **embed**: the static MiniLM (model2vec distillation of the bundled MiniLM) over what the
  dense channel reads; computed once and handed to both systems at 10k;
* **features**: names, terms, time anchor and blocking keys per article (no parser: the
  fast path, with its two shared keys a pair; spaCy NER is the per-article cost the full
  path adds);
* **columns**: those features as arrays (``scoring.columns_of``; the million path builds
  them chunk by chunk in its feature workers);
* **cluster**: candidates from blocking keys, edges, average link inside components
  (``cluster.cluster_columns``; compiled loops, loaded before the clock starts);
* at 10k, **BERTopic**: its default UMAP (15 neighbours, 5 dimensions, cosine) and HDBSCAN
  (min cluster size 10) on the same embeddings, ``--bertopic-runs`` times (5; its UMAP is
  not seeded, so each run differs), after a warm-up run over 300 articles (UMAP compiles
  its numba kernels on first use) -- the ratio is the baseline's median seconds over ours,
  printed also with the columns and with the features counted as ours.

B3-F1 is scored on the copies of ECB+ articles (their gold is the event).

    .venv/bin/python benchmarks/bench_cluster.py [--sizes 10000,100000] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from wordfreq import top_n_list, zipf_frequency

from unspun.evaluation.cluster import b_cubed
from unspun.evaluation.derivation import article_lines, make_copy
from unspun.models import static_encoder, static_status
from unspun.records import Article
from unspun.stages import cluster, scoring
from unspun.textutil import fold

ROOT = Path(__file__).resolve().parents[1]


def bases(data: Path) -> list[tuple[str, str, str, str]]:
    """(id, text, story, language) of every real article the corpus is built from."""
    out = []
    for line in (data / "ecbplus/ecbplus-topics-1-35.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        out.append((f"e{r['id']}", str(r["text"]), f"ecb:{r['event']}", "en"))
    with (data / "semeval2022-t8/pairs-dev.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            for k in ("1", "2"):
                out.append((f"s{r['pair_id']}#{k}", r[f"text{k}"], f"s{r['pair_id']}#{k}", r[f"lang{k}"]))
    for p in sorted((data / "polnear/text").glob("*.txt")):
        out.append((f"p{p.stem}", p.read_text(encoding="utf-8"), f"p{p.stem}", "en"))
    return [b for b in out if len(b[1]) > 300]


GENERATION = 10_000
_NAME_WORD = re.compile(r"\b[A-Z][\w’'-]*[a-z][\w’'-]*")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-3]\d)\b")
_SYLLABLES = [c + v for c in "bdklmnrstvz" for v in "aeiou"]


@functools.lru_cache(maxsize=1_000_000)
def _invented(word: str, g: int) -> str:
    """The name standing for ``word`` in generation ``g``: if it is a name, three syllables
    picked by a hash (unknown to any word list, as most names are); else the word itself."""
    if zipf_frequency(fold(word.removesuffix("'s").removesuffix("’s")), "en") >= 5.0:
        return word
    digest = hashlib.blake2b(f"{g}:{word}".encode(), digest_size=3).digest()
    return ("".join(_SYLLABLES[b % len(_SYLLABLES)] for b in digest) + "n").capitalize()


_RARE_WORD = re.compile(r"\b[^\W\d_]{4,}\b")


@functools.lru_cache(maxsize=1)
def _bands() -> dict[int, list[str]]:
    """Plain English words rarer than Zipf 4.5, by half-Zipf band: the stand-ins."""
    out: dict[int, list[str]] = {}
    for w in top_n_list("en", 200_000):
        if w.isalpha() and w.islower() and len(w) >= 4:
            z = zipf_frequency(w, "en")
            if z < 4.5:
                out.setdefault(int(z * 2), []).append(w)
    return out


# Letters a cipher may move within: a word keeps its script (Latin, Cyrillic, Greek, Arabic,
# CJK), so a Russian or Chinese article stays one as far as the features can tell.
_SCRIPTS = [(0x41, 26), (0x61, 26), (0x410, 32), (0x430, 32), (0x391, 25), (0x3B1, 25), (0x621, 42), (0x4E00, 20992)]


def _cipher(word: str, pick: int) -> str:
    """Each letter moved along its alphabet by its own step (steps drawn from ``pick``), so
    two generations seldom turn two words into one."""
    out = []
    for k, c in enumerate(word):
        o = ord(c)
        for lo, size in _SCRIPTS:
            if lo <= o < lo + size:
                c = chr(lo + (o - lo + 1 + (pick >> (5 * (k % 12))) % (size - 1)) % size)
                break
        out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=1_000_000)
def _stand_in(word: str, g: int, lang: str = "en") -> str:
    """The word standing for a rare plain ``word`` in generation ``g`` (itself if common):
    an English word of the same rarity for English, else the word with its letters moved
    along its own alphabet (rare in its language's table either way)."""
    if lang != "en" or not word.isascii():
        steps = int.from_bytes(hashlib.blake2b(f"{g}:{word}".encode(), digest_size=8).digest(), "big")
        return _cipher(word, steps) if cluster.word_zipf(fold(word), lang) < 4.5 else word
    if any(c.isupper() for c in word):  # an English name: already invented (_invented)
        return word
    z = zipf_frequency(word, "en")
    if z >= 4.5:
        return word
    pick = int.from_bytes(hashlib.blake2b(f"{g}:{word}".encode(), digest_size=4).digest(), "big")
    band = _bands().get(int(z * 2))
    if not band:  # unknown to the word list: an invented word
        return "".join(_SYLLABLES[(pick >> (6 * k)) % len(_SYLLABLES)] for k in range(3))
    return band[pick % len(band)]


def regenerate(text: str, g: int, lang: str = "en") -> str:
    """``text`` as generation ``g`` tells it: other names and rare words, years moved by 7 g."""
    if g == 0:
        return text
    text = _NAME_WORD.sub(lambda m: _invented(m.group(), g), text)
    text = _RARE_WORD.sub(lambda m: _stand_in(m.group(), g, lang), text)
    return _YEAR.sub(lambda m: str(1950 + (int(m.group()) - 1950 + 7 * g) % 90), text)


def first_generation(data: Path, n: int = GENERATION) -> list[tuple[str, str, str, str]]:
    """(source, text, story, language) of the first ``min(n, GENERATION)`` articles: the bases,
    then copies of them in turn."""
    rng = random.Random(7)
    base = bases(data)
    first: list[tuple[str, str, str, str]] = []
    for k in range(min(n, GENERATION)):
        bid, text, story, lang = base[k % len(base)]
        lines = article_lines(text)
        if k >= len(base) and len(lines) >= 3:
            lines, _ = make_copy(lines, rng, "Other headline")
        first.append((bid, "\n\n".join(lines), story, lang))
    return first


def article_at(first: list[tuple[str, str, str, str]], k: int) -> tuple[Article, str]:
    """Article ``k`` of the corpus and its gold story."""
    g, j = divmod(k, GENERATION)
    bid, body, _, lang = first[j]
    body = regenerate(body, g, lang)
    title = body.split("\n", 1)[0][:120]
    # The language as the clean stage detects it, here the data set's label.
    art = Article(id=f"a{k:07d}", source=bid, text=body, clean_text=body, title=title, language=lang)
    return art, gold_at(first, k)


def gold_at(first: list[tuple[str, str, str, str]], k: int) -> str:
    """Article ``k``'s gold story: its base's, tagged with its generation past the first."""
    g, j = divmod(k, GENERATION)
    return f"{first[j][2]}@{g}" if g else first[j][2]


def corpus(data: Path, n: int) -> tuple[list[Article], list[str]]:
    first = first_generation(data, n)
    made = [article_at(first, k) for k in range(n)]
    return [a for a, _ in made], [g for _, g in made]


def run_one(data: Path, n: int, bertopic_runs: int, runs: int) -> dict[str, Any]:
    arts, gold = corpus(data, n)
    out: dict[str, Any] = {"articles": n}
    enc = static_encoder()
    t = time.perf_counter()
    dense = enc.encode([cluster.embed_text(a) for a in arts]) if enc is not None else None
    out["embed_s"] = time.perf_counter() - t
    # The fast path's configuration, as bench_million and the README's "at scale" path run it:
    # two shared keys, which ClusterConfig documents as the fast path's better setting on ECB+
    # topics 1-25 (0.8940 against 0.8844 B3-F1 with one).
    cfg = replace(cluster.ClusterConfig(), min_shared_keys=2)
    t = time.perf_counter()
    feats = {a.id: cluster.features(a, dense[i] if dense is not None else None, None, cfg) for i, a in enumerate(arts)}
    out["features_s"] = time.perf_counter() - t
    # The libraries clustering calls are loaded before the clock starts, and its compiled
    # loops (numba, cached on disk after the first compile) loaded, as BERTopic is warmed
    # below: imports and compiling are not clustering.
    import scipy.sparse.csgraph  # noqa: F401

    scoring.warm_compiled()

    # The features as arrays (scoring.Columns): the million path builds them in its feature
    # workers, chunk by chunk, as BERTopic is handed its embeddings as one array.  Timed on
    # its own, and counted with clustering in the second ratio.
    # Timed ``runs`` times like BERTopic below (the median is reported; every run must give
    # the same stories).
    col_s, clu_s, seen = [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        cols = scoring.columns_of(feats, with_terms=bool(cfg.terms))
        col_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        groups = cluster.cluster_columns(cols, cfg)
        clu_s.append(time.perf_counter() - t)
        seen.append(groups)
        del cols
    assert all(g == seen[0] for g in seen), "clustering the same columns twice gave other stories"
    out["columns_s"], out["cluster_s"] = statistics.median(col_s), statistics.median(clu_s)
    label = {m: g for g, members in enumerate(groups) for m in members}
    ecb = [i for i, s in enumerate(gold) if s.startswith("ecb:")]
    out["stories"] = len(groups)
    out["b3_f1_ecb"] = b_cubed([label[arts[i].id] for i in ecb], [gold[i] for i in ecb])[2]
    if bertopic_runs and dense is not None:
        from bertopic import BERTopic

        # BERTopic's UMAP is not seeded by default (seeding it turns off its parallel paths),
        # so each run gives other topics: its B3-F1 moved from 0.87 to 0.90 between single
        # runs here.  Several runs give its spread; the speed ratio uses the median time.
        out["bertopic_s"], out["bertopic_b3_f1_ecb"] = [], []
        # UMAP compiles its numba kernels on first use (36.8 s of a first 10k run here): a
        # run over 300 articles first, so every timed run is warm, as ours is.
        warm = BERTopic()
        warm.hdbscan_model.fit(warm.umap_model.fit_transform(dense[:300]))
        for _ in range(bertopic_runs):
            model = BERTopic()
            t = time.perf_counter()
            reduced = model.umap_model.fit_transform(dense)
            topics = model.hdbscan_model.fit(reduced).labels_
            out["bertopic_s"].append(time.perf_counter() - t)
            lab = [int(x) if x >= 0 else -1 - i for i, x in enumerate(topics)]
            out["bertopic_b3_f1_ecb"].append(b_cubed([lab[i] for i in ecb], [gold[i] for i in ecb])[2])
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--bertopic-runs", type=int, default=5, help="BERTopic runs at 10k (UMAP is not seeded)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of unspun's clustering at 10k (median reported)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(Path(args.data), args.one, args.bertopic_runs, args.runs)))
        return
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        runs = args.bertopic_runs if n == 10000 else 0
        ours = args.runs if n == 10000 else 1
        cmd = [sys.executable, __file__, "--data", args.data, "--one", str(n), "--bertopic-runs", str(runs), "--runs", str(ours)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"encoder: {static_status()}; fast path (no parser, min_shared_keys=2); one process per size; "
          f"columns and cluster: median of {args.runs} runs at 10k, one run above")
    print("| articles | embed s | features s | columns s | cluster s | cluster s per 1k | peak RSS MB | stories | B3-F1 (ECB+ copies) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['articles']:,} | {r['embed_s']:.1f} | {r['features_s']:.1f} | {r['columns_s']:.2f} | {r['cluster_s']:.2f} | "
              f"{1000 * r['cluster_s'] / r['articles']:.3f} | {r['peak_rss_mb']:.0f} | {r['stories']:,} | {r['b3_f1_ecb']:.3f} |")
    ten = next((r for r in rows if r.get("bertopic_s")), None)
    if ten:
        secs, f1s = ten["bertopic_s"], ten["bertopic_b3_f1_ecb"]
        median = statistics.median(secs)
        print()
        ours, cols_s, feats_s = ten["cluster_s"], ten["columns_s"], ten["features_s"]
        print(f"10k articles, same precomputed embeddings: BERTopic UMAP + HDBSCAN, {len(secs)} warm runs (UMAP unseeded): "
              f"median {median:.2f} s, B3-F1 mean {sum(f1s) / len(f1s):.3f} "
              f"(runs: {', '.join(f'{f:.3f}' for f in f1s)}); unspun clustering from columns {ours:.2f} s "
              f"(B3-F1 {ten['b3_f1_ecb']:.3f}, deterministic): {median / ours:.1f}x; "
              f"with the columns built from the feature records {median / (ours + cols_s):.1f}x; "
              f"with unspun's features counted too {median / (ours + cols_s + feats_s):.1f}x")


if __name__ == "__main__":
    main()
