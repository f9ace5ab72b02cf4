"""``unspun eval cluster``: story clustering on ECB+ and pair similarity on SemEval-2022 Task 8.

ECB+ holds 35 topics with two real-world events each; the gold story is ``event``.  The
weights and thresholds of :class:`~unspun.stages.cluster.ClusterConfig` were tuned on topics
1-25 only, so 26-35 are the validation figures.  Beside unspun, in the same run:

* **TF-IDF average link**: TF-IDF (fitted on the split, sublinear tf, English stop words)
  cosine, average-link agglomeration, its threshold tuned on topics 1-25 in this run;
* **BERTopic** with the same MiniLM embeddings and its defaults (UMAP + HDBSCAN); documents
  it calls outliers (topic -1) count as singletons;
* **unspun (fast path)**: the static model distilled from MiniLM and no parser, the path that
  scales to a million articles; its cost in accuracy is the gap to the full row.

Clustering times exclude the embeddings, which every method gets precomputed, and BERTopic's
first-use compilation of its numba kernels (about 10 s here), done on a few documents first.

SemEval-2022 Task 8 pairs are rated 1 (same story) to 4 (different): Pearson correlation of a
similarity with ``-Overall`` is reported per language pair, for unspun's pair score, TF-IDF
cosine and MiniLM cosine alone.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..models import Encoder, sentence_encoder, static_encoder
from ..nlp import entities
from ..records import Article, StoryFeatures
from ..stages import cluster, scoring

__all__ = ["DEFAULT_DATA", "b_cubed", "format_table", "run_cluster_eval", "story_features"]

DEFAULT_DATA = {
    "ecbplus": "ecbplus/ecbplus-topics-1-35.jsonl",
    "semeval": "semeval2022-t8/pairs-dev.csv",
}
TRAIN = range(1, 26)
VALIDATION = range(26, 36)


def b_cubed(pred: Sequence[object], gold: Sequence[object]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels."""
    by_pred: dict[object, set[int]] = defaultdict(set)
    by_gold: dict[object, set[int]] = defaultdict(set)
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        by_pred[p].add(i)
        by_gold[g].add(i)
    prec = rec = 0.0
    for p, g in zip(pred, gold, strict=True):
        both = len(by_pred[p] & by_gold[g])
        prec += both / len(by_pred[p])
        rec += both / len(by_gold[g])
    n = len(pred) or 1
    prec, rec = prec / n, rec / n
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def story_features(
    articles: Sequence[Article], encoder: Encoder | None, parse: bool, cfg: cluster.ClusterConfig
) -> tuple[dict[str, StoryFeatures], np.ndarray]:
    """Features of many articles at once: one encoder batch, one NER pass."""
    texts = [cluster.embed_text(a) for a in articles]
    dense = encoder.encode(texts) if encoder is not None else np.zeros((len(articles), 0), dtype=np.float32)
    ents = entities([a.clean_text or a.text for a in articles]) if parse else None
    feats = {
        a.id: cluster.features(a, dense[i] if encoder is not None else None, ents[i] if ents is not None else None, cfg)
        for i, a in enumerate(articles)
    }
    return feats, dense


