"""Cluster: group articles into stories.

Each article gets :class:`StoryFeatures` from itself alone: a dense embedding of its title and
opening, a term vector and a name vector weighted by how rare each word is in the article's
language at large (``wordfreq``, a fixed table per language, English where there is none, so
a weight never depends on the rest of the corpus), the named
entities from spaCy with bare surnames linked to the full name given earlier in the article,
and a time anchor (the publication date, else the first year the text mentions).

Two articles' similarity mixes those channels (weights below).  Candidate pairs come from
blocking keys (an article's most distinctive words; optionally sign-bit bands of its
embedding), so an article is compared with the few that share a key, never with the whole
corpus.  Pairs at or above ``edge_floor`` become edges; stories are the clusters of
average-link agglomeration, stopped at ``threshold``, inside each connected component of the
edges that reach ``threshold``.

Every step is a function of the article set, not of the order articles arrived in: features
and pair scores depend on two articles only, and the merge order is fixed by scores and ids.
So a store that grows one article at a time ends with the stories one run over everything
gives, and only the components a new article touches are recomputed.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from ..records import Article, Story, StoryFeatures, content_id
from ..textutil import STOPWORDS, fold
from .linkage import average_link, cluster_graph, cluster_rows, components, edge_rows

__all__ = [
    "ClusterConfig",
    "average_link",
    "blocking_keys",
    "candidate_pairs",
    "cluster_features",
    "components",
    "cosine",
    "dense_of",
    "edges_for",
    "features",
    "live_keys",
    "make_stories",
    "similarity",
    "table_language",
    "word_zipf",
]

Vector = dict[str, float]


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Weights and thresholds, tuned on ECB+ topics 1-25 only (26-35 are the validation set).

    ``scripts/tune_cluster.py`` searches the grid (dense and entity channels kept in the mix)
    and ranks by B3-F1 averaged over the threshold and its neighbours.  Names carry the most
    weight: the two events of an ECB+ topic share their vocabulary ("rehab", "earthquake") and
    differ in who and when, so the plain term channel earns no weight there (its words still
    serve as blocking keys).  A different year is the strongest single sign of a
    different event (1.2 % of the different-event pairs of a topic share the first year named,
    against 76 % of the same-event pairs), hence the bonus and the penalty.
    """

    dense: float = 0.3
    terms: float = 0.0
    names: float = 0.5
    entities: float = 0.2
    time_bonus: float = 0.1
    time_penalty: float = 0.1
    # Dated articles: within ``near_days`` of each other earn the bonus, more than ``far_days``
    # apart pay the penalty (a follow-up weeks later is often still the same story).
    near_days: int = 7
    far_days: int = 60
    # Average-link merges stop below this mean pair score.
    threshold: float = 0.4
    # Pairs scoring below this are not kept as edges: they count as 0 in the average, which
    # changes no ECB+ decision at 0.2 and keeps components small (max 77 articles on ECB+).
    edge_floor: float = 0.2
    # Blocking: an article is filed under its ``block_keys`` most distinctive words.  24 is the
    # smallest count tried (12 to 40) that reaches the best training-topic B3-F1 on both paths:
    # 0.9172 with MiniLM and the parser (every count from 14 up ties), 0.8844 on the fast path
    # (static model, no parser; 20 words give 0.8829), against 0.9147 and 0.8829 for the old
    # 12 words plus embedding bands.  Embedding bands (``dense_bands`` groups of ``dense_rows``
    # sign bits) are off: with 256 buckets a band, about 6 % of all pairs share one at any
    # corpus size, so they made candidates grow with the square of the corpus (90 % of them
    # at 10k articles) and added nothing on ECB+ once there were enough words.  They stay
    # available for corpora whose copies share no rare word.
    block_keys: int = 24
    # A blocking key is a word used less than once in 10,000 words of its language (Zipf 5,
    # the bar names already meet): "know", "here's" or "about" file tens of thousands of
    # articles together in a large corpus and find no pair that rarer words miss.  On ECB+
    # topics 1-25 it leaves B3-F1 unchanged on both paths and removes 10 % (fast path) to
    # 59 % (full path) of the candidate pairs.
    key_max_zipf: float = 5.0
    # Block purging: a key filed under more than ``max_block`` articles pairs nobody.  No word
    # is that rare across a large corpus (at a million benchmark articles "年", "afp" or a
    # boilerplate word would each pair tens of thousands of articles, hundreds of millions of
    # pairs), and the articles of one story share rarer keys too.  It bounds an article's
    # candidates by ``block_keys * max_block``.  No ECB+ key comes near it (the largest ECB+
    # block, "friday", holds 84 articles), so tuned figures do not move; a store that grows
    # past it drops the pairs only that key made (see ``pipeline``).
    max_block: int = 2000
    max_terms: int = 100
    dense_bands: int = 0
    dense_rows: int = 8


