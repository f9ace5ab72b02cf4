"""Cross-check: group the facts of one story's articles that speak about the same thing and
say whether the sources agree, rest on one source, or conflict.

* Quantities match on what they count (head noun) and on the words of their sentences;
  numbers agree within a relative tolerance, ranges agree when they overlap.
* Quotes match when most words of the shorter one occur, in order, in the longer one;
  any edit inside the shared stretch makes the quote *altered* (a conflict), shown as a
  word diff, and a different speaker for the same words is an attribution conflict, as is
  a different doer named inside the longer quote (attribution drift).  Reported speech is
  left out: its words are the reporter's.
* Events match on the same resolved day and related sentences, or the same speaker.
* Roles (what a person is called) are grouped by person; titles in one organization must agree.

Duplicates of one article are not independent sources, so they count once.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ..dates import find_dates, to_date
from ..records import Article, Fact, FactCheck, Span, content_id
from ..textutil import content_tokens, fold, jaccard, words
from .entities import name_keys, story_keys

__all__ = ["CrossCheckConfig", "crosscheck_story", "quote_diff"]


@dataclass(frozen=True, slots=True)
class CrossCheckConfig:
    # 5%: copies round ("nearly 4,500" vs "4,500"), while a real disagreement on a count of
    # people or troops is usually larger.
    tolerance: float = 0.05
    # Share of the shorter quote's words found in order in the longer one for the two to be
    # one quote; a single inserted or dropped word in a ten-word quote keeps it at 0.9.
    quote_overlap: float = 0.8
    # Sentence word overlap for two facts to be about the same thing: two reports of one
    # figure share a fifth of their content words ("won by 612 votes after a recount" /
    # "winning by 621 votes after two wards were recounted"); passing mentions share less.
    context_jaccard: float = 0.15
    # Participants (names, countries) two sentences must share for figures that agree to be
    # one figure though the sentences are worded apart; one shared name is the story itself.
    shared_names: int = 2


def _head(what: str | None) -> str | None:
    if not what:
        return None
    w = words(what)
    if not w:
        return None
    head = w[-1]
    return head[:-1] if head.endswith("s") and not head.endswith("ss") and len(head) > 3 else head


def _distinct_speakers(names: list[str]) -> list[str]:
    """Speakers that are really different people: 'Ilse Marangoni' and 'Challenger Ilse
    Marangoni' (a capitalized word before the name) are one, as are 'Kirby' and 'John Kirby'."""
    keys = sorted({tuple(words(n)) for n in names if words(n)}, key=len)
    distinct: list[tuple[str, ...]] = []
    for k in keys:
        if not any(k[-len(d):] == d or d[-len(k):] == k for d in distinct):
            distinct.append(k)
    return [" ".join(k) for k in distinct]


def quote_diff(a: str, b: str) -> tuple[float, list[str]]:
    """How much of the shorter quote the longer carries, and the word edits inside that stretch."""
    wa, wb = words(a), words(b)
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if not short:
        return 0.0, []
    sm = difflib.SequenceMatcher(a=short, b=long_, autojunk=False)
    matched = sum(blk.size for blk in sm.get_matching_blocks())
    ops = [op for op in sm.get_opcodes()]
    # Leading and trailing material of only one side is a shorter excerpt, not an alteration.
    while ops and ops[0][0] != "equal" and (ops[0][1] == ops[0][2] or ops[0][3] == ops[0][4]):
        ops.pop(0)
    while ops and ops[-1][0] != "equal" and (ops[-1][1] == ops[-1][2] or ops[-1][3] == ops[-1][4]):
        ops.pop()
    edits = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        # Report edits from the longer (fuller) quote towards the shorter one.
        removed, added = " ".join(long_[j1:j2]), " ".join(short[i1:i2])
        if tag == "insert":
            edits.append(f"-{removed}")
        elif tag == "delete":
            edits.append(f"+{added}")
        else:
            edits.append(f"{removed}→{added}")
    return matched / len(short), edits


