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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..records import Article, DuplicateLink
from ..textutil import normalize_for_hash, words

__all__ = [
    "DedupConfig",
    "band_keys",
    "canonical_order",
    "duplicate_links",
    "exact_key",
    "jaccard_estimate",
    "lsh_params",
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


def shingle_set(text: str, k: int) -> set[str]:
    """The text's distinct runs of ``k`` words (the whole text when it is shorter)."""
    toks = words(text)
    if len(toks) <= k:
        return {" ".join(toks)}
    # zip over shifted views builds each k-gram without slicing the token list per position.
    return set(map(" ".join, zip(*(toks[j:] for j in range(k)), strict=False)))


def shingles(text: str, k: int) -> list[str]:
    """:func:`shingle_set`, sorted: a stable order for display and tests."""
    return sorted(shingle_set(text, k))


def signature(article: Article, cfg: DedupConfig) -> tuple[int, ...]:
    import rensa  # the Rust extension loads in milliseconds, but only runs that dedup need it

    m = rensa.RMinHash(num_perm=cfg.num_perm, seed=cfg.seed)
    # MinHash takes the least hash per permutation, so the order shingles come in is irrelevant.
    m.update(list(shingle_set(article.clean_text or article.text, cfg.shingle)))
    return tuple(m.digest())


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


def band_keys(sig: Sequence[int], bands: int, rows: int) -> list[str]:
    """One key per band; two signatures that share a key are candidate duplicates."""
    out = []
    for b in range(bands):
        chunk = ",".join(map(str, sig[b * rows : (b + 1) * rows]))
        out.append(f"{b}:{hashlib.blake2b(chunk.encode(), digest_size=8).hexdigest()}")
    return out


def jaccard_estimate(a: Sequence[int], b: Sequence[int]) -> float:
    if not a or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def canonical_order(a: Article) -> tuple[str, int, str]:
    """Sort key: earliest first (unknown dates last), then most complete, then id."""
    return (a.published_at or "9999", -len(a.clean_text), a.id)


def duplicate_links(
    articles: dict[str, Article], pairs: Iterable[tuple[str, str, str, float]]
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
