"""A synthetic derivation benchmark built from real articles: what content farms do, on purpose.

SYNTHETIC: the copies here are made by this module, not collected from the web.  The
originals and the distractors are real: ECB+ articles (each ``event`` is one real-world event
covered by several outlets) and the English SemEval-2022 pairs rated the same story.

For sampled originals, copies are made by what content farms do: paraphrase (phrase
substitution, clauses swapped), reorder sentences, drop or condense paragraphs, round or
change numbers and dates, shorten quotes, inject junk, retitle.  Some copies are copied again,
so a copy's parent is not always the original.  The other real articles of the same event stay
in the story as distractors: same event, independent reports.  Real articles of one event that
are near-copies of each other (wire stories reprinted) would have no true label, so any with
a fifth of their trigrams in common with another are left out.

Everything is drawn from a seeded generator: the same data gives the same benchmark.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from ..dates import to_date
from ..records import Article
from ..stages.align import containment, trigrams
from ..stages.clean import clean_article, read_dateline
from ..stages.ingest.common import article_from_text
from ..textutil import sentences, words

__all__ = ["Case", "SyntheticStory", "article_lines", "ecbplus_stories", "make_article", "make_copy", "semeval_stories"]

# Phrase substitutions of the kind rewriting tools make.  Whole words only, outside quotes.
# Each farm's spinner picks its own synonym, so two copies of one original differ from each other too.
_SWAPS: dict[str, tuple[str, ...]] = {
    "said": ("stated", "noted", "remarked", "declared"), "says": ("states", "notes", "remarks"),
    "told": ("informed", "advised"), "announced": ("revealed", "disclosed", "declared"),
    "reported": ("indicated", "conveyed"), "people": ("individuals", "persons", "folks"),
    "police": ("law enforcement", "authorities", "officers"), "killed": ("slain", "left dead"),
    "died": ("lost their lives", "perished", "passed away"), "arrested": ("detained", "apprehended", "taken into custody"),
    "attack": ("assault", "offensive"), "company": ("firm", "business", "corporation"),
    "government": ("administration", "authorities"), "according to": ("as reported by", "as stated by", "per"),
    "however": ("nevertheless", "nonetheless", "yet"), "also": ("additionally", "moreover", "furthermore"),
    "about": ("roughly", "approximately", "around"), "more than": ("over", "in excess of", "upwards of"),
    "after": ("following", "subsequent to", "in the wake of"), "before": ("prior to", "ahead of"),
    "because": ("since", "as", "owing to the fact that"), "began": ("started", "commenced"),
    "help": ("assist", "aid", "support"), "big": ("large", "huge", "sizable"), "many": ("numerous", "countless", "a lot of"),
    "shows": ("demonstrates", "displays"), "officials": ("authorities", "representatives"),
    "spokesman": ("representative", "spokesperson"), "spokeswoman": ("representative", "spokesperson"),
    "wanted": ("sought", "desired"), "tried": ("attempted", "sought"), "need": ("require", "must have"),
    "fire": ("blaze", "inferno"), "car": ("vehicle", "automobile"), "home": ("residence", "house", "dwelling"),
    "house": ("residence", "home", "property"), "children": ("kids", "youngsters", "minors"),
    "man": ("individual", "male", "gentleman"), "woman": ("lady", "female", "individual"),
    "near": ("close to", "in the vicinity of", "nearby"), "during": ("throughout", "amid", "in the course of"),
    "won": ("secured", "clinched", "claimed"), "expected": ("anticipated", "projected", "predicted"),
    "important": ("significant", "crucial", "key"), "major": ("significant", "substantial", "key"),
    "quickly": ("rapidly", "swiftly", "promptly"), "very": ("extremely", "highly", "really"),
    "start": ("commence", "begin", "launch"), "think": ("believe", "feel", "reckon"),
    "show": ("demonstrate", "display", "reveal"), "buy": ("purchase", "acquire"), "bought": ("purchased", "acquired"),
    "get": ("obtain", "receive", "acquire"), "got": ("obtained", "received"), "find": ("discover", "locate"),
    "found": ("discovered", "located", "uncovered"), "hit": ("struck", "impacted"), "injured": ("wounded", "hurt"),
    "statement": ("declaration", "announcement", "release"), "later": ("subsequently", "afterwards", "thereafter"),
    "now": ("currently", "at present", "presently"), "still": ("nonetheless", "yet", "even now"),
    "plans": ("intends", "aims", "is planning"), "went": ("headed", "proceeded", "traveled"),
}
_SWAP_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _SWAPS), key=len, reverse=True)) + r")\b", re.I)
_QUOTE_RE = re.compile(r"(``|“|\")(.+?)(''|”|\")")
_NUMBER_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?![\w.,]\d)")
_MONTH_DAY = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December) (\d{1,2})\b")
_JUNK = [
    "Read more: {other}", "You may also like", "ADVERTISEMENT", "Photo: AFP/Getty Images", "Share this article",
    "Note: This article was generated by an AI language model from other sources.",
    "Related: {other}", "Click here to subscribe to our newsletter",
]
_RETITLES = ["BREAKING: {lead}", "Shocking Truth Revealed About {lead}", "{lead} - Here's What We Know",
             "Everything You Need To Know: {lead}"]


@dataclass(frozen=True, slots=True)
class Case:
    """One article of a synthetic story: its true parent (None for real articles) and how it was made."""

    article: Article
    parent: str | None
    recipe: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SyntheticStory:
    name: str
    cases: tuple[Case, ...]


def _outside_quotes(text: str, fn: re.Pattern[str], repl: object) -> str:
    parts = re.split(r"((?:``|“|\").+?(?:''|”|\"))", text)
    return "".join(p if k % 2 else fn.sub(repl, p) for k, p in enumerate(parts))  # type: ignore[call-overload]


def _paraphrase(sent: str, rng: random.Random, strength: float, spinner: dict[str, str]) -> str:
    def swap(m: re.Match[str]) -> str:
        if rng.random() > strength:
            return m.group(0)
        new = spinner[m.group(0).lower()]
        return new[0].upper() + new[1:] if m.group(0)[0].isupper() else new

    out = _outside_quotes(sent, _SWAP_RE, swap)
    # Swap the clauses around the first comma of a long sentence: same content, new trigrams.
    if strength >= 0.8 and '"' not in out and "“" not in out and "``" not in out:
        head, sep, tail = out.partition(", ")
        if sep and 4 <= len(head.split()) and 4 <= len(tail.split()):
            tail = tail.rstrip(" .")
            out = tail[0].upper() + tail[1:] + ", " + head[0].lower() + head[1:] + "."
    return out


def _numbers(sent: str, rng: random.Random) -> str:
    def change(m: re.Match[str]) -> str:
        value = int(m.group(1).replace(",", ""))
        if 1900 <= value <= 2030 or rng.random() < 0.5:  # years stay
            return m.group(0)
        if value >= 100:
            digits = len(str(value)) - 2
            rounded = round(value, -digits)
            return f"about {rounded:,}" if rounded != value else f"nearly {value + 10 ** digits:,}"
        return str(max(1, value + rng.choice((-1, 1))))

    out = _outside_quotes(sent, _NUMBER_RE, change)
    return _MONTH_DAY.sub(lambda m: f"{m.group(1)} {max(1, int(m.group(2)) + rng.choice((-1, 1)))}"
                          if rng.random() < 0.5 else m.group(0), out)


def _shorten_quotes(sent: str, rng: random.Random) -> str:
    def cut(m: re.Match[str]) -> str:
        ws = m.group(2).split()
        if len(ws) < 8 or rng.random() < 0.3:
            return m.group(0)
        a = len(ws) // 3
        b = a + max(1, len(ws) // 4)
        return m.group(1) + " ".join(ws[:a] + ws[b:]) + m.group(3)

    return _QUOTE_RE.sub(cut, sent)


def _condense(sent: str) -> str:
    head, sep, _ = sent.partition(", ")
    return head.rstrip(" .") + "." if sep and len(head.split()) >= 6 else sent


def make_copy(lines: list[str], rng: random.Random, other_title: str) -> tuple[list[str], tuple[str, ...]]:
    """Lines of a content-farm copy of ``lines`` (headline first) and the operations applied."""
    ops = ["paraphrase"] + [op for op in ("reorder", "drop", "condense", "numbers", "quotes", "junk", "retitle")
                            if rng.random() < 0.5]
    strength = rng.choice((0.5, 0.8, 1.0))
    spinner = {k: rng.choice(v) for k, v in sorted(_SWAPS.items())}
    title, body = lines[0], list(lines[1:])
    if "drop" in ops and len(body) > 4:
        keep = max(3, round(len(body) * rng.uniform(0.55, 0.8)))
        picked = sorted(rng.sample(range(1, len(body)), keep - 1))
        body = [body[0]] + [body[i] for i in picked]
    if "reorder" in ops and len(body) > 3:
        for _ in range(max(1, len(body) // 4)):
            i = rng.randrange(1, len(body) - 1)
            body[i], body[i + 1] = body[i + 1], body[i]
    out = []
    for s in body:
        if read_dateline(s):
            # The page's own date line ("7 July 2012", "Published: 09th June 2013", as the
            # cleaner reads them) is not a fact of the story: a farm keeps it (its date is then
            # the original's) or prints its own, it does not nudge it by a day.
            out.append(s)
            continue
        if "condense" in ops and rng.random() < 0.4:
            s = _condense(s)
        if "numbers" in ops:
            s = _numbers(s, rng)
        if "quotes" in ops:
            s = _shorten_quotes(s, rng)
        out.append(_paraphrase(s, rng, strength, spinner))
    if "junk" in ops:
        for _ in range(rng.randint(1, 3)):
            out.insert(rng.randint(1, len(out)), rng.choice(_JUNK).format(other=other_title))
    if "retitle" in ops:
        lead = " ".join(words(out[0])[:7]).title() if out else title
        title = rng.choice(_RETITLES).format(lead=lead)
    return [title, *out], (*ops, f"paraphrase={strength}")


def article_lines(text: str) -> list[str]:
    """The lines of a text (headline first), or its sentences when it is one block."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if len(lines) < 3:  # one block of text: split it into sentences
        lines = [text[s:e] for s, e in sentences(text)]
    return lines


