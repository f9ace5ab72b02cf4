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
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from ..records import Article, ArticleHead, Story, StoryFeatures, content_id
from ..textutil import STOPWORDS, fold
from .linkage import average_link, cluster_graph, components, groups_of, upper_labels
from .scoring import Columns, candidate_blocks, columns_of, scored_graph, scored_rows, unpack

__all__ = [
    "ClusterConfig",
    "average_link",
    "blocking_keys",
    "candidate_pairs",
    "cluster_columns",
    "cluster_features",
    "components",
    "cosine",
    "dense_of",
    "edges_for",
    "features",
    "forget_words",
    "link_graph",
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
    # The time adjustment applies only to pairs whose content (the channels' mix) scores at
    # least this much, the edge floor: time tells apart two events of one kind, it does not
    # make two articles that share nothing else one story, nor push such a pair further apart.
    # On ECB+ topics 1-25 every value from 0.1 to 0.25 gives the same B3-F1 on both paths
    # (0.9192 and 0.8844) as no gate; at the edge floor a shared year can no longer make an
    # edge on its own, which drops 9 % of the fast path's edges there.  Pairs of unrelated
    # articles no longer move by the accident of their first years: 30 of the 89 SemEval-22
    # en-en pairs under 0.2 did (17 up, 13 down), and en-en Pearson goes 0.779 -> 0.795.
    time_min_content: float = 0.2
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
    # A candidate pair shares at least this many live keys.  1 on ECB+ (two shared keys lose
    # 0.008 of validation B3-F1 with MiniLM and the parser); for the fast path (static model,
    # no parser) two shared keys score better on ECB+ topics 1-25 (0.8940 against 0.8844) and
    # cut a large corpus's candidates by more than three (100k benchmark articles: 61 M ->
    # 17.7 M): most single-key pairs are two articles that share one fairly rare word.
    # A pair-local rule, so a growing store stays equal to one run.
    min_shared_keys: int = 1
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


_NO_TOKENIZER: set[str] = set()


@functools.lru_cache(maxsize=2_000_000)
def word_zipf(word: str, lang: str = "en") -> float:
    """Zipf frequency of ``word`` (log10 of its uses per billion words) in ``lang``'s
    ``wordfreq`` table; English for a language whose tokenizer is not installed (Chinese
    needs jieba).  The cache holds a million-article corpus's words (invented names
    included); a smaller one thrashed."""
    from wordfreq import zipf_frequency

    if lang in _NO_TOKENIZER:
        lang = "en"
    quick = _plain_zipf(word, lang)
    if quick is not None:
        return quick
    try:
        return float(zipf_frequency(word, lang))
    except ImportError:
        # Known once: wordfreq would otherwise look for the missing package on every word.
        _NO_TOKENIZER.add(lang)
        return float(zipf_frequency(word, "en"))


@functools.cache
def _plain_table(lang: str, ascii_only: bool = True) -> dict[str, float] | None:
    """``lang``'s frequency table when its tokenizer is wordfreq's word pattern (which leaves
    a lowercase ASCII word whole); None otherwise (Chinese, Japanese: a segmenter).  For
    other letters, only where wordfreq does nothing to a casefolded NFC word but split it at
    non-letters: no mark removal, dotless i, transliteration or NFKC (Arabic, Turkish and
    Serbian, for instance, go through wordfreq)."""
    from wordfreq import get_frequency_dict
    from wordfreq.language_info import get_language_info

    info = get_language_info(lang)
    if info["tokenizer"] != "regex":
        return None
    if not ascii_only and (info["normal_form"] != "NFC" or info["remove_marks"] or info["dotless_i"]
                           or info["transliteration"] or info["diacritics_under"]):
        return None
    table: dict[str, float] = get_frequency_dict(lang, "best")
    return table


def _plain_zipf(word: str, lang: str) -> float | None:
    """``zipf_frequency(word, lang)`` for a lowercase word of letters, without tokenizing it (about
    40 microseconds a word, and a million articles hold millions of distinct words, invented
    names included): the table's frequency put through wordfreq's own steps (the reciprocal
    sum of one token, three significant digits, the Zipf scale to two decimals).  None for
    any other word, which goes through wordfreq itself.  ``test_plain_words_skip_the_tokenizer``
    holds it equal on real words in every benchmark language."""
    if not word.isalpha():
        return None
    if word.isascii():
        if not word.islower():
            return None
        table = _plain_table(lang)
    elif max(word) < "\u0530" and word == word.casefold() and unicodedata.is_normalized("NFC", word):
        # Latin, Greek and Cyrillic letters only: wordfreq's pattern cuts ideographs and
        # other scripts' runs apart ("和finger" is two tokens).
        table = _plain_table(lang, ascii_only=False)
    else:
        return None
    if table is None:
        return None
    freq = table.get(word)
    if freq is None:
        return 0.0  # wordfreq's minimum, 1e-9, is Zipf 0
    freq = max(1.0 / (1.0 / freq), 1e-9)
    freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


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
    ranked = []
    for w, c in counts.items():
        if c > 0:
            v = (1.0 + math.log(c)) * rarity(w)
            if v > 0:
                ranked.append((-v, w))  # heaviest first, ties by word: plain tuple order, no key function
    ranked.sort()
    top = ranked[:limit]
    norm = math.sqrt(sum(v * v for v, _ in top)) or 1.0
    return {w: round(-v / norm, 6) for v, w in top}


# Per-language memo of word rarity, and of folded words: an article repeats most of its words
# and a corpus most of its vocabulary, and these are the features' innermost calls (a million
# benchmark articles make about 300 million).  Cleared when it grows past a few million words.
_RARITY: dict[str, dict[str, float]] = {}
_MEMO_LIMIT = 4_000_000
_fold_word = functools.lru_cache(maxsize=1 << 20)(fold)


def forget_words() -> None:
    """Empty the word memos (rarity, folded words, name words, key tests, Zipf values): a
    long-lived worker turning to other work gives their memory back.  Results never change."""
    _RARITY.clear()
    for memo in (word_zipf, _fold_word, _name_words, _keyable):
        memo.cache_clear()


def _rarity_in(lang: str) -> Callable[[str], float]:
    """:func:`_rarity` for ``lang``, memoized."""
    if sum(len(m) for m in _RARITY.values()) > _MEMO_LIMIT:
        _RARITY.clear()
    memo = _RARITY.setdefault(lang, {})

    def rarity(word: str) -> float:
        r = memo.get(word)
        if r is None:
            r = memo[word] = _rarity(word, lang)
        return r

    return rarity


def _terms(text: str, limit: int, lang: str = "en") -> Vector:
    counts = Counter(map(_fold_word, _TOKEN.findall(text)))
    for stop in STOPWORDS.intersection(counts):
        del counts[stop]
    return _unit(counts, limit, _rarity_in(lang))


@functools.lru_cache(maxsize=1 << 20)
def _name_words(name: str, lang: str) -> tuple[str, ...]:
    """The words of a capitalized run that count as names: folded, possessive dropped, rarer
    than Zipf 5 in ``lang``."""
    out = []
    for w in name.split():
        w = fold(_POSSESSIVE.sub("", w))
        if len(w) > 1 and _rarity(w, lang) > _RARE - _NAME_MAX_ZIPF:
            out.append(w)
    return tuple(out)


def _names(text: str, limit: int, lang: str = "en") -> Vector:
    counts: Counter[str] = Counter()
    for name in _NAME.findall(text):
        counts.update(_name_words(name, lang))
    return _unit(counts, limit, _rarity_in(lang))


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


def dense_of(feats: StoryFeatures) -> npt.NDArray[np.float32] | None:
    return unpack(feats.dense)


@functools.lru_cache(maxsize=8)
def _planes(dim: int, n: int) -> npt.NDArray[np.float32]:
    # Fixed random hyperplanes (PCG64 with a fixed seed gives the same numbers everywhere).
    return np.random.default_rng(20231001).standard_normal((n, dim)).astype(np.float32)


@functools.lru_cache(maxsize=1 << 20)
def _keyable(word: str, lang: str, max_zipf: float) -> bool:
    # Words only (an entity's "-" is no key), and rare ones.
    return any(c.isalnum() for c in word) and word_zipf(word, lang) < max_zipf


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
    rare = sorted((-v, w) for w, v in pool.items() if _keyable(w, lang, cfg.key_max_zipf))
    keys = [f"w:{w}" for _, w in rare[: cfg.block_keys]]
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
    return replace(base, keys=blocking_keys(base, cfg, unpack(packed), lang))


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
    """Weighted mix over the channels both articles have, plus the time adjustment where the
    mix reaches ``cfg.time_min_content``.

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
    content = sum(w * s for w, s in parts) / total
    score = content + (_time(a.anchor, b.anchor, cfg) if content >= cfg.time_min_content else 0.0)
    return round(score, 6)


# --- candidates, edges and clusters ----------------------------------------------------


def live_keys(counts: Mapping[str, int], cfg: ClusterConfig) -> set[str]:
    """Keys that still pair articles: those filed under at most ``cfg.max_block`` of them."""
    return {k for k, c in counts.items() if c <= cfg.max_block}


def candidate_pairs(feats: Mapping[str, StoryFeatures], cfg: ClusterConfig = ClusterConfig()) -> list[tuple[str, str]]:
    """Pairs that share at least ``cfg.min_shared_keys`` live blocking keys (see
    :func:`live_keys`), each once, sorted."""
    cols = columns_of(feats, with_terms=False)
    return [(cols.ids[x], cols.ids[y]) for ia, ib in candidate_blocks(cols, cfg)
            for x, y in zip(ia.tolist(), ib.tolist(), strict=True)]


def edges_for(
    pairs: Iterable[tuple[str, str]], feats: Mapping[str, StoryFeatures], cfg: ClusterConfig
) -> list[tuple[str, str, float]]:
    """Scored pairs at or above the edge floor, ``(a, b, score)`` with ``a < b``.

    The same numbers as :func:`similarity`, computed for many pairs at once; each pair's score
    is summed in an order fixed by its own two articles, so no batch changes it.
    """
    ordered = [(min(x, y), max(x, y)) for x, y in pairs]
    used = {i for p in ordered for i in p}
    cols = columns_of({i: feats[i] for i in used}, with_terms=bool(cfg.terms))
    row = {aid: k for k, aid in enumerate(cols.ids)}
    ia = np.fromiter((row[a] for a, _ in ordered), dtype=np.int64, count=len(ordered))
    ib = np.fromiter((row[b] for _, b in ordered), dtype=np.int64, count=len(ordered))
    ids = cols.ids
    return [(ids[a], ids[b], s) for x, y, v in scored_rows(cols, cfg, (ia, ib))
            for a, b, s in zip(x.tolist(), y.tolist(), v.tolist(), strict=True)]


def cluster_features(feats: Mapping[str, StoryFeatures], cfg: ClusterConfig = ClusterConfig()) -> list[list[str]]:
    """Stories over a whole set of articles in memory (see :func:`cluster_columns`)."""
    return cluster_columns(columns_of(feats, with_terms=bool(cfg.terms)), cfg)


def cluster_columns(cols: Columns, cfg: ClusterConfig = ClusterConfig()) -> list[list[str]]:
    """Stories over articles held as :class:`~.scoring.Columns`: candidates scored a block at
    a time into a graph of the edges that can matter (:func:`~.scoring.scored_graph`), then
    average link over it (:func:`link_graph`).  A caller short of memory makes the two calls
    itself and lets the columns go in between."""
    return link_graph(cols.ids, scored_graph(cols, cfg), cfg)


def link_graph(ids: Sequence[str], graph: tuple[npt.NDArray[np.int64], npt.NDArray[Any], npt.NDArray[Any]],
               cfg: ClusterConfig = ClusterConfig()) -> list[list[str]]:
    """Stories from :func:`~.scoring.scored_graph`'s graph over the articles ``ids`` (in
    row order), by average link stopped at ``cfg.threshold``."""
    return groups_of(ids, upper_labels(len(ids), *graph, round(cfg.threshold * 1e6)))


def cluster_edges(nodes: Iterable[str], edges: Sequence[tuple[str, str, float]], cfg: ClusterConfig) -> list[list[str]]:
    """Average link over the graph of scored pairs, stopped at the merge threshold (see
    :mod:`.linkage`: rounds of reciprocal nearest neighbours over a sparse integer graph, whose
    cost follows the edges however big a component gets; at 10k benchmark articles 8,142 of
    them are one component of edges at the threshold, chained by copies of one story).
    """
    return cluster_graph(nodes, edges, cfg.threshold)


def make_stories(groups: Iterable[list[str]], articles: Mapping[str, Article | ArticleHead]) -> list[Story]:
    """Story records for clusters; the title is the earliest titled member's title."""
    stories = []
    for members in groups:
        heads = [ArticleHead.of(articles[m]) for m in members]
        dated = sorted(h.published_at for h in heads if h.published_at)
        titled = sorted((h for h in heads if h.title), key=lambda h: (h.published_at or "9999", h.id))
        title = (titled[0].title or "") if titled else min(heads, key=lambda h: h.id).lead
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
