"""Small, deterministic text helpers shared by the stages: folding, tokens, sentences.

Nothing here loads a model; every function is pure and cheap, so every engine gets the same
answer from the same text.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

__all__ = [
    "STOPWORDS",
    "body_sentences",
    "content_tokens",
    "fold",
    "jaccard",
    "normalize_for_hash",
    "sentences",
    "words",
]

# Function words plus the verbs and nouns every news story uses ("said", "year"): they carry
# no topic, so leaving them in would make unrelated stories look alike.
STOPWORDS = frozenset(
    """a about above after again against all almost also although am among an and any are as at
    be because been before being below between both but by can could did do does doing down during
    each either even ever every few for from further had has have having he her here hers herself
    him himself his how however i if in into is it its itself just last least less like made make
    many may me might more most much must my myself near nearly neither new no nor not now of off
    often on once one only or other our ours ourselves out over own per perhaps quite rather said
    same says she should since so some still such than that the their theirs them themselves then
    there these they this those though through thus to too two under until up upon us very via
    was we well were what when where whether which while who whom whose why will with within without
    would yet you your yours yourself yourselves according told say saying week weeks year years
    day days time times people including including first later already another however""".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def fold(text: str) -> str:
    """Casefold and strip diacritics, so 'Vučić' and 'Vucic' compare equal."""
    if text.isascii():  # most news text: nothing to decompose
        return text.lower()
    folded = text.casefold()
    if "й" in folded:  # Cyrillic short i is a letter of its own, not и with a mark ("этой")
        return "й".join(fold(part) for part in folded.split("й"))
    decomposed = unicodedata.normalize("NFKD", folded)
    # filterfalse keeps the per-character test in C: a third faster than a generator here.
    return "".join(itertools.filterfalse(unicodedata.combining, decomposed)).replace("đ", "d")


def words(text: str) -> list[str]:
    """Folded word tokens (letters and digits, inner apostrophes kept)."""
    return _WORD.findall(fold(text))


def content_tokens(text: str) -> list[str]:
    """Folded words that carry topic: no stopwords, no one- or two-letter words, no bare numbers."""
    return [w for w in words(text) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()]


def normalize_for_hash(text: str) -> str:
    """The form exact duplicates share: folded words joined by single spaces.

    Punctuation, quote styles, whitespace and case differ between copies of one text that are
    still the same text to a reader, so none of them count.
    """
    return " ".join(words(text))


# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) before
# whitespace and an opening capital, digit or quote; or at a line break.  Abbreviations that
# end with a period ("Mr.", "U.S.") are not ends: they are the usual false split in news.
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|St|Jr|Sr|No|vs|Inc|Ltd|Co|Corp)"
    r"|\b[A-Z](?:\.[A-Z])*)\.$"
)
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` over ``text``, stripped of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text):
        base = para.start()
        chunk = para.group()
        start = 0
        for m in _END.finditer(chunk):
            piece = chunk[start : m.end()]
            if _ABBREV.search(piece):
                continue
            # Inside an open quotation the speaker is still talking: keep the quote whole,
            # unless the quote marks are so unbalanced that the sentence would run on (600).
            if (piece.count("“") > piece.count("”") or piece.count('"') % 2) and len(piece) < 600:
                continue
            spans.append((base + start, base + m.end()))
            start = m.end()
        spans.append((base + start, base + len(chunk)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def body_sentences(text: str, removed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` outside the ``removed`` spans (offsets stay in ``text``)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for start, end in [*sorted(removed), (len(text), len(text))]:
        if start > pos:
            out.extend((pos + s, pos + e) for s, e in sentences(text[pos:start]))
        pos = max(pos, end)
    return out


def jaccard(a: set[str], b: set[str]) -> float:
    """Overlap of two word sets: shared over all, 0 for two empty sets."""
    return len(a & b) / len(a | b) if a or b else 0.0
