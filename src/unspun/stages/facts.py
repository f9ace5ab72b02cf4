"""Facts: quantities with what they count, quotes with speakers, dated events, named entities.

Rule-based first version over the article's body sentences; every fact carries the span of
its words and of its sentence in ``Article.text``.  Relative dates resolve against the
article's publication date or are kept unresolved with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..dates import find_dates, to_date
from ..records import Article, Fact, Span, content_id
from ..textutil import body_sentences, fold
from .quantities import find_quantities

__all__ = ["extract_facts", "person_names", "resolve_speaker"]

_CUE = r"(?:said|says|stated|added|wrote|told|explained|emphasi[sz]ed|noted|declared|warned|insisted|argued|claimed|announced|tweeted|posted|urged|replied|continued|concluded)"
_NAME = r"(?:(?:Mr|Mrs|Ms|Dr|President|Prime Minister|Secretary|Minister|General|Gen)\.?\s+)?[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,3}"
_SPEAKER_AFTER = re.compile(r"^[,\s]*(?:(?P<s1>" + _NAME + r"|he|she|they|the [a-z]+(?: [a-z]+)?|an? [A-Z]?\w+ statement)\s+(?P<c1>" + _CUE + r")|(?P<c2>" + _CUE + r")\s+(?P<s2>" + _NAME + r"|the [a-z]+(?: [a-z]+)?))\b")
# The subject may stand a clause away from its cue ("Vučić emphasized that ... and stated,"),
# but only across lowercase words, so a capitalized word in between starts a new subject.
_SPEAKER_BEFORE = re.compile(r"(?P<s>" + _NAME + r"|[Hh]e|[Ss]he|[Tt]hey)\s+(?:[a-z][\w,’'-]*\s+){0,14}?(?P<c>" + _CUE + r")(?:\s+\w+){0,4}?(?:\s+that)?[,:]?\s*$")
_QUOTE = re.compile(r"“(?P<a>[^”]{3,2000})”|\"(?P<b>[^\"\n]{3,2000})\"")
_PERSON = re.compile(r"\b[A-Z][a-zà-žćčšđ’'-]+(?:\s+[A-Z][a-zà-žćčšđ’'-]+){1,3}\b")
_NOT_NAME_START = frozenset("""The A An In On At For And But When While After Before Despite During This That These Those It He She They We Our Its Serbian US President Secretary
    General Minister Prime Spokesperson Mr Mrs Ms Dr Chancellor Senator Governor Mayor Ambassador""".split())


def person_names(text: str) -> list[str]:
    """Capitalized two- and three-word names, in order of first mention."""
    seen: dict[str, None] = {}
    for m in _PERSON.finditer(text):
        parts = m.group().split()
        while parts and parts[0] in _NOT_NAME_START:
            parts = parts[1:]
        if len(parts) >= 2:
            seen.setdefault(" ".join(parts), None)
    return list(seen)


def resolve_speaker(raw: str, names: list[str], before: str) -> str:
    """A full name for 'Mr. Kirby', 'Vučić', 'he' or 'the president', when the article has one."""
    s = re.sub(r"^(?:Mr|Mrs|Ms|Dr)\.?\s+", "", raw.strip())
    s = re.sub(r"^\S+[’']s\s+(?=[A-Z])", "", s)  # "NATO’s Jens Stoltenberg": the person, not the org
    if s.lower() in ("he", "she", "they") or s.lower().startswith("the "):
        recent = [n for n in person_names(before)]
        return recent[-1] if recent else raw.strip()
    key = fold(s.split()[-1])
    for n in names:
        if fold(n.split()[-1]) == key and len(n.split()) >= len(s.split()):
            return n
    return s


def _quantities(article: Article, s: int, e: int, skip: list[tuple[int, int]]) -> Iterator[Fact]:
    sent = article.text[s:e]
    for q in find_quantities(sent):
        a, b = s + q.start, s + q.end
        if any(x < b and a < y for x, y in skip):
            continue  # a date's digits ("29 September") are not an amount
        if q.what is None and q.unit is None:
            continue  # a bare number: nothing to compare it with across sources
        yield Fact(
            id=content_id("f", article.id, "q", str(a), str(b)), article_id=article.id, kind="quantity",
            span=Span(article.id, a, b), text=sent[q.start : q.end], value=q.value,
            number=q.number, upper=q.upper, unit=q.unit, change=q.change, what=q.what or q.unit,
            sentence=Span(article.id, s, e),
        )


def _quotes(article: Article, s: int, e: int, names: list[str], body_start: int) -> Iterator[Fact]:
    sent = article.text[s:e]
    for m in _QUOTE.finditer(sent):
        words_in = (m.group("a") or m.group("b") or "").strip()
        if len(words_in.split()) < 3:
            continue  # a scare-quoted word or title, not speech
        qs, qe = s + m.start(), s + m.end()
        after = article.text[qe : min(len(article.text), qe + 120)]
        speaker = cue = None
        ma = _SPEAKER_AFTER.match(after)
        if ma:
            speaker, cue = (ma.group("s1"), ma.group("c1")) if ma.group("s1") else (ma.group("s2"), ma.group("c2"))
        else:
            mb = _SPEAKER_BEFORE.search(sent[: m.start()])
            if mb:
                speaker, cue = mb.group("s"), mb.group("c")
        if speaker:
            speaker = resolve_speaker(speaker, names, article.text[body_start:qs])
        yield Fact(
            id=content_id("f", article.id, "quote", str(qs), str(qe)), article_id=article.id, kind="quote",
            span=Span(article.id, qs, qe), text=words_in.rstrip(",. "), speaker=speaker, cue=cue,
            sentence=Span(article.id, s, e),
        )


def extract_facts(article: Article) -> list[Fact]:
    """All facts of an article, sorted by position."""
    removed = [(r.span.start, r.span.end) for r in article.removals]
    spans = body_sentences(article.text, removed)
    body_start = spans[0][0] if spans else 0
    names = person_names(article.clean_text)
    base = to_date(article.published_at)
    facts: list[Fact] = []
    for s, e in spans:
        sent = article.text[s:e]
        mentions = find_dates(sent, base)
        skip = [(s + d.start, s + d.end) for d in mentions]
        facts.extend(_quantities(article, s, e, skip))
        facts.extend(_quotes(article, s, e, names, body_start))
        for d in mentions:
            facts.append(Fact(
                id=content_id("f", article.id, "event", str(s + d.start), str(s + d.end)), article_id=article.id,
                kind="event", span=Span(article.id, s + d.start, s + d.end), text=sent, when=d.value,
                when_text=d.text, unresolved_reason=d.reason, sentence=Span(article.id, s, e),
            ))
    for name in names:
        idx = article.text.find(name, body_start)
        if idx >= 0:
            facts.append(Fact(
                id=content_id("f", article.id, "entity", name), article_id=article.id, kind="entity",
                span=Span(article.id, idx, idx + len(name)), text=name, value=fold(name),
            ))
    return sorted(facts, key=lambda f: (f.span.start, f.span.end, f.kind, f.id))