# --- features --------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]|\d[\d,.]*\d|\d")
_NAME = re.compile(r"\b[A-Z][\w’'-]*[a-z][\w’'-]*(?:\s+[A-Z][\w’'-]*[a-z][\w’'-]*)*")
_POSSESSIVE = re.compile(r"[’']s$")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-3]\d)\b")
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|\S+@[\w-]+(?:\.[\w-]+)+"
                      r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|info|io|co|uk)\b(?:/\S*)?", re.IGNORECASE)
# A cheap first look: most articles hold no address, and the full pattern tries every word.
_ADDRESS_HINT = re.compile(r"://|www\.|@|\.(?:com|org|net|gov|edu|info|io|co|uk)\b", re.IGNORECASE)
_ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "NORP", "PRODUCT", "WORK_OF_ART", "LAW"})
# Names: capitalized words rarer than Zipf 5 (about 1 in 10,000 words), so sentence-initial
# "The" or "Police" are not taken for names.
_NAME_MAX_ZIPF = 5.0
# Rarity weight: 7.5 - Zipf frequency, floored at 0.  Zipf 7.5 is above "the"; a word unknown
# to the table (most names, numbers) gets the full 7.5.
_RARE = 7.5
EMBED_CHARS = 2000  # MiniLM reads 256 word pieces; the static model is cut to the same opening


@functools.lru_cache(maxsize=500_000)
def word_zipf(word: str, lang: str = "en") -> float:
    """Zipf frequency of ``word`` (log10 of its uses per billion words) in ``lang``'s
    ``wordfreq`` table; English for a language whose tokenizer is not installed (Chinese
    needs jieba)."""
    from wordfreq import zipf_frequency

    try:
        return float(zipf_frequency(word, lang))
    except ImportError:
        return float(zipf_frequency(word, "en"))


def _rarity(word: str, lang: str = "en") -> float:
    """Rarity of ``word`` in ``lang``'s table.  In the English table every word of another
    language looks rare: Spanish "que" or German "der" (Zipf 7.5 at home) would be the most
    distinctive words of every article in those languages, keys shared by all of them."""
    return max(0.0, _RARE - word_zipf(word, lang))


@functools.lru_cache(maxsize=1)
def _tables() -> frozenset[str]:
    from wordfreq import available_languages

    return frozenset(available_languages())


def table_language(article: Article) -> str:
    """The frequency table an article's words are weighed by: its language's when it has one
    that ``wordfreq`` knows ("es", "pt-BR" -> "pt"), English otherwise."""
    code = (article.language or "en").replace("_", "-").split("-")[0].lower()
    return code if code in _tables() else "en"


