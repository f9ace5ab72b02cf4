"""Facts: quantities with what they count, quotes with speakers, dated events, named entities,
and the roles articles give people.

Over the article's body sentences; every fact carries the span of its words and of its
sentence in ``Article.text``.  Quantities come from ``quantities``, direct quotes from
quotation marks and cue patterns, reported speech and speakers from the dependency parse
(``attribution``) when a parser is given, entity keys from ``entities``.  Relative dates
resolve against the article's publication date or are kept unresolved with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from ..dates import DateMention, find_dates, to_date
from ..records import Article, Fact, Span, content_id
from ..textutil import body_sentences, fold
from .attribution import find_attributions
from .entities import entity_key, story_aliases
from .quantities import find_quantities

__all__ = ["extract_facts", "person_names", "resolve_speaker"]

_CUE = r"(?:said|says|stated|added|wrote|told|explained|emphasi[sz]ed|noted|declared|warned|insisted|argued|claimed|announced|tweeted|posted|urged|replied|continued|concluded)"
_NAME = r"(?:(?:Mr|Mrs|Ms|Dr|President|Prime Minister|Secretary|Minister|General|Gen)\.?\s+)?[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,3}"
_SPEAKER_AFTER = re.compile(r"^[,\s]*(?:(?P<s1>" + _NAME + r"|he|she|they|the [a-z]+(?: [a-z]+)?|an? [A-Z]?\w+ statement)\s+(?P<c1>" + _CUE + r")|(?P<c2>" + _CUE + r")\s+(?P<s2>" + _NAME + r"|the [a-z]+(?: [a-z]+)?))\b")
# The subject may stand a clause away from its cue ("Vučić emphasized that ... and stated,"),
# but only across lowercase words, so a capitalized word in between starts a new subject.
_SPEAKER_BEFORE = re.compile(r"(?P<s>" + _NAME + r"|[Hh]e|[Ss]he|[Tt]hey)\s+(?:[a-z][\w,’'-]*\s+){0,14}?(?P<c>" + _CUE + r")(?:\s+\w+){0,4}?(?:\s+that)?[,:]?\s*$")
_ACRONYM = re.compile(r"\b(?:[A-Z]{2,6}|[A-Z][a-z]?[A-Z][A-Za-z]{1,4})\b")
_OPENING = re.compile(r"[“\"]")
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


def _quantities(article: Article, s: int, e: int, mentions: list[DateMention]) -> Iterator[Fact]:
    sent = article.text[s:e]
    skip = [(d.start, d.end) for d in mentions]
    found = [q for q in find_quantities(sent) if not any(x < q.end and q.start < y for x, y in skip)]
    for n, q in enumerate(found):
        if q.what is None and q.unit is None:
            continue  # a bare number: nothing to compare it with across sources
        when = _time_of(q.start, q.end, mentions, found[n - 1].end if n else 0,
                        found[n + 1].start if n + 1 < len(found) else len(sent))
        a, b = s + q.start, s + q.end
        yield Fact(
            id=content_id("f", article.id, "q", str(a), str(b)), article_id=article.id, kind="quantity",
            span=Span(article.id, a, b), text=sent[q.start : q.end], value=q.value,
            number=q.number, upper=q.upper, unit=q.unit, change=q.change, what=q.what or q.unit,
            sentence=Span(article.id, s, e), when=when.value if when else None, when_text=when.text if when else None,
            unresolved_reason=when.reason if when else None,
        )


def _time_of(start: int, end: int, mentions: list[DateMention], prev_end: int, next_start: int) -> DateMention | None:
    """The time phrase a figure belongs to: "from 14,000 a year ago to less than 8,400 a few
    days ago"; the phrase right after the figure (before the next figure), else the last one
    before it and after the previous figure ("Currently, there are only 4,400 people")."""
    after = [d for d in mentions if end <= d.start < min(next_start, end + 40)]
    if after:
        return after[0]
    before = [d for d in mentions if prev_end <= d.start and d.end <= start]
    return before[-1] if before else None


def quote_runs(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, words) of each quotation in ``text``, over sentence boundaries: curly
    quotation marks pair by kind, straight ones within a paragraph.  A quotation still open at
    the end of its paragraph continues when the next paragraph opens with a quotation mark --
    the convention for quotes over several paragraphs -- and is dropped when it does not (an
    unbalanced mark, not a quote)."""
    i = 0
    n = len(text)
    while True:
        m = _OPENING.search(text, i)
        if m is None:
            return
        start = m.start()
        close = "”" if m.group() == "“" else '"'
        pieces: list[str] = []
        pos = start + 1
        end = None
        while True:
            para_end = text.find("\n", pos)
            para_end = n if para_end < 0 else para_end
            c = text.find(close, pos, para_end)
            if c >= 0:
                pieces.append(text[pos:c])
                end = c + 1
                break
            pieces.append(text[pos:para_end])
            nxt = para_end
            while nxt < n and text[nxt] in " \t\r\n\xa0":
                nxt += 1
            if nxt >= n or text[nxt] != m.group():
                break
            pos = nxt + 1
        if end is None:
            i = start + 1
            continue
        yield start, end, " ".join(p.strip() for p in pieces)
        i = end