def _load_ecbplus(path: Path, limit: int | None) -> list[tuple[Article, int, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit is not None:
        rows = rows[:limit]
    return [(Article(id=str(r["id"]), source=str(path), text=str(r["text"])), int(r["topic"]), str(r["event"])) for r in rows]


def _scores(labels: Sequence[object], gold: Sequence[str], seconds: float) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    p, r, f = b_cubed(labels, gold)
    return {"b3_precision": round(p, 4), "b3_recall": round(r, 4), "b3_f1": round(f, 4),
            "ari": round(float(adjusted_rand_score(gold, labels)), 4), "seconds": round(seconds, 3)}


def _tfidf_average_link(texts: Sequence[str], threshold: float) -> list[int]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return [0] * len(texts)
    x = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    dist = np.clip(1.0 - (x @ x.T).toarray(), 0.0, None)
    np.fill_diagonal(dist, 0.0)
    z = linkage(squareform((dist + dist.T) / 2, checks=False), "average")
    return [int(v) for v in fcluster(z, 1.0 - threshold, "distance")]


def _bertopic(texts: Sequence[str], emb: np.ndarray) -> list[int]:
    import logging

    from bertopic import BERTopic

    logging.getLogger("BERTopic").setLevel(logging.WARNING)
    topics, _ = BERTopic(embedding_model=None).fit_transform(list(texts), embeddings=emb)
    # Outliers (-1) are unassigned documents: each is a story of its own.
    return [int(t) if t >= 0 else -1 - i for i, t in enumerate(topics)]


def _ours(feats: dict[str, StoryFeatures], ids: Sequence[str], cfg: cluster.ClusterConfig) -> tuple[list[int], float]:
    t0 = time.perf_counter()
    groups = cluster.cluster_features({i: feats[i] for i in ids}, cfg)
    seconds = time.perf_counter() - t0
    label = {m: n for n, g in enumerate(groups) for m in g}
    return [label[i] for i in ids], seconds


def score_ecbplus(path: Path, limit: int | None = None, cfg: cluster.ClusterConfig | None = None) -> dict[str, Any]:
    cfg = cfg or cluster.ClusterConfig()
    rows = _load_ecbplus(path, limit)
    arts = [a for a, _, _ in rows]
    minilm = sentence_encoder()
    fast = static_encoder()
    full, emb = story_features(arts, minilm, True, cfg)
    quick = story_features(arts, fast, False, cfg)[0] if fast is not None else None
    splits = {"train (topics 1-25)": TRAIN, "validation (topics 26-35)": VALIDATION}
    out: dict[str, Any] = {"encoder": minilm.name if minilm else "none", "articles": len(arts)}
    # The baseline's threshold is tuned on the training topics in this run, as ours was.
    train_idx = [k for k, (_, t, _) in enumerate(rows) if t in TRAIN]
    best_t, best_f = 0.2, -1.0
    for t in np.arange(0.05, 0.6, 0.025):
        lab = _tfidf_average_link([arts[k].text for k in train_idx], float(t))
        f = b_cubed(lab, [rows[k][2] for k in train_idx])[2]
        if f > best_f + 1e-12:
            best_t, best_f = float(t), f
    out["tfidf_threshold"] = round(best_t, 3)
    # Ours compiles its loops on a machine's first use (numba, cached on disk after): not
    # clustering time either.
    scoring.warm_compiled()
    if minilm is not None and len(arts) > 60:
        try:  # UMAP compiles its numba kernels on first use: not clustering time
            _bertopic([a.text for a in arts[:60]], emb[:60])
        except ImportError:
            pass  # reported below, where the split runs it
    for name, topics in splits.items():
        idx = [k for k, (_, t, _) in enumerate(rows) if t in topics]
        if not idx:
            continue
        ids = [arts[k].id for k in idx]
        gold = [rows[k][2] for k in idx]
        block: dict[str, Any] = {}
        lab, sec = _ours(full, ids, cfg)
        block["unspun"] = _scores(lab, gold, sec)
        if quick is not None:
            lab, sec = _ours(quick, ids, cfg)
            block["unspun fast path (static model, no parser)"] = _scores(lab, gold, sec)
        t0 = time.perf_counter()
        lab = _tfidf_average_link([arts[k].text for k in idx], best_t)
        block["TF-IDF average link"] = _scores(lab, gold, time.perf_counter() - t0)
        if len(idx) > 20 and minilm is not None:
            try:
                t0 = time.perf_counter()
                lab = _bertopic([arts[k].text for k in idx], emb[idx])
                block["BERTopic (UMAP + HDBSCAN)"] = _scores(lab, gold, time.perf_counter() - t0)
            except ImportError as exc:  # an optional extra: say so instead of failing the run
                out["bertopic"] = f"not run: {exc} (pip install 'unspun[eval]')"
        out[name] = block
    return out


def _pearson(x: Sequence[float], y: Sequence[float]) -> float:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def score_semeval(path: Path, limit: int | None = None, cfg: cluster.ClusterConfig | None = None) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    cfg = cfg or cluster.ClusterConfig()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:limit]
    arts = []
    for r in rows:
        # Each text in its language, as ingest would detect it (it weighs words by that table).
        arts.append(Article(id=f"{r['pair_id']}#1", source=str(path), text=r["text1"], language=r["lang1"]))
        arts.append(Article(id=f"{r['pair_id']}#2", source=str(path), text=r["text2"], language=r["lang2"]))
    encoder = sentence_encoder()
    feats, emb = story_features(arts, encoder, True, cfg)
    tfidf = TfidfVectorizer(sublinear_tf=True).fit_transform([a.text for a in arts])
    by_pair: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for k, r in enumerate(rows):
        a, b = arts[2 * k], arts[2 * k + 1]
        for key in (f"{r['lang1']}-{r['lang2']}", "all"):
            d = by_pair[key]
            d["gold"].append(-float(r["Overall"]))
            d["unspun"].append(cluster.similarity(feats[a.id], feats[b.id], cfg))
            d["TF-IDF cosine"].append(float((tfidf[2 * k] @ tfidf[2 * k + 1].T).toarray()[0, 0]))
            if encoder is not None:
                d["MiniLM cosine"].append(float(emb[2 * k] @ emb[2 * k + 1]))
    out: dict[str, Any] = {}
    for key in sorted(by_pair, key=lambda k: (k != "en-en", k == "all", k)):
        d = by_pair[key]
        out[key] = {"pairs": len(d["gold"])} | {
            m: round(_pearson(v, d["gold"]), 4) for m, v in d.items() if m != "gold"
        }
    return out


def run_cluster_eval(paths: dict[str, Path], limit: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if "ecbplus" in paths:
        result["ecbplus"] = score_ecbplus(paths["ecbplus"], limit)
    if "semeval" in paths:
        result["semeval"] = score_semeval(paths["semeval"], limit)
    return result


def format_table(result: dict[str, Any]) -> str:
    lines: list[str] = []
    if "ecbplus" in result:
        e = result["ecbplus"]
        lines += [f"ECB+ story clustering (gold: event; {e['articles']} articles; tuned on topics 1-25; "
                  f"TF-IDF threshold {e['tfidf_threshold']} tuned in this run)", "",
                  "| split | method | B3 P | B3 R | B3 F1 | ARI | clustering s |", "|---|---|---:|---:|---:|---:|---:|"]
        for split, block in e.items():
            if not isinstance(block, dict):
                continue
            for method, v in block.items():
                lines.append(f"| {split} | {method} | {v['b3_precision']:.3f} | {v['b3_recall']:.3f} | "
                             f"{v['b3_f1']:.3f} | {v['ari']:.3f} | {v['seconds']:.2f} |")
        lines.append("")
    if "semeval" in result:
        s = result["semeval"]
        methods = sorted({m for v in s.values() for m in v if m != "pairs"}, key=lambda m: (m != "unspun", m))
        lines += ["SemEval-2022 Task 8 pair similarity: Pearson r with -Overall", "",
                  "| languages | pairs | " + " | ".join(methods) + " |", "|---|---:|" + "---:|" * len(methods)]
        for key, v in s.items():
            cells = " | ".join("n/a" if math.isnan(v.get(m, math.nan)) else f"{v[m]:.3f}" for m in methods)
            lines.append(f"| {key} | {v['pairs']} | {cells} |")
    return "\n".join(lines)