def _unit(counts: Mapping[str, float], limit: int, rarity: Callable[[str], float] = _rarity) -> Vector:
    """Log-scaled counts times rarity, the ``limit`` heaviest kept, scaled to unit length."""
    weighted = {w: (1.0 + math.log(c)) * rarity(w) for w, c in counts.items() if c > 0}
    top = sorted(((w, v) for w, v in weighted.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:limit]
    norm = math.sqrt(sum(v * v for _, v in top)) or 1.0
    return {w: round(v / norm, 6) for w, v in top}


def _terms(text: str, limit: int, lang: str = "en") -> Vector:
    toks = (fold(t) for t in _TOKEN.findall(text))
    return _unit(Counter(t for t in toks if t not in STOPWORDS), limit, lambda w: _rarity(w, lang))


def _names(text: str, limit: int, lang: str = "en") -> Vector:
    counts: Counter[str] = Counter()
    for m in _NAME.finditer(text):
        for w in m.group().split():
            w = fold(_POSSESSIVE.sub("", w))
            if len(w) > 1 and _rarity(w, lang) > _RARE - _NAME_MAX_ZIPF:
                counts[w] += 1
    return _unit(counts, limit, lambda w: _rarity(w, lang))


def _entities(ents: Iterable[tuple[str, str]], limit: int, lang: str = "en") -> Vector:
    """Entity keys; a one-word PERSON that ends a longer PERSON named earlier becomes that name."""
    counts: Counter[str] = Counter()
    people: list[str] = []
    for text, label in ents:
        if label not in _ENTITY_LABELS:
            continue
        key = " ".join(fold(_POSSESSIVE.sub("", w)) for w in text.split())
        if not key.strip():
            continue
        if label == "PERSON":
            parts = key.split()
            if len(parts) > 1:
                people.append(key)
            else:
                key = next((p for p in reversed(people) if p.split()[-1] == key), key)
        counts[key] += 1
    # A multi-word name is as rare as its rarest word.
    return _unit(counts, limit, lambda k: max(_rarity(w, lang) for w in k.split()))


def _anchor(article: Article, body: str) -> str | None:
    if article.published_at and len(article.published_at) >= 10:
        return article.published_at[:10]
    m = _YEAR.search(body)
    return m.group() if m else None


def embed_text(article: Article) -> str:
    """What the dense channel reads: the title and the opening of the clean text."""
    body = article.clean_text or article.text
    return ((article.title + "\n") if article.title else "") + body[:EMBED_CHARS]


def _pack(vec: npt.NDArray[np.float32]) -> str:
    return base64.b64encode(np.asarray(vec, dtype="<f2").tobytes()).decode("ascii")


def _unpack(packed: str) -> npt.NDArray[np.float32] | None:
    if not packed:
        return None
    return np.frombuffer(base64.b64decode(packed), dtype="<f2").astype(np.float32)


def dense_of(feats: StoryFeatures) -> npt.NDArray[np.float32] | None:
    return _unpack(feats.dense)


@functools.lru_cache(maxsize=8)
def _planes(dim: int, n: int) -> npt.NDArray[np.float32]:
    # Fixed random hyperplanes (PCG64 with a fixed seed gives the same numbers everywhere).
    return np.random.default_rng(20231001).standard_normal((n, dim)).astype(np.float32)


def blocking_keys(feats: StoryFeatures, cfg: ClusterConfig, vec: npt.NDArray[np.float32] | None = None,
                  lang: str = "en") -> tuple[str, ...]:
    """Keys an article is filed under: its most distinctive words, and embedding bands.

    Two articles become a candidate pair when they share a key.  The words are the
    highest-weighted of its names, entity words and terms that are rarer than
    ``cfg.key_max_zipf`` in ``lang``'s table; the bands are groups of
    ``dense_rows`` sign bits of random projections (SimHash), which catch paraphrases that
    share no rare word.
    """
    pool: dict[str, float] = {}
    for vecs in (feats.terms, feats.names):
        for w, v in vecs.items():
            pool[w] = max(pool.get(w, 0.0), v)
    for k, v in feats.entities.items():
        for w in k.split():
            pool[w] = max(pool.get(w, 0.0), v)
    # Words only (an entity's "-" is no key), and rare ones.
    rare = ((w, v) for w, v in pool.items() if any(c.isalnum() for c in w) and word_zipf(w, lang) < cfg.key_max_zipf)
    words = sorted(rare, key=lambda kv: (-kv[1], kv[0]))[: cfg.block_keys]
    keys = [f"w:{w}" for w, _ in words]
    if vec is None:
        vec = dense_of(feats)
    if vec is not None and cfg.dense_bands:
        bits = (_planes(vec.shape[0], cfg.dense_bands * cfg.dense_rows) @ vec) > 0
        for b in range(cfg.dense_bands):
            chunk = bits[b * cfg.dense_rows : (b + 1) * cfg.dense_rows]
            keys.append(f"d{b}:{int(np.packbits(chunk)[0]) if cfg.dense_rows <= 8 else chunk.tobytes().hex()}")
    return tuple(sorted(set(keys)))


def features(
    article: Article,
    dense: npt.NDArray[np.float32] | None = None,
    ents: Sequence[tuple[str, str]] | None = None,
    cfg: ClusterConfig = ClusterConfig(),
) -> StoryFeatures:
    """An article's story features.  ``dense`` is its row from the encoder over
    :func:`embed_text`; ``ents`` its (text, label) named entities, None when no parser ran."""
    body = article.clean_text or article.text
    # Web and mail addresses are not words of the story: "www", "com" and "http" would be
    # among the rarest words (and blocking keys) of every article that cites a link.
    text = ((article.title + "\n") if article.title else "") + body
    if _ADDRESS_HINT.search(text):
        text = _ADDRESS.sub(" ", text)
    lang = table_language(article)
    packed = _pack(dense) if dense is not None else ""
    base = StoryFeatures(
        dense=packed,
        terms=_terms(text, cfg.max_terms, lang),
        names=_names(text, cfg.max_terms, lang),
        entities=_entities(ents, cfg.max_terms, lang) if ents is not None else {},
        anchor=_anchor(article, body),
        parsed=ents is not None,
        keys=(),
    )
    # Keys from the stored (float16) vector, so a reloaded article files under the same bands.
    return replace(base, keys=blocking_keys(base, cfg, _unpack(packed), lang))


# --- similarity ------------------------------------------------------------------------


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    # Shared words in word order: the order the batch scorer (:func:`edges_for`) sums in too.
    return sum(a[t] * b[t] for t in sorted(a.keys() & b.keys()))


def _dot(va: npt.NDArray[np.float32], vb: npt.NDArray[np.float32]) -> float:
    # In float64 (each product exact), summed as numpy sums a row: the batch scorer's numbers.
    return float((va.astype(np.float64) * vb.astype(np.float64)).sum())


def _time(a: str | None, b: str | None, cfg: ClusterConfig) -> float:
    if not a or not b:
        return 0.0
    if len(a) >= 10 and len(b) >= 10:
        try:
            days = abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)
        except ValueError:
            return 0.0
        if days <= cfg.near_days:
            return cfg.time_bonus
        return -cfg.time_penalty if days > cfg.far_days else 0.0
    return cfg.time_bonus if a[:4] == b[:4] else -cfg.time_penalty