def _quotes(article: Article, spans: list[tuple[int, int]], names: list[str], body_start: int) -> Iterator[Fact]:
    text = article.text

    def sentence_at(pos: int) -> tuple[int, int] | None:
        return next(((s, e) for s, e in spans if s <= pos < e), None)

    for qs, qe, words_in in quote_runs(text):
        words_in = words_in.strip()
        first = sentence_at(qs)
        if first is None or len(words_in.split()) < 3:
            continue  # outside the body (junk, a caption), or a scare-quoted word or title
        last = sentence_at(qe - 1) or first
        after = text[qe : min(len(text), qe + 120)]
        speaker = cue = None
        ma = _SPEAKER_AFTER.match(after)
        if ma:
            speaker, cue = (ma.group("s1"), ma.group("c1")) if ma.group("s1") else (ma.group("s2"), ma.group("c2"))
        else:
            mb = _SPEAKER_BEFORE.search(text[first[0] : qs])
            if mb:
                speaker, cue = mb.group("s"), mb.group("c")
        if speaker:
            speaker = resolve_speaker(speaker, names, text[body_start:qs])
        yield Fact(
            id=content_id("f", article.id, "quote", str(qs), str(qe)), article_id=article.id, kind="quote",
            span=Span(article.id, qs, qe), text=words_in.rstrip(",. "), speaker=speaker, cue=cue,
            sentence=Span(article.id, first[0], max(last[1], qe)),
        )


