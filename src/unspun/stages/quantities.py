"""Quantities in running text: value (digits or words, ranges), unit, change, and what is counted.

A pure, regex-and-table core (no model), so it runs the same on every engine and costs little
per article.  The rules and the lists they use are written for news English; what each guards
against is said next to it, and ``unspun eval facts`` measures them on NewsQuant.

A mention is found in three steps:

1. a number: digits ("4,500", "1.8bn", "+0.2"), number words ("a dozen", "twenty-five",
   "tens of millions"), with a currency before it ("US$", "£") and a scale after it
   ("million", "bn");
2. what it measures: a unit from the table below ("km/h", "per cent", "basis points"), or else
   the counted noun phrase after it ("armed attackers", "police officers"), with "X per Y";
3. how it is qualified: approximate ("nearly", "about"), bound ("more than", "up to"), or a
   change ("rose 8%", "down 9.2%", "+0.3%").

A second number joined by "to", "-" or "and" ("500-650", "from 1 to 1.5 degrees") makes a
range.  Years, dates, clock times, ordinals and numbers that are part of a name ("Boeing 787",
"S&P 500") are not quantities.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..textutil import fold

__all__ = ["Quantity", "find_quantities", "normalize_unit"]


@dataclass(frozen=True, slots=True)
class Quantity:
    start: int  # span of the whole mention in the text searched
    end: int
    value: str  # as written: "500-650", "nearly 4,500" keeps only "4,500"
    number: float
    upper: float | None  # second end of a range, as written ("from 4.8 to 4.7": 4.7)
    unit: str | None  # normalized unit ("percentage", "dollar", "kilometre per hour")
    what: str | None  # the counted noun phrase as written ("police officers")
    change: str  # = ~ > < up down


_WORD_VALUES: dict[str, float] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "a dozen": 12, "dozen": 12, "a hundred": 100, "a thousand": 1000, "a million": 1e6, "a billion": 1e9,
}
# Vague plurals stand for a range of one order of magnitude ("hundreds": 100 to 1,000), so
# "dozens of people" and "30 people" overlap while "hundreds" and "12" do not.
_VAGUE: dict[str, tuple[float, float]] = {
    "dozens": (12, 120), "scores": (40, 200), "hundreds": (100, 1000), "thousands": (1e3, 1e4),
    "tens of thousands": (1e4, 1e5), "hundreds of thousands": (1e5, 1e6), "millions": (1e6, 1e7),
    "tens of millions": (1e7, 1e8), "hundreds of millions": (1e8, 1e9), "billions": (1e9, 1e10),
}
_SCALES: dict[str, float] = {
    "hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6, "billion": 1e9,
    "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12,
}
_CURRENCIES: dict[str, str] = {
    "us$": "dollar", "$us": "dollar", "usd": "dollar", "$": "dollar", "a$": "australian dollar",
    "$a": "australian dollar", "aud": "australian dollar", "hk$": "hong kong dollar", "nz$": "new zealand dollar",
    "c$": "canadian dollar", "cad": "canadian dollar", "s$": "singapore dollar", "£": "pound sterling",
    "gbp": "pound sterling", "€": "euro", "eur": "euro", "¥": "japanese yen", "jpy": "japanese yen",
    "₹": "indian rupee", "rs": "indian rupee", "rs.": "indian rupee", "inr": "indian rupee", "rm": "malaysian ringgit",
    "y=": "japanese yen", "chf": "swiss franc", "cny": "chinese yuan", "rmb": "chinese yuan", "₽": "russian rouble", "₪": "shekel",
}
# Unit words and symbols after a number, longest first when matched.  Names follow the
# singular, spelled-out form used by NewsQuant's normalized units.
_UNITS: dict[str, str] = {
    "%": "percentage", "percent": "percentage", "per cent": "percentage", "pc": "percentage",
    "percentage points": "percentage point", "percentage point": "percentage point",
    "basis points": "basis point", "basis point": "basis point", "bps": "basis point", "bp": "basis point",
    "points": "point", "point": "point", "pts": "point",
    "dollars": "dollar", "dollar": "dollar", "euros": "euro", "euro": "euro", "yen": "japanese yen",
    "pounds sterling": "pound sterling", "sterling": "pound sterling", "shekels": "shekel", "shekel": "shekel",
    "rupees": "indian rupee", "yuan": "chinese yuan", "cents": "cent", "cent": "cent", "sen": "sen",
    "km/h": "kilometre per hour", "km/hr": "kilometre per hour", "kph": "kilometre per hour", "kmh": "kilometre per hour",
    "mph": "mile per hour", "miles per hour": "mile per hour", "mpg": "mile per gallon", "miles per gallon": "mile per gallon",
    "rpm": "revolutions per minute", "km": "kilometre", "kilometres": "kilometre", "kilometers": "kilometre",
    "kilometre": "kilometre", "kilometer": "kilometre", "metres": "metre", "meters": "metre", "metre": "metre",
    "meter": "metre", "m": "metre", "cm": "centimetre", "centimetres": "centimetre", "centimeters": "centimetre",
    "mm": "millimetre", "millimetres": "millimetre", "millimeters": "millimetre", "millimeter": "millimetre",
    "nm": "nanometre", "nanometres": "nanometre", "nanometers": "nanometre", "nanometer": "nanometre",
    "μm": "micrometre", "microns": "micrometre", "miles": "mile", "mile": "mile", "yards": "yard", "yard": "yard",
    "feet": "foot", "foot": "foot", "ft": "foot", "inches": "inch", "inch": "inch", "in.": "inch", "″": "inch",
    "square miles": "square mile", "square mile": "square mile", "square metres": "square metre",
    "square meters": "square metre", "sq m": "square metre", "m2": "square metre", "square feet": "square foot",
    "square foot": "square foot", "sq ft": "square foot", "cubic feet": "cubic foot", "acres": "acre", "acre": "acre",
    "hectares": "hectare", "hectare": "hectare", "kg": "kilogram", "kilograms": "kilogram", "kilogram": "kilogram",
    "kilos": "kilogram", "g": "gram", "grams": "gram", "gram": "gram", "mg": "milligram", "milligrams": "milligram",
    "lb": "pound-mass", "lbs": "pound-mass", "pounds": "pound-mass", "pound": "pound-mass", "ounces": "ounce",
    "ounce": "ounce", "oz": "ounce", "tonnes": "tonne", "tonne": "tonne", "tons": "ton", "ton": "ton",
    "litres": "litre", "liters": "litre", "litre": "litre", "liter": "litre", "ml": "millilitre", "gallons": "gallon",
    "gallon": "gallon", "pints": "pint", "pint": "pint", "quarts": "quart", "quart": "quart", "barrels": "barrel",
    "barrel": "barrel", "seconds": "second", "second": "second", "secs": "second", "sec": "second", "s": "second",
    "minutes": "minute", "minute": "minute", "mins": "minute", "min": "minute", "hours": "hour", "hour": "hour",
    "hrs": "hour", "days": "day", "day": "day", "weeks": "week", "week": "week", "months": "month", "month": "month",
    "years": "year", "year": "year", "decades": "decade", "decade": "decade", "centuries": "century", "century": "century",
    "usd": "dollar", "eur": "euro", "jpy": "japanese yen", "gbp": "pound sterling", "p": "pence", "pence": "pence",
    "kw": "kilowatt", "kilowatts": "kilowatt", "kwh": "kilowatt hour", "mw": "megawatt", "megawatts": "megawatt",
    "mwh": "megawatt hour", "gw": "gigawatt", "gigawatts": "gigawatt", "gwh": "gigawatt hour", "w": "watt",
    "watts": "watt", "hp": "horsepower", "horsepower": "horsepower", "bhp": "brake horsepower", "ps": "horsepower",
    "nm torque": "newton metre", "lb-ft": "foot pound-force", "pound-feet": "pound-foot", "mah": "milliampere-hour",
    "gb": "gigabyte", "mb": "megabyte", "tb": "terabyte", "gbps": "gigabit per second", "mbps": "megabit per second",
    "ghz": "gigahertz", "mhz": "megahertz", "hz": "hertz", "gpa": "gigapascal", "gigapascals": "gigapascal",
    "ppb": "parts-per-billion", "ppm": "parts-per-million", "decibels": "decibel", "db": "decibel",
    "degrees celsius": "celsius", "degrees fahrenheit": "fahrenheit", "°c": "celsius", "°f": "fahrenheit",
    "celsius": "celsius", "fahrenheit": "fahrenheit", "degrees": "degree", "degree": "degree", "°": "degree",
    "c": "celsius", "f": "fahrenheit", "times": "count", "x": "count",
}
# Units that are also ordinary words or letters: only taken glued to the number ("100m",
# "5W", "30C"), never after a space, where "5 m" or "3 in the afternoon" would mislead.
_GLUED_ONLY = frozenset({"m", "s", "g", "w", "c", "f", "x", "in.", "b", "k", "ps", "pc", "db", "sen", "p"})
_UNIT_KEYS = sorted(_UNITS, key=len, reverse=True)
_UNIT_RE = re.compile(
    r"(?P<sp>[\s-]?)(?P<unit>" + "|".join(re.escape(u) for u in _UNIT_KEYS) + r")(?![\w$£€%°])", re.I
)
_SCALE_RE = re.compile(r"(?P<sp>\s?-?)(?P<scale>hundred|thousand|million|billion|trillion|mln|mn|bn|trn|tn|k|m|b)\b", re.I)

_MODS: dict[str, str] = {
    "nearly": "~", "almost": "~", "about": "~", "around": "~", "approximately": "~", "roughly": "~",
    "some": "~", "an estimated": "~", "estimated": "~", "close to": "~", "circa": "~", "~": "~", "approx.": "~",
    "more than": ">", "over": ">", "at least": ">", "upwards of": ">", "above": ">", "in excess of": ">",
    "over than": ">", "exceeding": ">", "as many as": "<", "less than": "<", "fewer than": "<", "under": "<",
    "up to": "<", "below": "<", "at most": "<", "no more than": "<", "just under": "<", "just over": ">",
}
_MOD_RE = re.compile(r"(?:^|(?<=[\s(]))(?P<mod>" + "|".join(re.escape(m) for m in sorted(_MODS, key=len, reverse=True))
                     + r")\s+$", re.I)
_UP = frozenset("""rose rise rises rising up gained gain gains climbed climb climbs jumped jump jumps advanced advance
    advances increased increase increases grew grow grows surged surge surges soared soar soars added adds higher
    rallied rally boosted raised raise hiked""".split())
_DOWN = frozenset("""fell fall falls falling down dropped drop drops declined decline declines slid slide slides lost
    lose loses decreased decrease decreases slumped slump plunged plunge tumbled tumble shed sheds cut cuts lower
    sank sink slipped slip eased dipped dip shrank shrink plummeted""".split())

_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_WORDNUM = (r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|five|six|seven|eight|nine))?"
            r"|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
            r"|sixteen|seventeen|eighteen|nineteen|a dozen|a hundred|a thousand|a million|a billion|dozen")
_VAGUE_RE = r"tens of thousands|hundreds of thousands|tens of millions|hundreds of millions|dozens|scores|hundreds|thousands|millions|billions"
# "Y=" is how Reuters copy writes the yen sign in ASCII feeds ("Y=28,030").
_CUR_RE = (r"Y=|US\s?\$|\$\s?US|HK\$|NZ\$|A\$|\$A|C\$|S\$|USD|AUD|CAD|GBP|EUR|JPY|INR|CHF|CNY|RMB|Rs\.?|RM|\$|£|€|¥|₹|₽|₪")
_NUMBER = re.compile(
    r"(?P<sign>[+−-])?(?P<cur>(?<![A-Za-z])(?:" + _CUR_RE + r")\s?)?(?P<sign2>[−-])?(?:(?P<digits>" + _DIGITS + r")|\b(?P<word>" + _WORDNUM + r")\b"
    r"|\b(?P<vague>" + _VAGUE_RE + r")\b)", re.I,
)
_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
           r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_MONTH_BEFORE = re.compile(r"\b(?:" + _MONTHS + r")\.?\s+$", re.I)
_MONTH_AFTER = re.compile(r"^(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + _MONTHS + r")\b", re.I)
_TIME_AFTER = re.compile(r"^(?:[:.]\d{2})?\s?(?:a\.?m\b\.?|p\.?m\b\.?|GMT|BST|[AP]M\b|ET\b|EST\b|CET\b|local time|o'clock)", re.I)
_ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)\b", re.I)
_YEAR = re.compile(r"(?:1[89]|20)\d{2}")
_YEAR_CONTEXT = re.compile(r"\b(?:in|since|of|by|until|till|from|before|after|during|between|and|to|early|late|mid|the|year|season|fiscal|around|through|spring|summer|autumn|fall|winter)\s+$", re.I)
# What a counted noun phrase may not start with or cross: function words, and words that
# begin a new clause or a time phrase rather than name what is counted.
_STOP = frozenset("""a an the of in on at to for from by with and or but as than that this these those its their his her
    our your my is are was were be been being has have had will would can could should may might do does did not no
    per each every which who whom whose what when where while after before since until during into onto over under
    about around across through between among against within without also just only even still yet so then there
    behind beyond inside outside near along toward towards past via despite like unlike except
    here it he she they we you i me him them us ago later earlier last next this today yesterday tomorrow said says
    more less most least than percent cent km mph""".split())
_PLURAL_NOUNS = frozenset("people men women children police staff personnel troops military cattle livestock".split())
_NAME_BEFORE = re.compile(r"(?:\b[a-z]*[A-Z][\w&.-]*|&\w*|[A-Z]-)[\s-]?$")
_NAME_WORDS_OK = frozenset("""The A An In On At For By About Around Nearly Almost Some Only Just More Than Over Up To Down
    Of And But With From Another All Top Those These His Her Its Their Our Each Every Both""".split())


def normalize_unit(word: str) -> str:
    """Singular, lower-case form of a unit or counted noun ("police officers" -> "police officer")."""
    w = fold(word).strip()
    if w in _UNITS:
        return _UNITS[w]
    parts = w.split()
    if parts:
        parts[-1] = _singular(parts[-1])
    return " ".join(parts)


def _singular(w: str) -> str:
    irregular = {"people": "people", "men": "man", "women": "woman", "children": "child", "feet": "foot",
                 "teeth": "tooth", "mice": "mouse", "police": "police", "personnel": "personnel", "troops": "troop",
                 "fishermen": "fisherman", "series": "series", "news": "news", "species": "species"}
    if w in irregular:
        return irregular[w]
    if w.endswith("men") and len(w) > 4:
        return w[:-3] + "man"
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes", "zes", "uses")) and len(w) > 4:
        return w[:-2]
    if w.endswith("ves") and len(w) > 4 and w not in ("moves", "gloves", "drives", "lives", "archives"):
        return w[:-3] + "f"
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


def _word_value(word: str) -> float:
    w = fold(word)
    if w in _WORD_VALUES:
        return float(_WORD_VALUES[w])
    tens, _, ones = w.partition("-")
    return float(_WORD_VALUES[tens] + _WORD_VALUES.get(ones, 0))


def _unit_after(text: str, pos: int) -> tuple[str, str, int] | None:
    """A unit right after position ``pos``: (as written, normalized, end)."""
    m = _UNIT_RE.match(text, pos)
    if not m:
        return None
    unit = m.group("unit")
    key = unit.lower()
    if m.group("sp") and key in _GLUED_ONLY:
        return None
    if key in ("c", "f") and unit.islower():
        return None  # "5c" is rare; "5 f" is not a temperature
    end = m.end()
    norm = "newton metre" if unit == "Nm" else _UNITS[key]
    # "X per Y", "$ a month": a rate.
    rate = _RATE.match(text, end)
    if rate:
        den = _denominator(rate)
        if den and not (norm == "percentage" and den == "year"):
            norm = f"{norm} per {den}"
            end = rate.end()
    return unit, norm, end


def _is_plural(f: str) -> bool:
    return (f.endswith("s") and not f.endswith(("ss", "us", "is")) and len(f) > 3) or (
        f.endswith("men") and len(f) > 4) or f in _PLURAL_NOUNS


_SINGULAR_HEADS = frozenset("officer person soldier member worker man woman child".split())
_POLICE_COMPOUND = frozenset("officer officers force forces station stations men women".split())


def _counted(text: str, pos: int, one: bool = False) -> tuple[str, int] | None:
    """The noun phrase a number counts: up to five words after it (a parenthesis skipped),
    stopping at a function word and ending at the first plural ("30 armed attackers", "one
    police officer", "4,500 NATO-led Kosovo Force (KFor) personnel")."""
    m = re.match(r"((?:[\s-]*[A-Za-z][\w’'-]*)(?:(?:[\s-]+|\s*\([^()]{1,30}\)\s*)[A-Za-z][\w’'-]*){0,4})", text[pos:])
    if not m:
        return None
    out: list[str] = []
    end = pos
    hyphen = text[pos : pos + 1] == "-"
    found = list(re.finditer(r"\([^()]*\)|[A-Za-z][\w’'-]*", m.group(1)))
    found = [wm for wm in found if not wm.group().startswith("(")]
    for i, wm in enumerate(found):
        w = wm.group()
        f = fold(w)
        nxt = fold(found[i + 1].group()) if i + 1 < len(found) else ""
        if f in _STOP or (f.endswith(("’s", "'s")) and out) or f in ("up", "down"):
            break
        if one and out and f.endswith("s") and not f.endswith(("ss", "us", "is")):
            break  # after "one proposal", a word in -s is the verb ("asks"), not a plural
        if f.endswith("ing") and len(f) > 5 and not _is_plural(nxt):
            # "517 rushing yards", "9.3 million shipping containers": a participle before a
            # plural noun qualifies it; otherwise it starts a clause ("73 raising the ...").
            break
        out.append(w)
        end = pos + wm.end()
        if f == "police" and nxt in _POLICE_COMPOUND:
            continue  # "one police officer", "police forces"
        if _is_plural(f) or hyphen or f in _SINGULAR_HEADS:
            break  # "six-cylinder engine": the hyphened word is what is counted
    if not out:
        return None
    if len(out) > 3 and not _is_plural(fold(out[-1])) and fold(out[-1]) not in _SINGULAR_HEADS:
        out = out[:3]  # no head noun found: keep what is next to the number
        end = pos + found[2].end()
    return " ".join(out), end


def _change(before: str) -> tuple[str, int]:
    """The qualifier right before a number, and where it starts in ``before``."""
    m = _MOD_RE.search(before)
    if m:
        return _MODS[fold(m.group("mod"))], m.start("mod")
    tail = re.findall(r"[A-Za-z]+", before[-40:])
    for w in reversed(tail[-3:]):
        lw = w.lower()
        if lw in _UP:
            return "up", len(before)
        if lw in _DOWN:
            return "down", len(before)
        if lw in ("by", "to", "from"):
            continue
        break
    return "=", len(before)


def _is_name_part(text: str, start: int) -> bool:
    """A number that belongs to a name or code: "Boeing 787", "S&P 500", "F-16", "COVID-19"."""
    before = text[max(0, start - 30) : start]
    m = _NAME_BEFORE.search(before)
    if not m:
        return False
    word = m.group().strip(" -")
    if word in _NAME_WORDS_OK or not word:
        return False
    if re.fullmatch(_CUR_RE, word, re.I) or _MONTH_BEFORE.search(before):
        return False
    # Sentence-initial capitals are ordinary words ("Around 300 ...", handled above).
    return not re.search(r"(?:^|[.!?:;]\s+)$", before[: len(before) - len(m.group())])


def find_quantities(text: str) -> Iterator[Quantity]:
    """Every quantity mentioned in ``text``, in order.

    A bare number joined by "to", "and" or "from" to a measured one in the same sentence takes
    its unit, since news elides it: "climbed from 21 mpg combined to 23".  Not after a
    percentage, which is usually a change followed by a level ("rose 8.15% to 3.65").
    """
    pos = 0
    last: Quantity | None = None
    while True:
        m = _NUMBER.search(text, pos)
        f = _FRACTION.search(text, pos)
        if f and (m is None or f.start() <= m.start()):
            q: Quantity | None = _fraction(text, f)
            pos = q.end if q is not None else f.end()
        elif m:
            q = _quantity(text, m)
            pos = q.end if q is not None else m.end()
        else:
            return
        if q is None:
            continue
        if last is not None and re.search(r"[.!?;]\s", text[last.end : q.start]):
            last = None
        if q.unit is None and q.what is None and (nm := _NUMBER_OF.search(text, 0, q.start)):
            q = replace(q, what=nm.group(1), unit=normalize_unit(nm.group(1)))  # "the number of people ... 14,000"
        if (q.unit is None and q.what is None and last is not None and last.unit and last.what is None
                and last.unit != "percentage" and re.search(r"\b(?:to|and|from)\s+$", text[last.end : q.start])):
            q = replace(q, unit=last.unit)
        last = q
        yield q


_NUMBER_OF = re.compile(r"\b(?:number|count|total) of ([a-z]+s|people|personnel|police)\b[^.!?;]*$")
_FRACTIONS: dict[str, float] = {
    "half": 0.5, "a half": 0.5, "one half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "one-third": 1 / 3,
    "two thirds": 2 / 3, "two-thirds": 2 / 3, "a quarter": 0.25, "one quarter": 0.25, "one-quarter": 0.25,
    "three quarters": 0.75, "three-quarters": 0.75, "a fifth": 0.2, "one fifth": 0.2, "one-fifth": 0.2,
}
_FRACTION = re.compile(
    r"(?<![\w/.⁄])(?P<num>\d+)\s?[/⁄]\s?(?P<den>\d+)(?![\w/.⁄])|\b(?P<word>"
    + "|".join(re.escape(k) for k in sorted(_FRACTIONS, key=len, reverse=True)) + r")\b(?=\s+of\b)", re.I,
)


def _fraction(text: str, f: re.Match[str]) -> Quantity | None:
    """ "1/16 of a US pint", "two-thirds of the sales", "half of which": a share of something."""
    if f.group("word"):
        value = _FRACTIONS[fold(f.group("word"))]
    else:
        num, den = int(f.group("num")), int(f.group("den"))
        if den == 0 or num >= den or den > 1000 or re.match(r"[/⁄]\d", text[f.end() :]):
            return None  # a date ("9/11"), a score, a ratio written as a fraction of more than one
        value = num / den
    of = re.match(r"\s+of\s+(?:an?\s+|the\s+)?(?:[A-Z]{2,}\s+)?", text[f.end() :])
    what = None
    end = f.end()
    if of:
        um = _unit_after(text, f.end() + of.end() - 1)
        if um:
            return Quantity(f.start(), um[2], f.group(), value, None, um[1], None, "=")
        c = _counted(text, f.end() + of.end())
        if c:
            what, end = c
    before = text[max(0, f.start() - 40) : f.start()]
    change, _ = _change(before)
    return Quantity(f.start(), end, f.group(), value, None, "fraction", what, change)


@dataclass(slots=True)
class _Num:
    """One number as written, with its currency and scale: "$4.5bn", "minus-5", "a dozen"."""

    start: int
    value_start: int
    end: int
    lo: float
    hi: float | None  # a vague plural's upper end
    currency: str | None
    scale: float
    kind: str  # digits | word | vague


_NEG_WORD = re.compile(r"\bminus[\s-]?$", re.I)
_CUR_AFTER = re.compile(r"\s?(€|\$|£|¥)")


def _number_at(text: str, m: re.Match[str]) -> _Num | None:
    digits, word, vague = m.group("digits"), m.group("word"), m.group("vague")
    cur = m.group("cur")
    start = m.start("cur") if cur else m.start("digits") if digits else m.start()
    if m.group("sign") in ("-", "−") and not cur and re.search(r"[A-Z]\w*\s?$", text[max(0, m.start() - 20) : m.start()]):
        return None  # "F-16", "COVID -19", "TPP-11": part of a name
    if m.group("sign") and not cur and m.start() > 0 and re.match(r"\w", text[m.start() - 1]):
        prev = re.search(r"(\w+)$", text[: m.start()])
        if prev is None or not prev.group(1).islower():
            return None  # "F-16", "COVID-19", "TPP-11": part of a name
        # "minus-5", "sub-7", "now-18": a lower-case word glued to the number by a hyphen
    if start > 0 and re.match(r"[\w.:/]", text[start - 1]) and not (cur and not cur[0].isalpha()):
        return None  # inside a token: "A380", "4:39", "3.5.1", "1/16"
    if digits:
        lo: float = float(digits.replace(",", ""))
        hi: float | None = None
        kind = "digits"
        vstart = m.start("digits")
    elif word:
        lo, hi, kind, vstart = _word_value(word), None, "word", m.start("word")
    else:
        lo, hi = (float(x) for x in _VAGUE[fold(vague or "")])
        kind, vstart = "vague", m.start("vague")
    # "$-50.8bn", "minus-5 yards"; a leading hyphen after a space is a minus sign only when a
    # word like "minus" or a currency says so, otherwise it is a dash.
    minus_word = _NEG_WORD.search(text[max(0, start - 7) : start]) is not None
    if (m.group("sign") or digits) and (minus_word or m.group("sign2") or (cur and m.group("sign") in ("-", "−"))):
        lo = -lo
    end = m.end()
    scale = 1.0
    sm = _SCALE_RE.match(text, end)
    if sm and kind != "vague":
        s = sm.group("scale")
        ok = True
        if s.lower() in ("m", "b", "k") and sm.group("sp"):
            ok = False  # "5 m" is metres, "5 b" a typo: scale letters only glued
        if s == "m" and not cur:
            ok = False  # "100m" without a currency is metres; "4.3M" is a million
        if ok:
            scale = _SCALES[s.lower()]
            end = sm.end()
            hm = re.match(r"\s(million|billion)\b", text[end:], re.I)
            if s.lower() in ("hundred", "thousand") and hm:  # "4 hundred million"
                scale *= _SCALES[hm.group(1).lower()]
                end += hm.end()
            lo = lo * scale
    if not cur:
        ca = _CUR_AFTER.match(text, end)
        if ca and not re.match(r"\d", text[ca.end() : ca.end() + 1]):
            cur, end = ca.group(1), ca.end()  # "1,200€"
    currency = _CURRENCIES.get(re.sub(r"\s", "", cur).lower()) if cur else None
    return _Num(start, vstart, end, lo, hi, currency, scale, kind)


def _measure(text: str, n: _Num) -> tuple[str | None, str | None, str | None, int]:
    """What a number measures: (normalized unit, unit as written, counted noun phrase, end)."""
    end = n.end
    age = _AGE.match(text, end)
    if age:  # "a 50 year-old man", "her 18 month-old daughter"
        return ("year of age" if age.group(1).lower().startswith("year") else "month of age"), None, None, age.end()
    unit = n.currency
    written: str | None = None
    what: str | None = None
    um = _unit_after(text, end)
    if um and not (unit and um[1] in _CURRENCY_NAMES):
        written, norm, uend = um
        if unit is None:
            unit = norm
        elif " per " in norm:  # "$80 per sq m"
            unit = f"{unit} per {norm.split(' per ', 1)[1]}"
        elif norm in _PLAIN_DENOMINATORS:
            unit = f"{unit} per {norm}"
        if unit != n.currency:
            end = uend
    elif unit and (rate := _RATE.match(text, end)):
        den = _denominator(rate)
        if den:
            unit, end = f"{unit} per {den}", rate.end()
    if n.kind == "vague" and (of := re.match(r"\s+of\s+(?:the\s+)?", text[end:])):
        # "dozens of people", "tens of millions of dollars": what follows "of" is counted.
        inner = _Num(n.start, n.value_start, end + of.end(), n.lo, n.hi, None, 1.0, "digits")
        got = _measure(text, inner)
        return got if got[0] else (unit, written, what, end)
    if unit is None or unit == "count":
        c = _counted(text, end, one=n.lo == 1)
        if c:
            what, end = c
            unit = unit or normalize_unit(what)
    elif n.currency and unit == n.currency:
        c = _counted(text, end)
        if c:
            what = c[0]  # "$700000 award": what the money is for, not its unit
    return unit, written, what, end


_CURRENCY_NAMES = frozenset(_CURRENCIES.values()) | {"dollar", "euro", "cent"}
_PLAIN_DENOMINATORS = frozenset({"share", "barrel", "ounce", "gallon", "gram"})
_RATE = re.compile(r"(?:\s+(?P<w>a|an|per)\s+|\s*/\s*)(?P<den>[a-z]+(?:\s[a-z]+)?)\b", re.I)


def _denominator(rate: re.Match[str]) -> str | None:
    """The unit after "per" or "a": "per square foot", "a month", "per share"."""
    den = rate.group("den").lower()
    two, one = _UNITS.get(den), _UNITS.get(den.split()[0])
    if two or one:
        return two or one
    if (rate.group("w") or "").lower() == "per":
        return normalize_unit(den.split()[0])  # "per share", "per mmBTU"
    return None


_AGE = re.compile(r"[\s-]+(years?|months?)[\s-]+old\b", re.I)
_JOIN = re.compile(r"\s*(-|–|—|to|and|or)\s*", re.I)


def _range_end(text: str, n: _Num, unit: str | None, written: bool, end: int) -> tuple[_Num, str | None, str | None, int] | None:
    """The second number of a range joined at ``end``: (number, its unit, what it counts, end)."""
    jm = _JOIN.match(text, end)
    if not jm:
        return None
    join = jm.group(1).lower()
    before = text[max(0, n.start - 30) : n.start]
    if join == "and" and not re.search(r"\bbetween\s+$", before, re.I):
        return None  # "5% and 6%" is a list unless it reads "between 5% and 6%"
    if join == "to" and written and re.search(r"\bby\s+$", before, re.I):
        return None  # "rose by $43.6 billion to $419.2 billion": a change, then a level
    if join == "or" and n.kind != "word":
        return None
    m2 = _NUMBER.match(text, jm.end())
    if not m2 or m2.group("vague"):
        return None
    n2 = _number_at(text, m2)
    if n2 is None or (n2.currency and n.currency and n2.currency != n.currency):
        return None
    if _TIME_AFTER.match(text[n2.end :]) or _MONTH_AFTER.match(text[n2.end :]):
        return None
    if m2.group("digits") and _YEAR.fullmatch(m2.group("digits")) and unit is None:
        return None  # "1600 and 1900", "2019-2020": years
    unit2, _w, what2, end2 = _measure(text, n2)
    if unit and unit2 and unit2 != unit and not unit2.startswith(unit + " per ") and n2.kind != "word":
        return None  # "4.28 percent to Y=28,030": two different things
    if written and unit2 is None and join == "to" and not re.search(r"\bfrom\s+$", before, re.I):
        return None  # "rose 8.15% to 3.65": a change, then a price
    if join == "-" and n2.currency and not n.currency:
        return None
    return n2, unit2, what2, (end2 if unit2 else n2.end)


def _quantity(text: str, m: re.Match[str]) -> Quantity | None:
    n = _number_at(text, m)
    if n is None:
        return None
    after = text[n.end :]
    if n.kind == "digits":
        if _TIME_AFTER.match(after) or _ORDINAL_AFTER.match(after) or _MONTH_AFTER.match(after):
            return None
        if re.match(r"[:/]\d|\.\d|s\b|'s\b", after) or _MONTH_BEFORE.search(text[max(0, n.start - 12) : n.start]):
            return None  # a clock time, a date, a version, a decade ("2018s", "1990s")
    if n.kind == "word" and re.match(r"\s+(?:of|another|day|time|way|thing|by|or two)\b", after, re.I):
        return None  # "one of", "one another", "one by one"
    digits = m.group("digits")
    if digits and _YEAR.fullmatch(digits) and n.currency is None and _YEAR_CONTEXT.search(text[max(0, n.start - 12) : n.start]):
        return None  # "in 2008", "since 1999"
    unit, written, what, end = _measure(text, n)
    lo, hi = n.lo, n.hi
    rng = _range_end(text, n, unit, written is not None or n.currency is not None, end if unit else n.end) if n.kind != "vague" else None
    if rng is not None:
        n2, unit2, what2, end = rng
        raw_first = n.lo / n.scale
        if n.scale == 1.0 and n2.scale != 1.0 and raw_first <= n2.lo / n2.scale:
            # "24.2 to 33 billion euros", "1 to 2 thousand people", "US $89 to $93 billion": one
            # scale for both ends; but "$200 to $4 million" starts at 200, since 200 > 4.
            lo *= n2.scale
        hi = n2.lo
        if unit is None and unit2:
            unit, what = unit2, what2
        elif unit2 and unit and unit2.startswith(unit + " per "):
            unit = unit2  # "between $62 and $68 per share"
    elif digits and _YEAR.fullmatch(digits) and n.currency is None:
        if written is None and (what is None or not fold(what).endswith("s")):
            return None  # a year: "2004.", "the 2018 election"
    if n.currency is None and n.kind == "digits" and _is_name_part(text, n.value_start):
        if written is None or unit in ("metre", "second", "count"):
            return None  # "Boeing 787", "Game 7", "iPhone 11 Pro"
    if what and not written and _proper(what):
        if n.currency is None:
            return None  # "575 Wilbraham Road", "4 Started": a name or an address, not a count
        what = None
    before = text[max(0, n.start - 40) : n.start]
    change, mod_at = _change(before)
    if unit is None and what is None and n.scale == 1.0 and n.kind != "vague":
        # A bare number: kept when written in digits ("trading at 132.86", "estimates of
        # 64,900"); a number word alone ("the same one", "the bottom three") is rarely an amount
        # unless a bound qualifies it ("more than three").  Bare four-digit numbers from 1000
        # to 2199 are years ("between 1600 and 1900", "by 2120").
        if n.kind == "word" and change not in ("~", ">", "<"):
            return None
        if digits and re.fullmatch(r"1\d{3}|2[01]\d{2}", digits):
            return None
    if change == "=" and m.group("sign") == "+":
        change = "up"
    start = n.start - (len(before) - mod_at)
    value = text[n.value_start : n.end if rng is None else end].strip()
    for tail in (what, written):
        if rng is not None and tail and value.endswith(tail):
            value = value[: -len(tail)].strip()
    return Quantity(start=start, end=end, value=value, number=lo, upper=hi if hi != lo else None, unit=unit,
                    what=what, change=change)


def _proper(phrase: str) -> bool:
    """A capitalized phrase that does not end in a plural: a name ("Wilbraham Road")."""
    ws = phrase.split()
    return all(w[:1].isupper() for w in ws) and not (ws[-1].endswith("s") and not ws[-1].endswith("ss"))