_AGENT = re.compile(r"((?:[A-Z][\w’'-]+\s+){0,4}[A-Z][\w’'-]+)\s+(?:has\s+|had\s+|have\s+)?$")


def _agent_drift(group: Sequence[Fact]) -> str:
    """The same words with a different doer: one source quotes "the North Atlantic Council
    authorised additional forces", another has a person say he "authorised additional forces".
    The name just before the shared words inside the longer quote is compared with the
    speaker the shorter quote is given."""
    for a in group:
        for b in group:
            if a.article_id == b.article_id or not b.speaker or len(a.text) <= len(b.text):
                continue
            first = words(b.text)[:3]
            if not first:
                continue
            m = re.search(r"\b" + r"\W+".join(re.escape(w) for w in first) + r"\b", a.text, re.I)
            if not m:
                continue
            agent = _AGENT.search(a.text[: m.start()])
            if not agent:
                continue
            name = agent.group(1)
            nk, sk = words(name), words(b.speaker)
            if nk and sk and not set(nk) & set(sk) and name.split()[0] not in ("I", "We", "He", "She", "They"):
                return (f"attribution drift: the words are {name}'s in one source and "
                        f"{b.speaker}'s in another")
    return ""


def _moved_outside(edit: str, a: Fact, b: Fact, articles: Mapping[str, Article]) -> bool:
    """A word one quote has and the other leaves just outside its quotation marks is not an
    alteration: "Serbia's “large military deployment”" / "“large Serbian military deployment”"."""
    if not edit.startswith(("-", "+")) or " " in edit:
        return False
    stem = edit[1:][:5]
    for f in (a, b):
        before = articles[f.article_id].text[max(0, f.span.start - 30) : f.span.start]
        if any(w[:5] == stem for w in words(before)[-3:]):
            return True
    return False


def _groups(
    facts: Sequence[Fact],
    link: Callable[[Fact, Fact], float | None],
    separate: Callable[[Fact, Fact], bool] | None = None,
) -> list[list[Fact]]:
    """Join facts of different articles along their strongest links first, never merging two
    groups that would then hold a pair ``separate`` says are different things."""
    cands: list[tuple[float, str, str, int, int]] = []
    for i in range(len(facts)):
        for j in range(i + 1, len(facts)):
            if facts[i].article_id != facts[j].article_id:
                score = link(facts[i], facts[j])
                if score is not None:
                    cands.append((-score, facts[i].id, facts[j].id, i, j))
    cands.sort()
    group_of = list(range(len(facts)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(facts))}
    for _neg, _a, _b, i, j in cands:
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        if separate and any(separate(facts[x], facts[y]) for x in members[gi] for y in members[gj]):
            continue
        for k in members[gj]:
            group_of[k] = gi
        members[gi] += members.pop(gj)
    return [[facts[k] for k in sorted(m)] for m in members.values()]


_NO_BASE = "relative date and no publication date"


def _story_dated(facts: list[Fact], articles: Mapping[str, Article]) -> tuple[list[Fact], dict[str, str]]:
    """An undated article's "on Friday" resolved against the story's first report: the copy
    is about the same days as the story, and the weekday on or before its first report is the
    reading a person makes.  Returns the facts and, for those re-dated, the base used."""
    days = [d for a in articles.values() if (d := to_date(a.published_at)) is not None]
    if not days:
        return facts, {}
    base = min(days)
    out, redated = [], {}
    for f in facts:
        if f.kind == "event" and f.when is None and f.when_text and (f.unresolved_reason or "").startswith(_NO_BASE):
            found = find_dates(f.when_text, base)
            if found and found[0].value:
                f = replace(f, when=found[0].value, unresolved_reason=None)
                redated[f.id] = base.isoformat()
        out.append(f)
    return out, redated


