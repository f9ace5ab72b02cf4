"""Brief: what a reader takes away from a story.

The summary is extractive: sentences chosen for how many *other* sources carry the same
point, each citing its own span and the matching spans of the other sources, so no summary
sentence stands without support.  Support is then measured, not assumed: the share of a
sentence's content words found in the text of its citations, its numbers and its negations
(``citecheck``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy.sparse import csr_matrix

from ..records import (
    Article,
    Brief,
    BriefSentence,
    Derivation,
    DuplicateLink,
    Fact,
    FactCheck,
    Signal,
    SourceEntry,
    Span,
    Story,
    TimelineEntry,
)
from ..textutil import body_sentences, content_tokens, jaccard
from . import citecheck, provenance

__all__ = ["BriefConfig", "make_brief"]


@dataclass(frozen=True, slots=True)
class BriefConfig:
    max_sentences: int = 5
    # Two sentences make the same point when a quarter of their content words are shared;
    # lower and unrelated sentences about the same actors would count as support.
    same_point: float = 0.25
    # A chosen sentence that shares half its words with one already chosen repeats it.
    redundant: float = 0.5
    min_words: int = 8


@dataclass(slots=True)
class _Unit:
    article: Article
    pos: int
    start: int
    end: int
    toks: set[str]
    backers: dict[str, tuple[float, int, int]]

    def score(self) -> float:
        # More sources first; then the lead of an article (news puts the point first).
        return len(self.backers) + 1.0 / (2 + self.pos)


def _back(units: Sequence[_Unit], same_point: float) -> None:
    """Give each unit, for every other article, its most similar sentence there at or above
    ``same_point`` (word-set Jaccard; the first such sentence on ties).

    Every pair of sentences in a story is compared, so this is a sparse product of the
    sentence-by-word matrix with itself rather than a Python loop: a story of a hundred
    articles has some ten million sentence pairs.  The figures are the loop's exactly (the
    same integer counts divided the same way).
    """
    if not units:
        return
    vocab: dict[str, int] = {}
    cols = [vocab.setdefault(t, len(vocab)) for u in units for t in sorted(u.toks)]
    sizes = np.array([len(u.toks) for u in units], dtype=np.int64)
    m = csr_matrix((np.ones(len(cols), dtype=np.int32), np.array(cols, dtype=np.int64),
                    np.concatenate([[0], np.cumsum(sizes)])), shape=(len(units), len(vocab)))
    shared = (m @ m.T).tocoo()
    ui, vi, inter = shared.row.astype(np.int64), shared.col.astype(np.int64), shared.data.astype(np.int64)
    owner = {a: k for k, a in enumerate(sorted({u.article.id for u in units}))}
    art = np.array([owner[u.article.id] for u in units], dtype=np.int64)
    sim = inter / (sizes[ui] + sizes[vi] - inter)
    keep = (art[ui] != art[vi]) & (sim >= same_point)
    ui, vi, sim = ui[keep], vi[keep], sim[keep]
    # Per (unit, other article): the highest similarity, the earliest sentence among equals.
    order = np.lexsort((vi, -sim, art[vi], ui))
    ui, vi, sim = ui[order], vi[order], sim[order]
    first = np.ones(len(ui), dtype=bool)
    first[1:] = (ui[1:] != ui[:-1]) | (art[vi][1:] != art[vi][:-1])
    for a, b, x in zip(ui[first].tolist(), vi[first].tolist(), sim[first].tolist(), strict=True):
        v = units[b]
        units[a].backers[v.article.id] = (x, v.start, v.end)


def _summary(story_articles: Sequence[Article], cfg: BriefConfig) -> list[BriefSentence]:
    units: list[_Unit] = []
    for a in story_articles:
        spans = body_sentences(a.text, [(r.span.start, r.span.end) for r in a.removals])
        for pos, (s, e) in enumerate(spans):
            toks = set(content_tokens(a.text[s:e]))
            if len(a.text[s:e].split()) >= cfg.min_words and toks:
                units.append(_Unit(a, pos, s, e, toks, {}))
    _back(units, cfg.same_point)
    units.sort(key=lambda u: (-u.score(), u.article.published_at or "9999", u.article.id, u.pos))
    chosen: list[_Unit] = []
    for u in units:
        if len(chosen) >= cfg.max_sentences:
            break
        if all(jaccard(u.toks, c.toks) < cfg.redundant for c in chosen):
            chosen.append(u)
    chosen.sort(key=lambda u: (u.article.published_at or "9999", u.article.id, u.pos))
    by_id = {a.id: a for a in story_articles}
    out = []
    for u in chosen:
        text = citecheck.compress(u.article.text[u.start : u.end])
        cites = [Span(u.article.id, u.start, u.end)]
        cites += [Span(bid, bs, be) for bid, (_sim, bs, be) in sorted(u.backers.items())]
        verdict = citecheck.check(text, [by_id[c.article_id].text[c.start : c.end] for c in cites])
        out.append(BriefSentence(text=text, citations=tuple(cites), support=verdict.support,
                                 supported=verdict.supported, problems=verdict.problems))
    return out


def _reported(articles: Sequence[Article], facts: Sequence[Fact], late: set[str]) -> list[TimelineEntry]:
    """Undated news dated by its report: the lead of a dated article ("Serbia has announced
    the withdrawal ...") happened by the day it was published (the day before, when it came
    out in the small hours).  Only leads without a date of their own, and not from articles
    flagged as late copies, whose publication says nothing about when the event happened."""
    dated = {(f.article_id, f.sentence.start) for f in facts if f.kind == "event" and f.when and f.sentence}
    out = []
    for a in articles:
        if not a.published_at or len(a.published_at) < 10 or a.id in late:
            continue
        spans = body_sentences(a.text, [(r.span.start, r.span.end) for r in a.removals])
        if not spans or (a.id, spans[0][0]) in dated:
            continue
        s, e = spans[0]
        out.append(TimelineEntry(date=_news_day(a.published_at), text=a.text[s:e].strip(),
                                 citations=(Span(a.id, s, e),), basis="publication"))
    return out


# A report published in the small hours (local time, as the page gives it) carries the previous
# day's news: "Sun 1 Oct 2023 00.11 CEST" reports what Serbia announced on the Saturday.
EARLY_HOURS = 6


def _news_day(published_at: str) -> str:
    day = date.fromisoformat(published_at[:10])
    if len(published_at) >= 13 and published_at[10] == "T" and int(published_at[11:13]) < EARLY_HOURS:
        day -= timedelta(days=1)
    return day.isoformat()


def make_brief(
    story: Story, articles: Mapping[str, Article], facts: Sequence[Fact], checks: Sequence[FactCheck],
    derivations: Sequence[Derivation], signals: Sequence[Signal], duplicates: Sequence[DuplicateLink],
    cfg: BriefConfig | None = None,
) -> Brief:
    cfg = cfg or BriefConfig()
    dup_of = {d.article_id: d.canonical_id for d in duplicates}
    members = [articles[i] for i in story.article_ids if i in articles]
    originals = [a for a in members if a.id not in dup_of]
    summary = _summary(sorted(originals, key=lambda a: a.id), cfg)
    fact_by_id = {f.id: f for f in facts}

    # Two events told in one sentence ("resigned on Friday after admitting his role") are one
    # line of the timeline, citing both.
    cited_by: dict[tuple[str, str], set[Span]] = {}
    for c in checks:
        if c.kind != "event":
            continue
        texts = [fact_by_id[m].text for m in c.members if m in fact_by_id]
        cited_by.setdefault((c.key, min(texts, key=len) if texts else c.summary), set()).update(c.spans)
    timeline = [TimelineEntry(date=day, text=text, citations=tuple(sorted(spans)))
                for (day, text), spans in cited_by.items()]
    timeline += _reported(originals, facts, {s.article_id for s in signals if s.kind == "late_publication"})
    timeline.sort(key=lambda t: (t.date, t.text))

    origin_of = {d.copy_id: d.origin_id for d in derivations if d.relation == "derived"}
    role_of = provenance.roles([a.id for a in members], derivations)
    sig_by: dict[str, list[str]] = {}
    for s in signals:
        sig_by.setdefault(s.article_id, []).append(s.kind)
    sources = []
    for a in sorted(members, key=lambda a: (a.published_at or "9999", a.id)):
        role = "duplicate" if a.id in dup_of else role_of[a.id]
        sources.append(SourceEntry(
            article_id=a.id, source=a.source, title=a.title, outlet=a.outlet, byline=a.byline,
            published_at=a.published_at, role=role, origin_id=origin_of.get(a.id), duplicate_of=dup_of.get(a.id),
            signals=tuple(sorted(set(sig_by.get(a.id, [])))),
        ))
    cited = {c.article_id for s in summary for c in s.citations}
    coverage = len(cited) / len(originals) if originals else 0.0
    mean_support = sum(s.support for s in summary) / len(summary) if summary else 0.0
    supported_share = sum(s.supported for s in summary) / len(summary) if summary else 0.0
    return Brief(
        story_id=story.id, headline=story.title, summary=tuple(summary), timeline=tuple(timeline),
        facts=tuple(c for c in checks if c.kind != "event"), sources=tuple(sources),
        derivations=tuple(derivations), signals=tuple(signals),
        coverage=round(coverage, 4), support=round(mean_support, 4), supported_share=round(supported_share, 4),
    )