def _independent(texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop real articles that share a fifth of their trigrams with an earlier one (reprints)."""
    kept: list[tuple[str, str, frozenset[str]]] = []
    for name, text in texts:
        g = trigrams(words(text))
        if g and all(containment(g, h) < 0.2 for _, _, h in kept):
            kept.append((name, text, g))
    return [(n, t) for n, t, _ in kept]


# Tries at a copy that reads differently from its parent before it is kept as it is.
_RESPINS = 5


def _reads_the_same(copy: Article, parent: Article) -> bool:
    """The same headline and the same body words after cleaning: nothing a reader could tell apart."""
    return copy.title == parent.title and words(copy.clean_text or "") == words(parent.clean_text or "")


def make_article(name: str, lines: list[str], published: date | None) -> Article:
    art = article_from_text(f"synthetic/{name}.txt", "\n\n".join(lines) + "\n", key=name)
    art = replace(art, published_at=published.isoformat() if published else None, title=lines[0])
    return clean_article(art)


def build_story(name: str, texts: list[tuple[str, str]], rng: random.Random, originals: int = 2,
                copies: int = 2) -> SyntheticStory | None:
    """Real articles of one event plus copies of ``originals`` of them (and a copy of a copy)."""
    texts = [(n, t) for n, t in _independent(texts) if len(article_lines(t)) >= 5]
    if len(texts) < 2:
        return None
    # Dates as a reader would find them: a real article that carries a dateline keeps its own
    # date (the cleaner reads it), the others get one near the event's date or none; a copy is
    # published the same day as its parent or up to five days later, or carries no date, in
    # which case the dateline it copied (if any) is its date, as it would be on the web.
    undated = {n: make_article(n, article_lines(t), None) for n, t in texts}  # what the cleaner reads
    found = {n: to_date(a.published_at) for n, a in undated.items()}
    real = sorted(d for d in found.values() if d)
    base = real[0] if real else date(2015, 1, 1) + timedelta(days=rng.randrange(0, 3000))
    cases: list[Case] = []
    for n, t in texts:
        when = found[n] or (base + timedelta(days=rng.randrange(0, 3)) if rng.random() < 0.6 else None)
        cases.append(Case(undated[n] if when is None else make_article(n, article_lines(t), when), None))
    chosen = rng.sample(range(len(texts)), min(originals, len(texts) - 1))
    for k in chosen:
        src = cases[k].article
        other = texts[(k + 1) % len(texts)][1].split("\n", 1)[0][:80]
        parents = [(src, article_lines(texts[k][1]))]
        for c in range(copies + 1):
            # The last copy is a copy of the first copy: its parent is a copy, not the original.
            parent, plines = parents[0] if c < copies else parents[1]
            pdate = to_date(parent.published_at)
            lines, recipe = make_copy(plines, rng, other)
            roll = rng.random()
            cdate = (pdate + timedelta(days=rng.randint(1, 5)) if pdate and roll < 0.34
                     else pdate if pdate and roll < 0.67 else None)
            art = make_article(f"{texts[k][0]}~copy{c}", lines, cdate)
            for attempt in range(_RESPINS):
                if not _reads_the_same(art, parent):
                    break
                # A rewrite that changed nothing a reader sees (a copy of a copy whose spinner
                # found no word left to swap) is a verbatim reprint: which of the two came first
                # is not in the text, and the pipeline files such a page as an exact duplicate
                # before provenance sees it.  It is spun again, from a generator of its own so
                # that every other draw of the benchmark stays as it was.
                lines, recipe = make_copy(plines, random.Random(f"{name}:{c}:{attempt}"), other)
                art = make_article(f"{texts[k][0]}~copy{c}", lines, cdate)
            cases.append(Case(art, parent.id, recipe))
            if c == 0:
                parents.append((art, lines))
    return SyntheticStory(name, tuple(cases))


def ecbplus_stories(path: Path, seed: int = 13, topics: set[int] | None = None) -> Iterator[SyntheticStory]:
    """One synthetic story per ECB+ event (topics 1-35 by default, or ``topics``)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_event: dict[str, list[tuple[str, str]]] = {}
    topic_of: dict[str, int] = {}
    for r in rows:
        by_event.setdefault(str(r["event"]), []).append((str(r["id"]), str(r["text"])))
        topic_of[str(r["event"])] = int(r["topic"])
    for event in sorted(by_event, key=lambda e: (topic_of[e], e)):
        if topics is not None and topic_of[event] not in topics:
            continue
        story = build_story(f"ecbplus/{event}", by_event[event], random.Random(f"{seed}:{event}"))
        if story is not None:
            yield story


def semeval_stories(path: Path, seed: int = 13, limit: int | None = None) -> Iterator[SyntheticStory]:
    """English SemEval-2022 pairs rated the same story (Overall <= 1.5): one original, one distractor."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["lang1"] == "en" and r["lang2"] == "en" and float(r["Overall"]) <= 1.5]
    for r in rows[:limit]:
        texts = [(f"{r['pair_id']}#1", r["text1"]), (f"{r['pair_id']}#2", r["text2"])]
        story = build_story(f"semeval/{r['pair_id']}", texts, random.Random(f"{seed}:{r['pair_id']}"),
                            originals=1, copies=1)
        if story is not None:
            yield story