def _check(story_id: str, kind: str, key: str, members: list[Fact], status: str, summary: str, detail: str = "") -> FactCheck:
    members = sorted(members, key=lambda f: f.id)
    return FactCheck(
        id=content_id("c", story_id, kind, key, *(f.id for f in members)), story_id=story_id, kind=kind,  # type: ignore[arg-type]
        key=key, status=status, members=tuple(f.id for f in members),  # type: ignore[arg-type]
        spans=tuple(f.span for f in members), articles=tuple(sorted({f.article_id for f in members})),
        summary=summary, detail=detail,
    )


_EVENT_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?|\d{4}/\d{4}")


def _same_time(a: str, b: str) -> bool:
    """Equal dates, or a year inside a span of years ("1999" and "1998/1999")."""
    if a == b:
        return True
    for x, y in ((a, b), (b, a)):
        if "/" in x and "/" not in y and len(y) == 4:
            lo, hi = x.split("/")
            return lo <= y <= hi
    return False


def _role_checks(story_id: str, facts: Sequence[Fact], in_all: set[str]) -> list[FactCheck]:
    """What the sources call one person.  Titles are compared where two sources name the same
    organization: "vice president", "deputy head" and "deputy leader" of Serb List agree (one
    normalized title), "president" against "vice president" of it is a conflict -- the drift a
    copy makes when it drops a word.  A description without an organization ("a prominent
    Kosovo Serb politician") contradicts nothing."""
    roles = [f for f in facts if f.kind == "role" and f.speaker]
    person = story_keys(fold(f.speaker or "") for f in roles)
    by_person: dict[str, list[Fact]] = {}
    for f in roles:
        by_person.setdefault(person[fold(f.speaker or "")], []).append(f)
    out = []
    for key, group in sorted(by_person.items()):
        group.sort(key=lambda f: (f.article_id, f.span.start))
        short = {f.id: f.text.split(",")[0] for f in group}  # "vice president of Serb List"
        label = f"{group[0].speaker}: " + " / ".join(dict.fromkeys(short[f.id] for f in group))
        if len({f.article_id for f in group}) == 1:
            out.append(_check(story_id, "role", key, group, "single-source", label))
            continue
        orgs = {f.id: name_keys(f.value or "") - in_all for f in group}
        clashes = sorted({f"{short[a.id]} / {short[b.id]}" for a in group for b in group
                          if a.article_id < b.article_id and orgs[a.id] & orgs[b.id] and a.what != b.what})
        out.append(_check(story_id, "role", key, group, "conflict" if clashes else "agree", label,
                          "different titles in one organization: " + "; ".join(clashes) if clashes else ""))
    return out


