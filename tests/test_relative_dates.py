"""Relative dates as news writes them, resolved against the article's publication date.

Each row is a phrasing found in a real PolNeAR article (checked at run time: the phrase must
occur in that article's text, and the publication date comes from the corpus metadata).  The
expected values were worked out by hand from a calendar; they state the conventions: a day
for weekdays ("on Saturday" published on a Monday is the Saturday before), an ISO week for
weeks, "YYYY-Www-WE" for a weekend, a month, a season by the year it starts, a year; phrases
anchored on another event ("the next day") and vague amounts ("a few weeks ago") stay
unresolved, with the reason.
"""

from __future__ import annotations

import csv
import re

import pytest

from conftest import DATA
from unspun.dates import find_dates, to_date

POLNEAR = DATA / "polnear"

# (PolNeAR file, phrase, expected value or None)
ROWS = [
    ("breitbart_2016-01-05_the-latest-cruz-to-give-away-eng", "on tuesday", "2016-01-05"),
    ("breitbart_2016-01-19_long-time-leaders-of-conservativ", "last week", "2016-W02"),
    ("breitbart_2015-11-11_the-ninth-circle-the-hellish-vie", "today", "2015-11-11"),
    ("breitbart_2016-01-05_the-latest-cruz-to-give-away-eng", "this week", "2016-W01"),
    ("breitbart_2016-02-08_the-latest-nh-towns-cast-first-v", "this year", "2016"),
    ("breitbart_2015-12-07_clinton-camp-trump-s-islamaphobi", "on monday", "2015-12-07"),
    ("breitbart_2015-12-11_exclusive-maria-espinoza-anti-il", "last year", "2014"),
    ("breitbart_2015-11-19_hillary-clinton-calls-on-u-s-to-", "on thursday", "2015-11-19"),
    ("breitbart_2016-02-17_cruz-trump-would-put-liberals-on", "on wednesday", "2016-02-17"),
    ("breitbart_2016-03-01_the-latest-sanders-wins-minnesot", "last month", "2016-02"),
    ("breitbart_2015-12-04_san-bernardino-terror-suspect-na", "on friday", "2015-12-04"),
    ("breitbart_2016-02-08_the-latest-nh-towns-cast-first-v", "on saturday", "2016-02-06"),
    ("breitbart_2015-11-19_hillary-clinton-calls-on-u-s-to-", "on sunday", "2015-11-15"),
    ("breitbart_2016-02-20_the-latest-hillary-clinton-tells", "next week", "2016-W08"),
    ("breitbart_2016-03-20_news-guide-donors-flocked-to-rub", "this month", "2016-03"),
    ("breitbart_2015-11-11_the-ninth-circle-the-hellish-vie", "tonight", "2015-11-11"),
    ("breitbart_2015-11-11_the-ninth-circle-the-hellish-vie", "next year", "2016"),
    ("breitbart_2015-12-10_millennial-democratics-prefer-be", "earlier this year", "2015"),
    ("breitbart_2016-05-04_ann-coulter-and-then-there-was-t", "four years ago", "2012"),
    ("breitbart_2015-12-20_republican-donor-adelson-and-tru", "earlier this week", "2015-W51"),
    ("breitbart_2016-06-28_sanders-brexit-s-message-could-d", "next month", "2016-07"),
    ("breitbart_2015-11-11_the-ninth-circle-the-hellish-vie", "last night", "2015-11-10"),
    ("breitbart_2016-04-15_daggers-drawn-as-trump-cruz-wage", "earlier this month", "2016-04"),
    ("breitbart_2016-01-05_the-latest-cruz-to-give-away-eng", "last summer", "2015-SU"),
    ("breitbart_2016-05-03_glenn-beck-blasts-drudge-for-moc", "yesterday", "2016-05-02"),
    ("breitbart_2015-12-02_john-mccain-republican-populist-", "this morning", "2015-12-02"),
    ("breitbart_2016-01-01_jeb-bush-super-pac-chief-praises", "a year ago", "2015"),
    ("huff-post_2016-02-01_here-s-why-winning-iowa-could-br", "this weekend", "2016-W05-WE"),
    ("nyt_2015-12-19_putin-chides-turkey-and-praises-", "two years ago", "2013"),
    ("politico_2016-05-12_the-trump-gop-feud-lives-on", "last fall", "2015-FA"),
    ("breitbart_2015-12-20_republican-donor-adelson-and-tru", "two weeks ago", "2015-W49"),
    ("breitbart_2016-01-05_the-latest-cruz-to-give-away-eng", "three years ago", "2013"),
    ("breitbart_2015-12-20_republican-donor-adelson-and-tru", "a few weeks ago", None),
    ("huff-post_2016-02-03_huffpollster-a-seismic-shift-amo", "last friday", "2016-01-29"),
    ("huff-post_2016-02-21_this-cable-news-panel-just-dismi", "the next day", None),
    ("breitbart_2016-03-01_the-latest-sanders-wins-minnesot", "late tuesday", "2016-03-01"),
    ("breitbart_2016-03-01_the-latest-sanders-wins-minnesot", "later this month", "2016-03"),
    ("breitbart_2016-03-20_news-guide-donors-flocked-to-rub", "last spring", "2015-SP"),
    ("huff-post_2016-06-09_barack-obama-s-endorsement-could", "late may", "2016-05"),
    ("breitbart_2016-05-12_trump-ryan-pledge-to-work-togeth", "early march", "2016-03"),
    ("huff-post_2016-06-09_clinton-and-sanders-aren-t-butti", "late july", "2016-07"),
    ("politico_2016-01-05_trump-quietly-builds-a-data-jugg", "early october", "2015-10"),
    ("nyt_2016-01-29_it-s-still-bill-but-old-magic-se", "mid-january", "2016-01"),
    ("nyt_2016-02-25_rubio-has-the-praise-just-not-th", "six months ago", "2015-08"),
    ("usa-today_2016-03-30_teen-girl-pepper-sprayed-in-scuf", "a day earlier", None),
    ("nyt_2016-01-20_in-prisoner-swap-compassion-vs-c", "last winter", "2014-WI"),
    ("breitbart_2015-12-21_chelsea-clinton-husband-expectin", "next summer", "2016-SU"),
    ("breitbart_2016-07-26_cash-for-opponent-pours-in-as-fl", "last thursday", "2016-07-21"),
    ("usa-today_2015-11-27_super-pac-ad-attack-coming-iowa-", "early september", "2015-09"),
]