def similarity(
    a: StoryFeatures,
    b: StoryFeatures,
    cfg: ClusterConfig,
    dense: tuple[npt.NDArray[np.float32] | None, npt.NDArray[np.float32] | None] | None = None,
) -> float:
    """Weighted mix over the channels both articles have, plus the time adjustment.

    A channel one article lacks (no encoder, no parser) is left out and the remaining weights
    are rescaled to sum to one, so a missing model lowers accuracy but not the scale of scores.
    """
    parts = [(cfg.terms, cosine(a.terms, b.terms)), (cfg.names, cosine(a.names, b.names))]
    if a.parsed and b.parsed:
        parts.append((cfg.entities, cosine(a.entities, b.entities)))
    va, vb = dense if dense is not None else (dense_of(a), dense_of(b))
    if va is not None and vb is not None and va.shape == vb.shape:
        parts.append((cfg.dense, _dot(va, vb)))
    total = sum(w for w, _ in parts) or 1.0
    score = sum(w * s for w, s in parts) / total + _time(a.anchor, b.anchor, cfg)
    return round(score, 6)


# --- candidates, edges and clusters ----------------------------------------------------


def live_keys(counts: Mapping[str, int], cfg: ClusterConfig) -> set[str]:
    """Keys that still pair articles: those filed under at most ``cfg.max_block`` of them."""
    return {k for k, c in counts.items() if c <= cfg.max_block}


def candidate_pairs(feats: Mapping[str, StoryFeatures], cfg: ClusterConfig = ClusterConfig()) -> list[tuple[str, str]]:
    """Pairs that share a live blocking key (see :func:`live_keys`), each once, sorted."""
    ids, ia, ib = _candidate_rows(feats, cfg)
    return [(ids[x], ids[y]) for x, y in zip(ia.tolist(), ib.tolist(), strict=True)]


