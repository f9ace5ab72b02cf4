"""Entity keys that join the spellings of one name across articles.

* Diacritics and case do not matter: "Vučić", "Vucic" and "VUCIC" share the key ``vucic``;
  "Nato" and "NATO" share ``nato``.
* A bare surname takes the full name mentioned in the same article ("Kirby" -> "john kirby").
* An acronym and its expansion share the acronym's key, whether the article spells it out
  ("Kosovo Force (KFOR)") or the letters are the starts of a name's words ("Kosovo Force" and
  "KFor": K-osovo FOR-ce; "North Atlantic Treaty Organization" and "NATO").

Pure functions over strings; the facts stage applies them per article and the cross-check
per story, so the same name gets the same key wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..textutil import fold

__all__ = ["acronym_of", "entity_key", "name_keys", "story_aliases", "story_keys"]

_MINOR = frozenset("of the and for de la du des von van".split())
_PAREN = re.compile(r"\b((?:[A-Z][\w’'-]*\s+){1,6}[A-Z][\w’'-]*)\s+\(([A-Z][A-Za-z]{1,7})\)")


def acronym_of(acronym: str, phrase: str) -> bool:
    """True when the acronym's letters are, in order, the beginnings of the phrase's words
    (minor words may be skipped): "KFOR" / "Kosovo Force", "NATO" / "North Atlantic Treaty
    Organization"."""
    letters = fold(acronym).replace(".", "")
    ws = [fold(w) for w in re.findall(r"[^\W\d_]+", phrase)]
    if len(letters) < 2 or len(ws) < 2 or not all(c.isalpha() for c in letters):
        return False

    def match(i: int, j: int) -> bool:
        if i == len(letters):
            return j == len(ws) or all(w in _MINOR for w in ws[j:])
        if j == len(ws):
            return False
        w = ws[j]
        if w in _MINOR and match(i, j + 1):
            return True
        # This word gives the next 1..len(w) letters of the acronym.
        k = 0
        while k < len(w) and i + k < len(letters) and letters[i + k] == w[k]:
            k += 1
            if match(i + k, j + 1):
                return True
        return False

    return match(0, 0)


def story_aliases(texts: Iterable[str], names: Iterable[str]) -> dict[str, str]:
    """Folded name -> key for every expansion tied to an acronym in these texts."""
    aliases: dict[str, str] = {}
    acronyms: set[str] = set()
    all_names = list(names)
    for text in texts:
        for m in _PAREN.finditer(text):
            long_, short = m.group(1), m.group(2)
            # "the North Atlantic Treaty Organization (NATO)": drop leading words until the
            # rest spells the acronym.
            ws = long_.split()
            for i in range(len(ws) - 1):
                if acronym_of(short, " ".join(ws[i:])):
                    aliases[fold(" ".join(ws[i:]))] = fold(short)
                    break
            acronyms.add(short)
    for name in all_names:
        if re.fullmatch(r"[A-Z][A-Za-z]{1,6}", name) and sum(c.isupper() for c in name) >= 2:
            acronyms.add(name)
    for name in all_names:
        for short in acronyms:
            if fold(name) != fold(short) and acronym_of(short, name):
                aliases.setdefault(fold(name), fold(short))
    return aliases


def entity_key(name: str, full_names: Iterable[str] = (), aliases: dict[str, str] | None = None) -> str:
    """The key of a name: folded, a surname completed from ``full_names``, an expansion
    replaced by its acronym."""
    key = fold(re.sub(r"^(?:the|The)\s+", "", name.strip(" \t&-,.;:")))
    key = re.sub(r"[’']s$", "", key)
    key = re.sub(r"^[^\s’']+[’']s\s+(?=\S)", "", key)  # "nato's kosovo force": the force
    if aliases and key in aliases:
        return aliases[key]
    if " " not in key:
        for full in full_names:
            f = fold(full)
            if f.split()[-1] == key and " " in f:
                return f
    return key


def story_keys(keys: Iterable[str]) -> dict[str, str]:
    """Entity keys of one story's articles joined across articles: an expansion in one article
    takes the acronym another article uses ("kosovo force" -> "kfor" when any article says
    "KFor"), and a surname takes a full name any article gives."""
    ks = sorted(set(keys))
    acronyms = [k for k in ks if " " not in k and 2 <= len(k) <= 7 and k.isalpha()]
    fulls = [k for k in ks if " " in k]
    out: dict[str, str] = {}
    for k in ks:
        target = k
        if " " in k:
            for a in acronyms:
                if acronym_of(a, k):
                    target = a
                    break
        else:
            match = [f for f in fulls if f.split()[-1] == k]
            if len(match) == 1:
                target = match[0]
        out[k] = target
    return out


# Adjectives of nationality and the short forms of country names, keyed like the country:
# "hundreds of British troops" and "the UK's Ministry of Defence" name the same country.
_COUNTRY = {
    "britain": "uk", "british": "uk", "united kingdom": "uk", "u.k.": "uk", "english": "uk",
    "america": "us", "american": "us", "united states": "us", "u.s.": "us", "usa": "us",
    "serbian": "serbia", "serb": "serbia", "serbs": "serbia", "kosovan": "kosovo", "kosovar": "kosovo",
    "albanian": "albania", "albanians": "albania", "russian": "russia", "ukrainian": "ukraine",
    "french": "france", "german": "germany", "italian": "italy", "spanish": "spain", "turkish": "turkey",
    "chinese": "china", "japanese": "japan", "indian": "india", "iranian": "iran", "israeli": "israel",
    "palestinian": "palestine", "polish": "poland", "greek": "greece", "dutch": "netherlands",
    "canadian": "canada", "australian": "australia", "european": "eu", "european union": "eu",
}
_COUNTRY_PHRASE = re.compile(r"\b(?:United Kingdom|United States|European Union|U\.[KS]\.)", re.I)
_CAPITALIZED = re.compile(r"\b[A-Z][\w’'.-]*")
_NOT_NAMES = frozenset(fold(w) for w in """The A An In On At For And But When While After Before This That These Those It
    He She They We I Our Its His Her Their Mr Mrs Ms Dr Additionally However Currently Meanwhile Also""".split())


def name_keys(text: str) -> set[str]:
    """Keys of the names a text mentions, as capitalized words: folded, possessives dropped,
    nationality adjectives as their country ("British" -> ``uk``).  Coarse on purpose -- it
    compares two sentences' participants, it does not find entities."""
    keys = {_COUNTRY[fold(m.group())] for m in _COUNTRY_PHRASE.finditer(text)}
    for m in _CAPITALIZED.finditer(_COUNTRY_PHRASE.sub(" ", text)):
        w = re.sub(r"[’']s$", "", fold(m.group()).rstrip(".-"))
        if w and w not in _NOT_NAMES:
            keys.add(_COUNTRY.get(w, w))
    return keys
