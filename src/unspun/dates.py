"""Dates in news text: absolute dates with optional time and zone, and relative phrases
resolved against a publication date.

Written by hand rather than with dateparser because news needs the reverse of what a
general parser assumes: "on Friday" in a report means the Friday *before* the publication
date, and a month-day without a year means the nearest such day to publication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = [
    "MONTHS",
    "DateMention",
    "find_dates",
    "parse_date_line",
    "resolve_relative",
    "to_date",
]

MONTHS = {
    name: i
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for name in names
}
WEEKDAYS = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}

# Zone abbreviations seen in European and US news datelines.
ZONES = {
    "utc": "+00:00", "gmt": "+00:00", "z": "+00:00", "bst": "+01:00", "cet": "+01:00",
    "cest": "+02:00", "eet": "+02:00", "eest": "+03:00", "est": "-05:00", "edt": "-04:00",
    "cst": "-06:00", "cdt": "-05:00", "pst": "-08:00", "pdt": "-07:00",
}

_MON = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = r"(?:,?\s+(?:at\s+)?(?P<hh>\d{1,2})[:.](?P<mi>\d{2})(?:\s*(?P<ampm>[ap]\.?m\.?))?(?:\s+(?P<tz>[A-Za-z]{1,4}))?)?"
_PATTERNS = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<hh>\d{2}):(?P<mi>\d{2}))?", re.I),
    re.compile(r"\b" + _MON + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?\b" + _TIME, re.I),
    re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r"(?:,?\s+(?P<y>\d{4}))?\b" + _TIME, re.I),
]


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str | None
    reason: str | None = None


def _build(m: re.Match[str], base: date | None) -> tuple[str | None, str | None]:
    g = m.groupdict()
    month = int(g["m"]) if g.get("m") else MONTHS[g["mon"].lower().rstrip(".")]
    day = int(g["d"])
    if g.get("y"):
        year = int(g["y"])
    elif base is not None:
        # No year: the year that puts the day nearest the publication date.  Reports mostly
        # look back ("on September 14" in an October story) but also ahead ("takes office on
        # 1 December" in a November one); the nearest reading is right for both.
        try:
            year = min((base.year - 1, base.year, base.year + 1),
                       key=lambda y: (abs((date(y, month, day) - base).days), -y))
        except ValueError:
            return None, "not a calendar date"
    else:
        return None, "no year and no publication date to take it from"
    try:
        d = date(year, month, day)
    except ValueError:
        return None, "not a calendar date"
    if g.get("hh"):
        hh, mi = int(g["hh"]), int(g["mi"])
        ampm = (g.get("ampm") or "").replace(".", "").lower()
        if ampm == "pm" and hh < 12:
            hh += 12
        if ampm == "am" and hh == 12:
            hh = 0
        if hh > 23 or mi > 59:
            return d.isoformat(), None
        tz = ZONES.get((g.get("tz") or "").lower(), "")
        return f"{d.isoformat()}T{hh:02d}:{mi:02d}:00{tz}", None
    return d.isoformat(), None


def parse_date_line(text: str, base: date | None = None) -> str | None:
    """The first absolute date in ``text`` as ISO 8601 (with time and zone when given)."""
    best: tuple[int, str] | None = None
    for pat in _PATTERNS:
        for m in pat.finditer(text):
            value, _ = _build(m, base)
            if value and (best is None or m.start() < best[0]):
                best = (m.start(), value)
            break
    return best[1] if best else None


_RELATIVE = re.compile(
    r"\b(?:(?P<on>on|last|this past|past)\s+)?(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(?P<yest>yesterday|today|tonight|the previous day|the day before|only yesterday|earlier today|this morning)\b"
    r"|\b(?P<lw>last|this|next|previous)\s+(?P<unit>week|month|year)\b"
    r"|\b(?P<n>a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,3})\s+(?P<unit2>day|week|month|year)s?\s+ago\b"
    r"|\b(?P<part>early|mid|late)[- ](?P<pmon>" + "|".join(k for k in MONTHS if len(k) > 3) + r")\b"
    r"|\bin\s+(?P<ymon>" + "|".join(k for k in MONTHS if len(k) > 3) + r")\b(?!\s+\d)"
    r"|\bin\s+(?P<year>(?:19|20)\d{2})\b",
    re.I,
)
_NUMS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def resolve_relative(m: re.Match[str], base: date | None) -> tuple[str | None, str | None]:
    """Resolve one relative-date match against ``base``: (ISO value or None, reason if None)."""
    g = {k: (v.lower() if isinstance(v, str) else v) for k, v in m.groupdict().items()}
    if g.get("year"):
        return g["year"], None
    if base is None:
        return None, "relative date and no publication date to resolve it against"
    if g.get("wd"):
        # Past tense news: the weekday on or before publication, the same day excluded
        # unless "this" is said (reports are filed after the events they report).
        back = (base.weekday() - WEEKDAYS[g["wd"]]) % 7
        if back == 0 and g.get("on") != "this past":
            back = 7 if g.get("on") == "last" else 0
        return (base - timedelta(days=back)).isoformat(), None
    if g.get("yest"):
        word = g["yest"]
        if word in ("today", "tonight", "earlier today", "this morning"):
            return base.isoformat(), None
        return (base - timedelta(days=1)).isoformat(), None
    if g.get("lw"):
        step = {"previous": -1, "last": -1, "this": 0, "next": 1}[g["lw"]]
        unit = g["unit"]
        if unit == "week":
            monday = base - timedelta(days=base.weekday()) + timedelta(weeks=step)
            return f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}", None
        if unit == "month":
            y, mo = divmod(base.year * 12 + base.month - 1 + step, 12)
            return f"{y}-{mo + 1:02d}", None
        return str(base.year + step), None
    if g.get("n"):
        n = _NUMS.get(g["n"]) or int(g["n"])
        unit = g["unit2"]
        if unit == "day":
            return (base - timedelta(days=n)).isoformat(), None
        if unit == "week":
            return (base - timedelta(weeks=n)).isoformat()[:10], None
        if unit == "month":
            y, mo = divmod(base.year * 12 + base.month - 1 - n, 12)
            return f"{y}-{mo + 1:02d}", None
        return str(base.year - n), None
    mon_name = g.get("pmon") or g.get("ymon")
    if mon_name:
        month = MONTHS[mon_name]
        year = base.year if month <= base.month else base.year - 1
        return f"{year}-{month:02d}", None
    return None, "not understood"


def find_dates(text: str, base: date | None) -> list[DateMention]:
    """Every absolute and relative date mention in ``text``, resolved against ``base``."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pat in _PATTERNS:
        for m in pat.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            value, reason = _build(m, base)
            found.append(DateMention(m.start(), m.end(), m.group(), value, reason))
            taken.append((m.start(), m.end()))
    for m in _RELATIVE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        value, reason = resolve_relative(m, base)
        found.append(DateMention(m.start(), m.end(), m.group(), value, reason))
        taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def to_date(value: str | None) -> date | None:
    """The calendar date of an ISO value (date or datetime), or None."""
    if not value or len(value) < 10:
        return None
    try:
        return datetime.fromisoformat(value[:10]).date()
    except ValueError:
        return None