def _candidate_rows(feats: Mapping[str, StoryFeatures], cfg: ClusterConfig,
                    ) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """:func:`candidate_pairs` as row numbers into the sorted ids.  Millions of pairs at 10k
    articles: the article-by-key incidence matrix times its transpose finds them in C (a
    sparse product), a block of rows at a time so memory stays bounded."""
    from scipy.sparse import csr_matrix

    ids = sorted(feats)
    n = len(ids)
    vocab: dict[str, int] = {}
    indptr, cols = [0], []
    for aid in ids:
        cols += [vocab.setdefault(k, len(vocab)) for k in feats[aid].keys]
        indptr.append(len(cols))
    col = np.asarray(cols, dtype=np.int64)
    # A purged key's entries become zeros the product skips (stored, but adding nothing).
    live = np.bincount(col, minlength=len(vocab)) <= cfg.max_block
    incidence = csr_matrix((live[col].astype(np.int32), col, indptr), shape=(n, max(1, len(vocab))))
    incidence.eliminate_zeros()
    by_key = incidence.T.tocsr()
    codes: list[npt.NDArray[np.int64]] = []
    for lo in range(0, n, _CANDIDATE_BLOCK):
        shared = incidence[lo : lo + _CANDIDATE_BLOCK] @ by_key
        # Upper triangle straight from the product's rows, widened to int64 only once halved:
        # at 10k articles the product holds 7 M entries, and fresh memory costs page faults.
        row = np.repeat(np.arange(lo, lo + shared.shape[0], dtype=np.int64), np.diff(shared.indptr))
        keep = shared.indices > row
        codes.append(np.sort(row[keep] * n + shared.indices[keep]))  # blocks ascend, so the whole is sorted
    u = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
    return ids, u // max(n, 1), u % max(n, 1)


# Rows per block of the candidate product: bounds its output (a row's co-keyed articles).
_CANDIDATE_BLOCK = 20_000


# Pairs scored per batch: bounds the gathered rows (dense vectors in float64) to tens of MB.
_BATCH = 20_000


def edges_for(
    pairs: Iterable[tuple[str, str]], feats: Mapping[str, StoryFeatures], cfg: ClusterConfig
) -> list[tuple[str, str, float]]:
    """Scored pairs at or above the edge floor, ``(a, b, score)`` with ``a < b``.

    The same numbers as :func:`similarity`, computed for many pairs at once; each pair's score
    is summed in an order fixed by its own two articles, so no batch changes it.
    """
    ordered = [(min(x, y), max(x, y)) for x, y in pairs]
    ids = sorted({i for p in ordered for i in p})
    row = {aid: k for k, aid in enumerate(ids)}
    ia = np.fromiter((row[a] for a, _ in ordered), dtype=np.int64, count=len(ordered))
    ib = np.fromiter((row[b] for _, b in ordered), dtype=np.int64, count=len(ordered))
    return _score_rows(ids, ia, ib, feats, cfg)


def _score_rows(ids: Sequence[str], ia: npt.NDArray[np.int64], ib: npt.NDArray[np.int64],
                feats: Mapping[str, StoryFeatures], cfg: ClusterConfig) -> list[tuple[str, str, float]]:
    x, y, v = _score_arrays(ids, ia, ib, feats, cfg)
    return list(zip([ids[a] for a in x.tolist()], [ids[b] for b in y.tolist()], v.tolist(), strict=True))