def _attributed(article: Article, doc: Any, spans: list[tuple[int, int]], names: list[str], body_start: int,
                quotes: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """Quotes from the parse: the direct quotes with their source and cue spans (and a speaker
    where the patterns found none), and reported speech ("Vučić said that the number had
    fallen") as indirect quotes."""
    indirect: list[Fact] = []
    def in_body(i: int) -> bool:
        return any(s <= i < e for s, e in spans)

    by_span = {(q.span.start, q.span.end): q for q in quotes}
    for att in find_attributions(doc):
        if att.content is None or att.source is None or not in_body(att.cue[0]):
            continue
        src = Span(article.id, *att.source)
        cue = Span(article.id, *att.cue)
        raw = article.text[att.source[0] : att.source[1]]
        # The subject up to the cue, so an apposition is included.
        upto = article.text[att.source[0] : att.cue[0]] if att.source[0] < att.cue[0] else raw
        inside = [n for n in person_names(upto) if len(n.split()) >= 2]
        # "The spokesperson for the US national security council, John Kirby": the name in
        # the subject, not the last person mentioned before it.
        if inside:
            speaker = resolve_speaker(inside[0], names, "")
        elif re.search(r"[A-Z]", raw[1:]):
            speaker = re.sub(r"^(?:the|The)\s+", "", raw)  # an organization: "the UK's Ministry of Defence (MoD)"
        else:
            speaker = resolve_speaker(raw, names, article.text[body_start : att.source[0]])
        # A quotation is this attribution's content when it lies inside it and the cue is near.
        direct = [k for k in by_span if att.content[0] - 2 <= k[0] and k[1] <= att.content[1] + 2
                  and min(abs(att.cue[0] - k[1]), abs(k[0] - att.cue[1])) < 160]
        if direct:
            for k in direct:
                q = by_span[k]
                by_span[k] = replace(q, speaker=q.speaker or speaker, cue=q.cue or article.text[cue.start : cue.end],
                                     source_span=src, cue_span=cue)
            continue
        text = article.text[att.content[0] : att.content[1]].strip()
        if len(text.split()) < 4 or any(c in text for c in "“”\""):
            continue
        sent = next(((s, e) for s, e in spans if s <= att.cue[0] < e), None)
        indirect.append(Fact(
            id=content_id("f", article.id, "iquote", str(att.content[0]), str(att.content[1])), article_id=article.id,
            kind="quote", span=Span(article.id, *att.content), text=text, speaker=speaker,
            cue=article.text[cue.start : cue.end], sentence=Span(article.id, *sent) if sent else None,
            source_span=src, cue_span=cue, direct=False,
        ))
    return [by_span[k] for k in sorted(by_span)], indirect


def _entities(article: Article, body_start: int, names: list[str], doc: Any) -> list[Fact]:
    """Names in the body, each with the key that joins its spellings (see ``entities``)."""
    body = article.text[body_start:]
    found: dict[str, tuple[int, int]] = {}
    for name in names:
        idx = article.text.find(name, body_start)
        if idx >= 0:
            found.setdefault(name, (idx, idx + len(name)))
    for m in _ACRONYM.finditer(body):
        found.setdefault(m.group(), (body_start + m.start(), body_start + m.end()))
    if doc is not None:
        for ent in doc.ents:
            if ent.label_ in ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC") and ent.start_char >= body_start:
                name = ent.text.strip()
                if name and not name.islower():
                    found.setdefault(name, (ent.start_char, ent.start_char + len(name)))
    aliases = story_aliases([body], found)
    return [
        Fact(
            id=content_id("f", article.id, "entity", name), article_id=article.id, kind="entity",
            span=Span(article.id, a, b), text=name, value=fold(name), key=entity_key(name, names, aliases),
        )
        for name, (a, b) in found.items()
    ]


# Relative phrases that count from the day the text is talking about, not from publication:
# "The council met on September 29 ... more forces were authorised the previous day" is the
# 28th, whenever the article came out.
_ANAPHORIC = {"the previous day": -1, "the day before": -1, "the next day": 1, "the following day": 1,
              "the day after": 1, "a day earlier": -1, "a day later": 1}
# Deictic words inside a quotation count from when the words were said: a statement quoted
# from "September 29" that says "only yesterday" means the 28th.
_DEICTIC = {"yesterday": -1, "only yesterday": -1, "last night": -1, "today": 0, "tonight": 0,
            "earlier today": 0, "this morning": 0, "this afternoon": 0, "this evening": 0}
_OPEN_Q, _CLOSE_Q = "“«", "”»"


def _in_quote(text: str, pos: int) -> bool:
    """Whether ``pos`` lies inside quotation marks opened earlier in its paragraph (curly
    quotes pair by kind; straight double quotes by count)."""
    para = text[text.rfind("\n", 0, pos) + 1 : pos]
    depth = sum(c in _OPEN_Q for c in para) - sum(c in _CLOSE_Q for c in para)
    return depth > 0 or para.count('"') % 2 == 1


def _anchored(mention: DateMention, anchor: date | None, text: str, sent_start: int) -> DateMention:
    """Re-resolve an anaphoric or quoted deictic phrase against the story's narrative day."""
    word = mention.text.lower()
    if anchor is None:
        return mention
    if word in _ANAPHORIC:
        return replace(mention, value=(anchor + timedelta(days=_ANAPHORIC[word])).isoformat(), reason=None)
    if word in _DEICTIC and _in_quote(text, sent_start + mention.start):
        return replace(mention, value=(anchor + timedelta(days=_DEICTIC[word])).isoformat(), reason=None)
    return mention


def _day_anchor(mentions: list[DateMention], base: date | None) -> date | None:
    """The last day-precise date of a sentence, if it is not after the publication date: the
    day the narration is on."""
    found = None
    for d in mentions:
        if d.text.lower() in _ANAPHORIC or d.text.lower() in _DEICTIC:
            continue  # resolved from an anchor (or from publication): it follows, never leads
        day = to_date(d.value) if d.value and len(d.value) == 10 else None
        if day is not None and (base is None or day <= base):
            found = day
    return found


# A clause introduced by one of these, attached to a dated verb, is an event of its own on (about)
# the same day: "resigned on Friday after admitting his role" reports a resignation and an
# admission, which other sources may report apart.
_SEQUENCE = frozenset({"after", "before", "following", "upon"})
# Clauses that are not part of the dated predicate's own words.
_OTHER_CLAUSE = frozenset({"advcl", "conj", "cc", "parataxis"})


def _words_of(tokens: list[Any]) -> tuple[int, int, str]:
    tokens = sorted(tokens, key=lambda t: t.i)
    while tokens and tokens[-1].is_punct:
        tokens.pop()
    text = "".join(t.text_with_ws for t in tokens).strip()
    return (tokens[0].idx, tokens[-1].idx + len(tokens[-1].text), text) if tokens else (0, 0, "")


def _split_events(article: Article, doc: Any, events: list[Fact]) -> list[Fact]:
    """Events at the level of the verb a date attaches to.  When that verb carries a sequenced
    clause ("after admitting his role"), the clause becomes an event of its own, dated like its
    verb, and each event gets its clause as ``what`` and its character range as ``cue_span``;
    other events are left as they are (their sentence speaks for them)."""
    out: list[Fact] = []
    for f in events:
        span = doc.char_span(f.span.start, f.span.end, alignment_mode="expand")
        verb = span.root if span is not None else None
        while verb is not None and verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
            verb = verb.head
        if verb is None or verb.pos_ not in ("VERB", "AUX"):
            out.append(f)
            continue
        dated = {t.i for t in span}
        subs = [c for c in verb.children if not dated & {t.i for t in c.subtree} and (
            (c.dep_ == "prep" and c.lower_ in _SEQUENCE and any(g.dep_ == "pcomp" and g.pos_ == "VERB" for g in c.children))
            or (c.dep_ == "advcl" and any(m.dep_ == "mark" and m.lower_ in _SEQUENCE for m in c.children)))]
        if not subs:
            out.append(f)
            continue
        skip = {t.i for c in verb.children if c in subs or (c.dep_ in _OTHER_CLAUSE and not dated & {t.i for t in c.subtree})
                for t in c.subtree}
        a, b, what = _words_of([t for t in verb.subtree if t.i not in skip])
        out.append(replace(f, what=what, cue_span=Span(article.id, a, b)))
        for c in subs:
            a, b, what = _words_of(list(c.subtree))
            out.append(Fact(
                id=content_id("f", article.id, "event", str(a), str(b)), article_id=article.id, kind="event",
                span=Span(article.id, a, b), text=f.text, when=f.when, when_text=f.when_text,
                unresolved_reason=f.unresolved_reason, sentence=f.sentence, what=what, cue_span=Span(article.id, a, b),
            ))
    return out


# Titles of one rank, and words that make a title the second of its rank: "vice president",
# "deputy head" and "deputy leader" of one party are the same post.
_HEAD_TITLES = frozenset({"president", "head", "leader", "chief", "chairman", "chairwoman", "chair"})
_SECOND = frozenset({"vice", "deputy", "assistant"})


def _title(noun: Any) -> str:
    """The normalized title of a description's head noun: "vice president" -> "deputy head"."""
    head = "head" if noun.lemma_.lower() in _HEAD_TITLES else noun.lemma_.lower()
    second = any(c.lower_ in _SECOND and c.dep_ in ("compound", "amod") for c in noun.children)
    return f"deputy {head}" if second else head


def _roles(article: Article, doc: Any, spans: list[tuple[int, int]], names: list[str]) -> list[Fact]:
    """What an article says a person is, from appositions: "Milan Radoicic, vice president of
    Serb List," and "a Kosovo Serb politician, Milan Radoicic,".  ``speaker`` is the person,
    ``what`` the normalized title, ``value`` the organization the title is of."""
    out = []
    people = {fold(n) for n in names}
    for tok in doc:
        if tok.dep_ != "appos" or not any(s <= tok.idx < e for s, e in spans):
            continue
        if tok.pos_ == "NOUN" and tok.head.pos_ == "PROPN":
            name_tok, desc = tok.head, list(tok.subtree)
        elif tok.pos_ == "PROPN" and tok.head.pos_ == "NOUN" and tok.head.dep_ in ("nsubj", "nsubjpass", "ROOT"):
            # "a Kosovo Serb politician, Milan Radoicic, claimed": a description leading its
            # clause; as an object ("a letter sent by his lawyer, Radoicic, ...") the parse
            # often takes the next clause's subject for an apposition.
            name_tok = tok
            desc = [t for t in tok.head.subtree if t.i < tok.left_edge.i]
        else:
            continue
        name_toks = [t for t in name_tok.subtree if t.i <= name_tok.i and (t.dep_ == "compound" or t == name_tok)]
        name = " ".join(t.text for t in name_toks)
        labels = {e.label_ for e in doc.ents if e.start <= name_tok.i < e.end}
        if labels - {"PERSON"} or (fold(name) not in people and "PERSON" not in labels):
            continue  # an organization or a place ("Serb List, the primary ... party")
        noun = tok if tok.pos_ == "NOUN" else tok.head
        org = next((p for p in noun.children if p.dep_ == "prep" and p.lower_ in ("of", "for", "at")), None)
        a, b, text = _words_of([t for t in desc if t.dep_ != "punct" or desc[0].i < t.i < desc[-1].i])
        if not text:
            continue
        out.append(Fact(
            id=content_id("f", article.id, "role", str(a), str(b)), article_id=article.id, kind="role",
            span=Span(article.id, a, b), text=text, speaker=resolve_speaker(name, names, ""),
            what=_title(noun), value=_words_of([t for t in org.subtree if t != org])[2] if org is not None else None,
            sentence=next((Span(article.id, s, e) for s, e in spans if s <= a < e), None),
        ))
    return out


def extract_facts(article: Article, parse: Callable[[str], Any] | None = None) -> list[Fact]:
    """All facts of an article, sorted by position.  With ``parse`` (a spaCy pipeline) reported
    speech and named entities come from the parse too; without it, patterns only."""
    removed = [(r.span.start, r.span.end) for r in article.removals]
    spans = body_sentences(article.text, removed)
    body_start = spans[0][0] if spans else 0
    names = person_names(article.clean_text)
    base = to_date(article.published_at)
    facts: list[Fact] = []
    quotes: list[Fact] = []
    anchor: date | None = None
    for s, e in spans:
        sent = article.text[s:e]
        mentions = [_anchored(d, anchor, article.text, s) for d in find_dates(sent, base)]
        anchor = _day_anchor(mentions, base) or anchor
        facts.extend(_quantities(article, s, e, mentions))
        for d in mentions:
            if d.text.lower() in ("currently", "at present"):
                continue  # a state at publication, not an event; kept only as a figure's time
            facts.append(Fact(
                id=content_id("f", article.id, "event", str(s + d.start), str(s + d.end)), article_id=article.id,
                kind="event", span=Span(article.id, s + d.start, s + d.end), text=sent, when=d.value,
                when_text=d.text, unresolved_reason=d.reason, sentence=Span(article.id, s, e),
            ))
    quotes.extend(_quotes(article, spans, names, body_start))
    doc = parse(article.text) if parse is not None and spans else None
    if doc is not None:
        quotes, indirect = _attributed(article, doc, spans, names, body_start, quotes)
        facts.extend(indirect)
        events = [f for f in facts if f.kind == "event"]
        facts = [f for f in facts if f.kind != "event"] + _split_events(article, doc, events)
        facts.extend(_roles(article, doc, spans, names))
    facts.extend(quotes)
    facts.extend(_entities(article, body_start, names, doc))
    # A fact's id is its article, kind and span, so one span read twice (a paraphrase carried
    # by two cues, "said" and "figured"; an event split from a date it already was) is one
    # fact: the later reading is kept, as a store keyed by id would keep it.  Without this, a
    # stage handed the raw list would see a fact the store never holds.
    unique = {f.id: f for f in facts}
    return sorted(unique.values(), key=lambda f: (f.span.start, f.span.end, f.kind, f.id))