@pytest.fixture(scope="module")
def published() -> dict[str, str]:
    with open(POLNEAR / "metadata.tsv", encoding="utf-8") as fh:
        return {r["filename"]: r["publication_date"] for r in csv.DictReader(fh, delimiter="\t")}


def test_the_table_is_large_enough() -> None:
    assert len(ROWS) >= 40
    assert len({phrase for _f, phrase, _v in ROWS}) == len(ROWS)


@pytest.mark.parametrize(("name", "phrase", "expected"), ROWS, ids=[r[1] for r in ROWS])
def test_relative_date(published: dict[str, str], name: str, phrase: str, expected: str | None) -> None:
    text = (POLNEAR / "text" / f"{name}.txt").read_text(encoding="utf-8")
    m = re.search(r"\b" + re.escape(phrase) + r"\b", text, re.I)
    assert m, f"{phrase!r} not in {name}"
    sentence_start = max(text.rfind(". ", 0, m.start()) + 2, text.rfind("\n", 0, m.start()) + 1, 0)
    sentence = text[sentence_start : m.end() + 200]
    base = to_date(published[name])
    found = [d for d in find_dates(sentence, base) if d.text.lower() == phrase or phrase in d.text.lower()]
    assert found, f"{phrase!r} not recognised in {sentence[:120]!r}"
    d = found[0]
    assert d.value == expected, (phrase, published[name], d.value)
    if expected is None:
        assert d.reason