def _score_arrays(ids: Sequence[str], ia: npt.NDArray[np.int64], ib: npt.NDArray[np.int64],
                  feats: Mapping[str, StoryFeatures], cfg: ClusterConfig,
                  ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The pairs ``(ia, ib)`` (rows into ``ids``) that reach the edge floor, and their scores."""
    xs, ys, vs = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    if not len(ia):
        return xs[0], ys[0], vs[0]
    table = _Table(ids, feats, cfg)
    for lo in range(0, len(ia), _BATCH):
        x, y = ia[lo : lo + _BATCH], ib[lo : lo + _BATCH]
        score = table.scores(x, y)
        near = np.flatnonzero(score >= cfg.edge_floor - 1e-6)
        v = _round6(score[near])
        keep = near[v >= cfg.edge_floor]
        xs.append(x[keep])
        ys.append(y[keep])
        vs.append(v[v >= cfg.edge_floor])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(vs)


def _round6(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``round(x, 6)`` of each value, as Python gives it (what :func:`similarity` returns).

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
    """Every channel of a set of articles as arrays, for scoring pairs of rows at once."""

    def __init__(self, ids: Sequence[str], feats: Mapping[str, StoryFeatures], cfg: ClusterConfig) -> None:
        from scipy.sparse import csr_matrix

        self.cfg = cfg
        fs = [feats[i] for i in ids]

        def sparse(vectors: list[Vector]) -> Any:
            # Columns in word order, so a pair's products are summed in the same order whatever
            # else is in the batch.
            vocab = {w: k for k, w in enumerate(sorted({w for v in vectors for w in v}))}
            indptr, cols, vals = [0], [], []
            for v in vectors:
                items = sorted((vocab[w], x) for w, x in v.items())
                cols += [c for c, _ in items]
                vals += [x for _, x in items]
                indptr.append(len(cols))
            return csr_matrix((np.asarray(vals, dtype=np.float64), np.asarray(cols, dtype=np.int64), indptr),
                              shape=(len(vectors), max(1, len(vocab))))

        self.terms = sparse([f.terms for f in fs]) if cfg.terms else None
        self.names = sparse([f.names for f in fs])
        self.entities = sparse([f.entities for f in fs])
        self.parsed = np.array([f.parsed for f in fs], dtype=bool)
        vecs = [dense_of(f) for f in fs]
        self.dim = np.array([-1 if v is None else v.shape[0] for v in vecs], dtype=np.int64)
        width = int(self.dim.max(initial=0))
        # float32 holds every stored (float16) value exactly at half float64's memory; rows are
        # widened to float64 as a batch gathers them.
        self.dense = np.zeros((len(fs), max(width, 1)), dtype=np.float32)
        for k, v in enumerate(vecs):
            if v is not None:
                self.dense[k, : v.shape[0]] = v
        # See :meth:`_dense_dots`: float16 values (as every stored vector is) of norm at most 4.
        norms = np.sqrt(np.square(self.dense, dtype=np.float64).sum(axis=1)) if len(fs) else np.zeros(0)
        self.exact_order_free = bool((norms <= 4.0).all() and np.array_equal(self.dense.astype(np.float16), self.dense))
        # Time anchors: a day number for full dates (-1 when unparseable), the year text's code.
        self.full = np.array([len(f.anchor or "") >= 10 for f in fs], dtype=bool)
        self.day = np.array([_day(f.anchor or "") if full else -1 for f, full in zip(fs, self.full.tolist(), strict=True)],
                            dtype=np.int64)
        years = {y: k for k, y in enumerate(sorted({f.anchor[:4] for f in fs if f.anchor}))}
        self.year = np.array([years[f.anchor[:4]] if f.anchor else -1 for f in fs], dtype=np.int64)

    @staticmethod
    def _rowdot(m: Any, p: _Pairs) -> npt.NDArray[np.float64]:
        """Sparse dot products of row pairs, each equal to :func:`cosine` bit for bit.

        SciPy's sparse product adds an output entry's products in the order of the left row's
        columns, which are in word order: the order :func:`cosine` sums in, from the same
        zero.  (An elementwise product summed along rows does not keep that order.)  One
        product over the batch's distinct rows and columns serves every pair when that block
        is not much bigger than the batch; otherwise the batch is halved until it is, which
        pairs sorted by row (as candidates come) never need.
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
        cfg = self.cfg
        p = _Pairs(x, y)
        # The weighted mix of :func:`similarity`, channel by channel in its order.
        num = np.zeros(len(x), dtype=np.float64)
        total = np.zeros(len(x), dtype=np.float64)
        if self.terms is not None:
            num += cfg.terms * self._rowdot(self.terms, p)
        total += cfg.terms
        num += cfg.names * self._rowdot(self.names, p)
        total += cfg.names
        both = self.parsed[x] & self.parsed[y]
        if both.any():
            num += np.where(both, cfg.entities * self._rowdot(self.entities, p), 0.0)
            total += np.where(both, cfg.entities, 0.0)
        dense = (self.dim[x] >= 0) & (self.dim[x] == self.dim[y])
        if dense.any():
            dot = self._dense_dots(p)
            num += np.where(dense, cfg.dense * dot, 0.0)
            total += np.where(dense, cfg.dense, 0.0)
        total = np.where(total == 0, 1.0, total)
        return num / total + self._time(x, y)

    def _dense_dots(self, p: _Pairs) -> npt.NDArray[np.float64]:
        """Dense dot products of row pairs, equal to :func:`_dot` bit for bit either way.

        Stored vectors are float16 values, so every product is a multiple of 2**-48 with at
        most 22 significant bits, and while the absolute products of a pair sum to at most 32
        (unit vectors: 1) every partial sum is exact in float64: no summation order rounds.
        So a matrix product over the batch's distinct rows and columns (BLAS, in C) gives the
        pairwise sum's numbers; it is used when it is not much bigger than the batch.
        """
        if self.exact_order_free and p.compact:
            wide = self.dense[p.cols].astype(np.float64)
            block: npt.NDArray[np.float64] = self.dense[p.rows].astype(np.float64) @ wide.T
            return block[p.xr, p.yc]
        dots: npt.NDArray[np.float64] = (self.dense[p.x].astype(np.float64) * self.dense[p.y].astype(np.float64)).sum(axis=1)
        return dots

    def _time(self, x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        cfg = self.cfg
        out = np.zeros(len(x), dtype=np.float64)
        has = (self.year[x] >= 0) & (self.year[y] >= 0)
        both_full = has & self.full[x] & self.full[y]
        valid = both_full & (self.day[x] >= 0) & (self.day[y] >= 0)
        days = np.abs(self.day[x] - self.day[y])
        out = np.where(valid & (days <= cfg.near_days), cfg.time_bonus, out)
        out = np.where(valid & (days > cfg.far_days), -cfg.time_penalty, out)
        same_year = self.year[x] == self.year[y]
        partial = has & ~both_full
        out = np.where(partial & same_year, cfg.time_bonus, out)
        return np.where(partial & ~same_year, -cfg.time_penalty, out)


def _day(anchor: str) -> int:
    try:
        return date.fromisoformat(anchor[:10]).toordinal()
    except ValueError:
        return -1


def cluster_features(feats: Mapping[str, StoryFeatures], cfg: ClusterConfig = ClusterConfig(),
                     extra_edges: Iterable[tuple[str, str, float]] = ()) -> list[list[str]]:
    """Stories over a whole set of articles in memory: candidates, edges, clusters.  The
    edges stay arrays of row numbers from scoring to linkage (no tuple per edge)."""
    ids, ia, ib = _candidate_rows(feats, cfg)
    x, y, v = _score_arrays(ids, ia, ib, feats, cfg)
    del ia, ib  # 16 bytes a candidate pair (1.7 GB at 100k articles), not needed for linkage
    ex, ey, ev = edge_rows({aid: k for k, aid in enumerate(ids)}, extra_edges)
    return cluster_rows(ids, np.concatenate([x, ex]), np.concatenate([y, ey]), np.concatenate([v, ev]), cfg.threshold)


def cluster_edges(nodes: Iterable[str], edges: Sequence[tuple[str, str, float]], cfg: ClusterConfig) -> list[list[str]]:
    """Average link over the graph of scored pairs, stopped at the merge threshold (see
    :mod:`.linkage`: rounds of reciprocal nearest neighbours as sparse matrix products, whose
    cost follows the edges however big a component gets; at 10k benchmark articles 8,142 of
    them are one component of edges at the threshold, chained by copies of one story).
    """
    return cluster_graph(nodes, edges, cfg.threshold)


def make_stories(groups: Iterable[list[str]], articles: Mapping[str, Article]) -> list[Story]:
    """Story records for clusters; the title is the earliest titled member's title."""
    stories = []
    for members in groups:
        arts = [articles[m] for m in members]
        dated = sorted(a.published_at for a in arts if a.published_at)
        titled = sorted((a for a in arts if a.title), key=lambda a: (a.published_at or "9999", a.id))
        if titled:
            title = titled[0].title or ""
        else:
            first = min(arts, key=lambda a: a.id)
            title = (first.clean_text or first.text).strip().split("\n")[0][:120]
        stories.append(
            Story(
                id=content_id("s", members[0], length=12),
                title=title,
                article_ids=tuple(members),
                first_published=dated[0] if dated else None,
                last_published=dated[-1] if dated else None,
            )
        )
    return stories
