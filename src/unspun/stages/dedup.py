"""Dedup: exact copies (same normalized text) and near copies (MinHash LSH over word shingles).

Pure core over articles and signatures; the store keeps each article's exact key, MinHash
signature and LSH band keys, so a new article finds its candidates with an index lookup
instead of a pass over the corpus.  Duplicates are linked to a canonical member (earliest,
then most complete), never dropped.
"""

from __future__ import annotations

import functools
import hashlib
import math
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..records import Article, ArticleHead, DuplicateLink
from ..textutil import fold, normalize_for_hash

__all__ = [
    "BAND_SCHEME",
    "DedupConfig",
    "band_keys",
    "canonical_order",
    "duplicate_links",
    "exact_key",
    "jaccard_estimate",
    "lsh_params",
    "shingle_hashes",
    "shingle_set",
    "shingles",
    "signature",
]


@dataclass(frozen=True, slots=True)
class DedupConfig:
    # 0.8 Jaccard over 5-word shingles: copies that differ by a changed headline, a caption
    # or a few edited words stay above it; two reports of one event by different writers
    # share far fewer 5-grams (the seeds' closest independent pair is under 0.1).
    threshold: float = 0.8
    num_perm: int = 128
    shingle: int = 5
    seed: int = 1


def exact_key(article: Article) -> str:
    """Same key for texts a reader would call identical (case, punctuation, spacing ignored)."""
    return hashlib.sha256(normalize_for_hash(article.clean_text or article.text).encode()).hexdigest()[:32]


# Shingle words: letters and digits, folded, with apostrophes dropped ("don't" and "don’t" both
# read "dont"), so a copy that swapped its quote marks keeps its shingles.  Defined as
# ``_SHINGLE_WORD.findall(fold(text))`` without apostrophes (:func:`_fold_words`);
# :func:`_tokens` gets the same list faster by folding only the runs of non-ASCII characters
# and splitting UTF-8 bytes.
_SHINGLE_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = ("'", "\u2019")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_NON_WORD = re.compile(r"[\W_]+")
# Bytes: ASCII letters and digits stay, every other ASCII byte separates, and non-ASCII bytes
# (the word characters a folded run kept) stay.  Upper case stays too: the text is lowered
# before the runs are folded, so an upper-case letter here is one that folding made (the
# mathematical bold C folds to "C", which casefold leaves alone).
_BYTE_WORDS = bytes(c if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c >= 128) else 32 for c in range(256))


def _folded(text: str) -> str:
    """``fold(text)`` without apostrophes."""
    folded = fold(text)
    for a in _APOSTROPHES:
        folded = folded.replace(a, "")
    return folded


def _fold_words(text: str) -> list[str]:
    return _SHINGLE_WORD.findall(_folded(text))


@functools.lru_cache(maxsize=1 << 16)
def _fold_run(run: str) -> str:
    # A run of non-ASCII characters, folded on its own: fold works character by character
    # (case, decomposition, marks dropped), so folding the runs is folding the text.  What
    # folding leaves that is not a word character becomes a space, apostrophes nothing.
    # Accented letters and curly quotes recur in every text of a language: each run is folded
    # once per process.
    return _NON_WORD.sub(" ", _folded(run))


def _fold_match(m: re.Match[str]) -> str:
    return _fold_run(m.group())


def _tokens(text: str) -> list[bytes]:
    """The shingle words of ``text`` (see ``_SHINGLE_WORD``) as UTF-8 bytes."""
    if text.isascii():
        return text.encode().lower().translate(_BYTE_WORDS, b"'").split()
    # Lowered first: fold's casefold of a lowered character is its casefold.
    return _NON_ASCII.sub(_fold_match, text.lower()).encode("utf-8").translate(_BYTE_WORDS, b"'").split()


def shingle_set(text: str, k: int) -> set[str]:
    """The text's distinct runs of ``k`` shingle words (the whole text when it is shorter)."""
    toks = [w.decode("utf-8") for w in _tokens(text)]
    if len(toks) <= k:
        return {" ".join(toks)}
    # zip over shifted views builds each k-gram without slicing the token list per position.
    return set(map(" ".join, zip(*(toks[j:] for j in range(k)), strict=False)))


def shingles(text: str, k: int) -> list[str]:
    """:func:`shingle_set`, sorted: a stable order for display and tests."""
    return sorted(shingle_set(text, k))


# Odd 64-bit multipliers, one per position in a shingle: a shingle's hash is its words' hashes
# times their positions' multipliers, summed, so "a b" and "b a" differ.  Word hashes are
# already uniform 64-bit values (rensa's), so the sum is too; rensa's permutations do the rest.
_POSITION = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5,
                      0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9], dtype=np.uint64)


