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
    "date_of_date_line",
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


# What may stand beside the date on a line that is only a date, as pages print it under the
# headline: "7 July 2012", "Tuesday, May 24, 2005", "Last updated at 22:46 GMT, 7 July 2012".
_DATE_LINE_REST = re.compile(
    r"\b(?:" + "|".join(sorted({*MONTHS, *WEEKDAYS}, key=len, reverse=True))
    + r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|" + "|".join(ZONES)
    + r"|am|pm|a\.m|p\.m|hrs|h|at|of|on|the|last|updated|published|posted|st|nd|rd|th)\b|[\d\s,.:;/|()\-–—]+",
    re.I,
)


def date_of_date_line(line: str) -> str | None:
    """The date of a line that says nothing but a full date (day, month and year; weekday,
    time and zone allowed), else None: "7 July 2012" under a headline is the publication date,
    while a sentence that mentions a date has other words left over."""
    when = parse_date_line(line)
    if when is None or _DATE_LINE_REST.sub("", line).strip():
        return None
    return when


_MONTH_ALT = "|".join(k for k in MONTHS if len(k) > 3)
_RELATIVE = re.compile(
    r"\b(?:(?P<on>on|last|this past|past|next|late|early)\s+)?(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(?P<yest>yesterday|today|tonight|last night|the previous day|the day before|only yesterday|earlier today|this morning|this afternoon|this evening|currently|at present)\b"
    r"|\b(?P<lw>last|this|next|previous|earlier this|later this|past)\s+(?P<unit>week|month|year|weekend)\b"
    r"|\b(?P<n>a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,3}|a few|several|a couple of|some)\s+(?P<unit2>day|week|month|year|decade)s?\s+(?P<dir>ago|earlier|later|before|after)\b"
    r"|\b(?P<anaph>the next day|the following (?:day|week|month|year)|the day after|a day (?:earlier|later))\b"
    r"|\b(?P<season_rel>last|this past|this|next)\s+(?P<season>spring|summer|fall|autumn|winter)\b"
    r"|\b(?P<part>early|mid|late)[- ](?P<pmon>" + _MONTH_ALT + r"|may)\b"
    r"|\bin\s+(?P<ymon>" + _MONTH_ALT + r")\b(?!\s+\d)"
    r"|\bin\s+(?P<year>(?:19|20)\d{2})\b",
    re.I,
)
_NUMS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
# Months each season covers (northern hemisphere, as news in English mostly means).
_SEASONS = {"spring": (3, 5, "SP"), "summer": (6, 8, "SU"), "fall": (9, 11, "FA"), "autumn": (9, 11, "FA"),
            "winter": (12, 2, "WI")}


def _week(d: date) -> str:
    iso = d.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _month_year(month: int, base: date) -> int:
    """The year of a month named without one: this year when it is past or at most two months
    ahead ("late July" in June is the coming July), otherwise last year."""
    if month <= base.month or month - base.month <= 2:
        return base.year
    return base.year - 1


def _season(name: str, rel: str, base: date) -> str:
    """ "last summer" is the latest summer over before publication, "this summer" the current
    year's, "next summer" the first not yet begun.  A season's year is the year it starts in
    (winter 2015 runs December 2015 to February 2016)."""
    first, last, code = _SEASONS[name]
    if code == "WI":
        current = base.year if base.month == 12 else base.year - 1  # the winter we are in or just after
        in_it = base.month in (12, 1, 2)
        year = {"last": current - 1 if in_it else current, "this past": current - 1 if in_it else current,
                "this": current, "next": current + 1}[rel]
    elif rel in ("last", "this past"):
        year = base.year if base.month > last else base.year - 1
    elif rel == "this":
        year = base.year
    else:
        year = base.year if base.month < first else base.year + 1
    return f"{year}-{code}"


def resolve_relative(m: re.Match[str], base: date | None) -> tuple[str | None, str | None]:
    """Resolve one relative-date match against ``base``: (value or None, reason if None).

    Values are ISO 8601 at the precision the phrase has: a day ("on Friday": 2023-09-29), an
    ISO week ("last week": 2023-W38), a weekend (2023-W39-WE), a month, a season (2015-SU),
    a year.  Phrases anchored on another event ("the next day", "a year earlier") and vague
    amounts ("a few weeks ago") are kept unresolved, with that reason.
    """
    g = {k: (v.lower() if isinstance(v, str) else v) for k, v in m.groupdict().items()}
    if g.get("year"):
        return g["year"], None
    if g.get("anaph") or g.get("dir") in ("earlier", "later", "before", "after"):
        return None, "relative to another event, not to the publication date"
    if g.get("n") in ("a few", "several", "a couple of", "some"):
        return None, "vague amount of time"
    if base is None:
        return None, "relative date and no publication date to resolve it against"
    if g.get("wd"):
        back = (base.weekday() - WEEKDAYS[g["wd"]]) % 7
        if g.get("on") == "next":
            return (base + timedelta(days=(7 - back) % 7 or 7)).isoformat(), None
        # Past tense news: the weekday on or before publication ("last Friday" excludes the
        # publication day itself).
        if back == 0 and g.get("on") == "last":
            back = 7
        return (base - timedelta(days=back)).isoformat(), None
    if g.get("yest"):
        word = g["yest"]
        if word in ("yesterday", "the previous day", "the day before", "only yesterday", "last night"):
            return (base - timedelta(days=1)).isoformat(), None
        return base.isoformat(), None
    if g.get("lw"):
        step = {"previous": -1, "last": -1, "past": -1, "this": 0, "earlier this": 0, "later this": 0, "next": 1}[g["lw"]]
        unit = g["unit"]
        if unit in ("week", "weekend"):
            d = base + timedelta(weeks=step)
            return _week(d) + ("-WE" if unit == "weekend" else ""), None
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
            return _week(base - timedelta(weeks=n)), None
        if unit == "month":
            y, mo = divmod(base.year * 12 + base.month - 1 - n, 12)
            return f"{y}-{mo + 1:02d}", None
        if unit == "decade":
            return str(base.year - 10 * n), None
        return str(base.year - n), None
    if g.get("season"):
        return _season(g["season"], g["season_rel"], base), None
    mon_name = g.get("pmon") or g.get("ymon")
    if mon_name:
        month = MONTHS[mon_name]
        return f"{_month_year(month, base)}-{month:02d}", None
    return None, "not understood"


# "the 1998-99 war", "in 2014–2016": a span of years, kept as an ISO 8601 interval
# ("1998/1999").  Only after a word that introduces a period, and only spans of up to ten
# years, so "2000-2500 troops" is not read as one.
_YEAR_RANGE = re.compile(r"\b(?:the|in|of|during|from|since|between)\s+(?P<y1>(?:19|20)\d{2})\s?[-–]\s?(?P<y2>(?:19|20)?\d{2})\b(?![-–]|\s?%)")


def _year_range(m: re.Match[str]) -> str | None:
    y1, y2 = int(m.group("y1")), m.group("y2")
    end = int(y2) if len(y2) == 4 else y1 - y1 % 100 + int(y2)
    return f"{y1}/{end}" if y1 < end <= y1 + 10 else None


def find_dates(text: str, base: date | None) -> list[DateMention]:
    """Every absolute and relative date mention in ``text``, resolved against ``base``."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for m in _YEAR_RANGE.finditer(text):
        span = _year_range(m)
        if span is not None:
            start = m.start("y1")
            found.append(DateMention(start, m.end(), text[start : m.end()], span, None))
            taken.append((start, m.end()))
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
