"""RSS and Atom feeds (files or fetched URLs), read with feedparser.

An entry that carries the article (``content:encoded``, Atom ``content``, or a description long
enough to be the story) becomes an article with the entry's link, title, author and date.  An
entry with only a teaser links to the article: it is fetched when links are followed
(``--follow-links``, or any feed given as a URL), and otherwise becomes an error record that
names the link, so nothing in the feed is dropped without a trace.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ...records import Article, InputError
from .common import Fields, article_from_text, input_error
from .html import html_to_text, parse_html

__all__ = ["articles_from_feed", "looks_like_feed"]

# A description of 80+ words is the story itself (many small outlets put the whole text
# there); teasers run one to three sentences, well under that.
FULL_TEXT_MIN_WORDS = 80


def looks_like_feed(head: bytes) -> bool:
    h = head[:2048].lower()
    return b"<rss" in h or b"<feed" in h or b"<rdf:rdf" in h


def _entry_date(entry: Any) -> str | None:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        try:
            dt = parsedate_to_datetime(raw)  # RFC 822 (RSS): keeps the offset
            return dt.isoformat(timespec="seconds")
        except (TypeError, ValueError):
            pass
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).isoformat(timespec="seconds")
        except ValueError:
            pass
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat(timespec="seconds")
    return None


def _fragment_text(html: str) -> str:
    tree = parse_html(f"<html><body>{html}</body></html>")
    return html_to_text(tree) if tree is not None else ""


def articles_from_feed(
    source: str, data: bytes, follow: Callable[[str, Fields], Iterator[Article | InputError]] | None
) -> Iterator[Article | InputError]:
    """Articles of a feed; ``follow(url, fields)`` fetches an entry's page when given."""
    import feedparser  # imported here: only feeds need it

    doc = feedparser.parse(data)
    if not doc.entries:
        detail = str(doc.get("bozo_exception") or "no entries")
        yield input_error(source, "bad_feed", f"no feed entries could be read: {detail}")
        return
    outlet = doc.feed.get("title")
    for n, entry in enumerate(doc.entries, start=1):
        link = entry.get("link")
        where = link or f"{source}#item{n}"
        f = Fields()
        f.put("url", link, "feed_link", 0.9)
        f.put("title", entry.get("title"), "feed_title", 0.9)
        f.put("byline", entry.get("author"), "feed_author", 0.8)
        f.put("published_at", _entry_date(entry), "feed_date", 0.85)
        f.put("outlet", outlet, "feed_title", 0.6)
        contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
        body = max((_fragment_text(c) for c in contents), key=len, default="")
        summary = _fragment_text(entry.get("summary", ""))
        text = body if len(body.split()) >= len(summary.split()) else summary
        if len(text.split()) >= FULL_TEXT_MIN_WORDS:
            yield article_from_text(where, text + "\n", fields=f, key=link or where)
        elif follow is not None and link:
            yield from follow(link, f)
        else:
            yield input_error(where, "summary_only",
                              "the feed entry holds only a teaser; fetch its link with --follow-links")