def crosscheck_story(
    story_id: str, articles: Mapping[str, Article], facts: Iterable[Fact],
    duplicate_of: Mapping[str, str] | None = None, cfg: CrossCheckConfig | None = None,
) -> list[FactCheck]:
    cfg = cfg or CrossCheckConfig()
    dup = duplicate_of or {}
    facts = [f for f in facts if f.article_id in articles and f.article_id not in dup]
    ctx = {f.id: set(content_tokens(articles[f.article_id].text[f.sentence.start : f.sentence.end])) if f.sentence else set()
           for f in facts}
    checks: list[FactCheck] = []

    # Quantities.
    qty = [f for f in facts if f.kind == "quantity" and _head(f.what) and f.number is not None]

    def bounds(f: Fact) -> tuple[float, float]:
        lo = f.number or 0.0
        return lo, f.upper if f.upper is not None else lo

    def close(x: tuple[float, float], y: tuple[float, float]) -> bool:
        tol = cfg.tolerance * max(abs(x[1]), abs(y[1]), 1.0)
        return x[0] - tol <= y[1] and y[0] - tol <= x[1]

    # Names every article of a story mentions (its places, its protagonist) say nothing about
    # which figure a sentence gives; with fewer than three articles no name is that general.
    sources = {f.article_id for f in facts}
    in_all = set.intersection(*(name_keys(articles[a].text) for a in sources)) if len(sources) >= 3 else set()
    names = {f.id: name_keys(articles[f.article_id].text[f.sentence.start : f.sentence.end]) - in_all
             if f.sentence else set() for f in qty}
    qualifiers = {f.id: name_keys(f.what or "") for f in qty}  # "British" in "British troops"

    def qty_link(a: Fact, b: Fact) -> float | None:
        if _head(a.what) != _head(b.what):
            return None
        sim = jaccard(ctx[a.id], ctx[b.id])
        if sim >= cfg.context_jaccard:
            return sim
        # Reworded reports of one figure share its participants rather than their words: "a
        # battalion (500-650 troops) to support KFor" from "the UK's Ministry of Defence" and
        # "the reinforcement of ... Kfor with hundreds of British troops".  Linked only when the
        # numbers agree (so this link never makes a conflict), the sentences name at least two of
        # the same participants (beyond the story's own), and a name qualifying the count
        # ("British") is named in both.
        shared = names[a.id] & names[b.id]
        if (close(bounds(a), bounds(b)) and len(shared) >= cfg.shared_names
                and qualifiers[a.id] | qualifiers[b.id] <= shared):
            return sim
        return None

    def different_things(a: Fact, b: Fact) -> bool:
        # One article giving two numbers for one noun is counting two things (a margin and a
        # total, last year and this year), not disagreeing with itself.
        return a.article_id == b.article_id and not close(bounds(a), bounds(b))

    for g in _groups(qty, qty_link, different_things):
        key = _head(g[0].what) or ""
        per_article: dict[str, list[tuple[float, float]]] = {}
        for f in g:
            per_article.setdefault(f.article_id, []).append(bounds(f))
        values = ", ".join(sorted({f.value or "" for f in g}))
        label = f"{values} {min((f.what or key for f in g), key=len)}"
        if len(per_article) == 1:
            checks.append(_check(story_id, "quantity", key, g, "single-source", label))
            continue
        arts = list(per_article.values())
        agree = all(any(close(x, y) for x in arts[0] for y in other) for other in arts[1:])
        status = "agree" if agree else "conflict"
        checks.append(_check(story_id, "quantity", key, g, status, label,
                             "" if agree else f"sources give different numbers: {values}"))

    # Quotes.
    # Direct quotes only: reported speech is the reporter's wording, so two paraphrases of one
    # statement would read as an altered quote.
    quotes = [f for f in facts if f.kind == "quote" and f.direct is not False and len(words(f.text)) >= 3]

    bags = {f.id: Counter(words(f.text)) for f in quotes}

    def quote_link(a: Fact, b: Fact) -> float | None:
        # The words the two quotes share (as multisets) bound what the alignment can match:
        # most pairs in a story are different quotes, and this spares them difflib.
        shortest = min(bags[a.id].total(), bags[b.id].total())
        if not shortest or sum((bags[a.id] & bags[b.id]).values()) / shortest < cfg.quote_overlap:
            return None
        overlap = quote_diff(a.text, b.text)[0]
        return overlap if overlap >= cfg.quote_overlap else None

    for g in _groups(quotes, quote_link):
        g = sorted(g, key=lambda f: (f.article_id, f.span.start))
        key = " ".join(words(min((f.text for f in g), key=len))[:12])
        speakers = _distinct_speakers([f.speaker for f in g if f.speaker])
        if len({f.article_id for f in g}) == 1:
            checks.append(_check(story_id, "quote", key, g, "single-source", g[0].text))
            continue
        edits: list[str] = []
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                if g[i].article_id != g[j].article_id:
                    edits.extend(e for e in quote_diff(g[i].text, g[j].text)[1]
                                 if e not in edits and not _moved_outside(e, g[i], g[j], articles))
        details = []
        if edits:
            details.append("altered quote: " + "; ".join(edits))
        if len(speakers) > 1:
            details.append("attributed to different speakers: " + " / ".join(
                sorted({f.speaker or "" for f in g if f.speaker})))
        else:
            drift = _agent_drift(g)
            if drift:
                details.append(drift)
        status = "conflict" if details else "agree"
        checks.append(_check(story_id, "quote", key, g, status, min((f.text for f in g), key=len), "; ".join(details)))

    checks.extend(_role_checks(story_id, facts, in_all))

    # Dated events: resolved to a day, a month or a year ("declared independence in 2008");
    # two mentions are one event when the dates are the same and the sentences related.
    facts, redated = _story_dated(facts, articles)
    events = [f for f in facts if f.kind == "event" and f.when and _EVENT_DATE.fullmatch(f.when)]

    # The words around the date, not the whole sentence: a long sentence carries other events.
    # An event split from others of its sentence has its own clause's words.
    near = {f.id: {re.sub(r"['’]s$", "", w) for w in content_tokens(
        f.what if f.what else articles[f.article_id].text[max(0, f.span.start - 70) : f.span.end + 40])} for f in events}
    # Who speaks in the event's sentence: "Mr. Kirby stated on Friday" and "John Kirby told
    # reporters on September 29" are one statement, though their words differ.  In a sentence
    # split into clauses, a speaker belongs to the narrowest event clause holding the cue.
    speaker_at: dict[tuple[str, int], list[tuple[str, Span | None]]] = {}
    for f in facts:
        if f.kind == "quote" and f.speaker and f.sentence:
            speaker_at.setdefault((f.article_id, f.sentence.start), []).append((fold(f.speaker), f.cue_span))
    clauses: dict[tuple[str, int], list[Fact]] = {}
    for f in events:
        if f.cue_span and f.sentence:
            clauses.setdefault((f.article_id, f.sentence.start), []).append(f)

    def said_by(f: Fact) -> set[str]:
        if not f.sentence:
            return set()
        where = (f.article_id, f.sentence.start)
        out = set()
        for who, cue in speaker_at.get(where, []):
            if f.cue_span and cue:
                holding = [g.cue_span for g in clauses[where]
                           if g.cue_span and g.cue_span.start <= cue.start and cue.end <= g.cue_span.end]
                if not holding or min(holding, key=lambda s: s.end - s.start) != f.cue_span:
                    continue
            out.add(who)
        return out

    def event_link(a: Fact, b: Fact) -> float | None:
        if not _same_time(a.when or "", b.when or ""):
            return None
        if said_by(a) & said_by(b):
            return 1.0  # one person speaking on one day: the strongest sign of one event
        sim = jaccard(near[a.id], near[b.id])
        # Background years ("declared independence in 2008", "the 1998-99 war") name few events
        # each, so a weaker likeness of context suffices for them.
        coarse = any(len(w) == 4 or "/" in w for w in (a.when or "", b.when or ""))
        return sim if sim >= (cfg.context_jaccard / 3 if coarse else cfg.context_jaccard) else None

    def one_sentence(a: Fact, b: Fact) -> bool:
        # Two events of one sentence are two things that happened, never one.
        return a.sentence is not None and a.sentence == b.sentence

    for g in _groups(events, event_link, one_sentence):
        status = "single-source" if len({f.article_id for f in g}) == 1 else "agree"
        first = min(g, key=lambda f: (len(f.text), f.id))
        note = "; ".join(f"'{f.when_text}' in an undated article, read against the story's first report "
                         f"({redated[f.id]})" for f in g if f.id in redated)
        # The group's date is its most precise one: "in 1999" within "the 1998-99 war".
        when = min((f.when or "" for f in g), key=lambda w: ("/" in w, -len(w), w))
        checks.append(_check(story_id, "event", when, g, status, first.text, note))

    return sorted(checks, key=lambda c: (c.kind, c.key, c.id))