def shingle_hashes(text: str, k: int) -> npt.NDArray[np.uint64]:
    """A 64-bit hash per run of ``k`` shingle words, repeats included (MinHash keeps minima,
    so a repeat changes nothing).  Words are hashed by rensa and combined in numpy, so no
    shingle string is ever built: that was most of the cost of a signature."""
    import rensa  # the Rust extension loads in milliseconds, but only runs that dedup need it

    toks = _tokens(text)
    if k > len(_POSITION):
        raise ValueError(f"shingles of at most {len(_POSITION)} words are supported, not {k}")
    if not toks:
        return np.zeros(1, dtype=np.uint64)  # an empty text: one shingle, hashed 0
    h = np.asarray(rensa.RMinHash.hash_token_sets([toks])[0], dtype=np.uint64)
    width = min(k, len(h))
    n = max(1, len(h) - k + 1)
    # Array arithmetic on unsigned integers wraps modulo 2**64 without a warning (only scalar
    # arithmetic warns), which is the hash arithmetic wanted here.
    acc: npt.NDArray[np.uint64] = h[:n] * _POSITION[0]
    for j in range(1, width):
        acc += h[j : j + n] * _POSITION[j]
    return acc


def signature(article: Article, cfg: DedupConfig) -> tuple[int, ...]:
    import rensa

    h = shingle_hashes(article.clean_text or article.text, cfg.shingle)
    digest = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        h, np.array([0, len(h)], dtype=np.uint64), num_perm=cfg.num_perm, seed=cfg.seed)
    return tuple(digest.to_rows()[0])


def _integral(f: object, a: float, b: float, steps: int = 200) -> float:
    h = (b - a) / steps
    return sum(f(a + (i + 0.5) * h) for i in range(steps)) * h  # type: ignore[operator]


@functools.lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows whose S-curve best separates pairs below and above ``threshold``.

    Minimizes the area of false positives (below the threshold) plus false negatives (above
    it), weighted equally, over every ``bands * rows <= num_perm``.
    """
    best: tuple[float, int, int] | None = None
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _integral(lambda s, b=b, r=r: 1 - (1 - s**r) ** b, 0.0, threshold, 50)
            fn = _integral(lambda s, b=b, r=r: (1 - s**r) ** b, threshold, 1.0, 50)
            err = fp + fn
            if best is None or err < best[0] - 1e-12:
                best = (err, b, r)
    assert best is not None
    return best[1], best[2]


# Band keys name their scheme, so keys from signatures made another way never meet these.
BAND_SCHEME = "m2"


def band_keys(sig: Sequence[int], bands: int, rows: int) -> list[str]:
    """One key per band; two signatures that share a key are candidate duplicates."""
    raw = np.asarray(sig[: bands * rows], dtype="<u8").tobytes()
    width = rows * 8
    return [f"{BAND_SCHEME}:{b}:{hashlib.blake2b(raw[b * width : (b + 1) * width], digest_size=8).hexdigest()}"
            for b in range(bands)]


def jaccard_estimate(a: Sequence[int], b: Sequence[int]) -> float:
    if not a or len(a) != len(b):
        return 0.0
    same: int = sum(map(operator.eq, a, b))
    return same / len(a)


def canonical_order(a: Article | ArticleHead) -> tuple[str, int, str]:
    """Sort key: earliest first (unknown dates last), then most complete, then id."""
    return (a.published_at or "9999", -(a.length if isinstance(a, ArticleHead) else len(a.clean_text)), a.id)


def duplicate_links(
    articles: Mapping[str, Article | ArticleHead], pairs: Iterable[tuple[str, str, str, float]]
) -> list[DuplicateLink]:
    """Group duplicate pairs ``(a, b, kind, similarity)`` and link each member to its canonical."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    best: dict[tuple[str, str], tuple[str, float]] = {}
    for a, b, kind, sim in pairs:
        if a not in articles or b not in articles:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
        key = (min(a, b), max(a, b))
        if key not in best or (kind == "exact" and best[key][0] != "exact"):
            best[key] = (kind, sim)
    groups: dict[str, list[str]] = {}
    for x in {n for pair in best for n in pair}:
        groups.setdefault(find(x), []).append(x)
    links = []
    for members in groups.values():
        canon = min(members, key=lambda m: canonical_order(articles[m]))
        for m in sorted(members):
            if m == canon:
                continue
            kind, sim = best.get((min(m, canon), max(m, canon)), ("near", math.nan))
            if math.isnan(sim):
                # Linked through another member: report the weakest direct similarity known.
                sims = [v[1] for k, v in best.items() if m in k]
                kind, sim = "near", min(sims) if sims else 0.0
            links.append(DuplicateLink(m, canon, kind, round(sim, 4)))  # type: ignore[arg-type]
    return sorted(links, key=lambda link: link.article_id)
