"""Provenance: which articles of a story copy which, with aligned passages as evidence, and
content-farm signals on each article.

This is the lexical first version: sentences align when most of one sentence's word
trigrams occur in a sentence of the other article (verbatim and lightly edited copies).
Paraphrased rewrites need the semantic alignment of the provenance issue; until then such a
pair is reported as ``independent``, which is an honest "not shown to be a copy".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..dates import to_date
from ..records import AlignedPair, Article, Derivation, Signal, Span
from ..textutil import body_sentences, words

__all__ = ["ProvenanceConfig", "align", "article_signals", "derive", "trace_story"]


@dataclass(frozen=True, slots=True)
class ProvenanceConfig:
    # A sentence is carried over when half its word trigrams reappear in one sentence of the
    # other article: light edits (a changed word every six or so) keep it above 0.5, while
    # two writers describing the same fact independently rarely share a third.
    sentence_containment: float = 0.5
    # An article is derived when a third of its body is carried by the other article:
    # content farms keep more than that even when they condense; independent reports of one
    # event share a few quotes, well under it.
    derived_coverage: float = 0.33
    # Published more than three weeks after the story's first report: late for news.
    late_days: int = 21


Units = list[tuple[int, int, frozenset[str]]]


def _units(article: Article) -> Units:
    removed = [(r.span.start, r.span.end) for r in article.removals]
    out = []
    for s, e in body_sentences(article.text, removed):
        toks = words(article.text[s:e])
        grams = frozenset(" ".join(toks[i : i + 3]) for i in range(max(0, len(toks) - 2)))
        if len(toks) >= 5 and grams:
            out.append((s, e, grams))
    return out


def align(
    copy: Article, origin: Article, cfg: ProvenanceConfig, units: dict[str, Units] | None = None
) -> tuple[list[AlignedPair], float]:
    """Aligned sentence pairs of ``copy`` against ``origin`` and the share of ``copy`` carried."""
    units = units if units is not None else {}
    cu = units[copy.id] if copy.id in units else _units(copy)
    ou = units[origin.id] if origin.id in units else _units(origin)
    pairs: list[AlignedPair] = []
    carried = total = 0
    for s, e, grams in cu:
        total += e - s
        best: tuple[float, int, int] | None = None
        for os_, oe, ograms in ou:
            score = len(grams & ograms) / len(grams)
            if best is None or score > best[0]:
                best = (score, os_, oe)
        if best is not None and best[0] >= cfg.sentence_containment:
            carried += e - s
            pairs.append(AlignedPair(Span(copy.id, s, e), Span(origin.id, best[1], best[2]), round(best[0], 4)))
    return pairs, (carried / total if total else 0.0)


def derive(a: Article, b: Article, cfg: ProvenanceConfig, units: dict[str, Units] | None = None) -> Derivation | None:
    """The derivation between two articles if one is shown to carry the other, else None."""
    pairs_ab, cov_ab = align(a, b, cfg, units)
    pairs_ba, cov_ba = align(b, a, cfg, units)
    if max(cov_ab, cov_ba) < cfg.derived_coverage:
        return None
    da, db = a.published_at, b.published_at
    if da and db and da[:10] != db[:10]:
        copy_is_a = da > db
        direction = "published_later"
    elif abs(cov_ab - cov_ba) > 0.05:
        # A copy is mostly contained in its origin, rarely the other way round.
        copy_is_a = cov_ab > cov_ba
        direction = "containment"
    else:
        copy_is_a = a.id > b.id
        direction = "undetermined"
    copy, origin = (a, b) if copy_is_a else (b, a)
    pairs, cov = (pairs_ab, cov_ab) if copy_is_a else (pairs_ba, cov_ba)
    return Derivation(
        copy_id=copy.id, origin_id=origin.id, relation="derived", score=round(max(cov_ab, cov_ba), 4),
        coverage=round(cov, 4), direction=direction, pairs=tuple(pairs),
    )


_GENERIC_BYLINE = re.compile(r"^(?:admin|staff|editor|editorial(?: team)?|news ?desk|web ?desk|team|author|guest|\w+ news|news)$", re.I)


def article_signals(article: Article, story_first: str | None, cfg: ProvenanceConfig) -> list[Signal]:
    """Content-farm and rewrite signals that one article shows on its own."""
    out: list[Signal] = []
    for r in article.removals:
        if r.reason == "ai_disclaimer":
            out.append(Signal(article.id, "ai_disclaimer", r.text.strip(), r.span))
        elif r.reason == "code_leak":
            out.append(Signal(article.id, "leaked_code", "CMS or template code left in the text", r.span))
    byline_ev = next((m for m in article.metadata if m.name == "byline"), None)
    if article.byline is None:
        out.append(Signal(article.id, "missing_byline", "no author or byline found"))
    elif article.byline.islower() or _GENERIC_BYLINE.match(article.byline.strip()):
        out.append(Signal(article.id, "generic_byline", f"byline {article.byline!r} names no person", byline_ev.span if byline_ev else None))
    first, pub = to_date(story_first), to_date(article.published_at)
    if first and pub and pub - first > timedelta(days=cfg.late_days):
        date_ev = next((m for m in article.metadata if m.name == "published_at"), None)
        out.append(Signal(article.id, "late_publication",
                          f"published {(pub - first).days} days after the story's first report ({first.isoformat()})",
                          date_ev.span if date_ev else None))
    return out


def trace_story(articles: Sequence[Article], cfg: ProvenanceConfig | None = None) -> tuple[list[Derivation], list[Signal]]:
    """Derivations between the articles of one story and each article's signals."""
    cfg = cfg or ProvenanceConfig()
    arts = sorted(articles, key=lambda a: a.id)
    units = {a.id: _units(a) for a in arts}  # once per article, not once per pair
    derivations = []
    for i, a in enumerate(arts):
        for b in arts[i + 1 :]:
            d = derive(a, b, cfg, units)
            if d is not None:
                derivations.append(d)
    dated = sorted(a.published_at[:10] for a in arts if a.published_at)
    first = dated[0] if dated else None
    signals = [s for a in arts for s in article_signals(a, first, cfg)]
    return sorted(derivations, key=lambda d: (d.copy_id, d.origin_id)), signals
