"""What each page shows, as plain data: the HTML page renders it and the JSON twin returns it.

Nothing here writes HTML except the two SVG drawings, which escape their own text (see
``svg``); templates autoescape everything else.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, NotFoundError
from ..export import article_export
from ..pipeline import outlet_profiles
from ..records import Article, to_json
from ..stages.clean import METADATA_REASONS
from ..storage.base import Store, StoryFilter, StoryListing
from . import svg

__all__ = [
    "Page", "article_view", "articles_page", "decode_cursor", "encode_cursor", "outlet_view", "segments", "story_list", "story_view",
]

# The most rows one page or API call returns; a client pages on with the cursor for the rest.
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(key: tuple[str, ...] | str) -> str:
    raw = json.dumps(list(key) if isinstance(key, tuple) else [key], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, parts: int) -> list[str] | None:
    """The key a cursor carries; a cursor that was not made by :func:`encode_cursor` is a
    usage error, not a crash."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"bad cursor: {exc}") from exc
    if not isinstance(key, list) or len(key) != parts or not all(isinstance(k, str) for k in key):
        raise ConfigError("bad cursor: not one this server made")
    return key


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def listing_json(s: StoryListing) -> dict[str, Any]:
    return {"id": s.story_id, "headline": s.headline, "first_published": s.first_published,
            "last_published": s.last_published, "sources": s.sources, "conflicts": s.conflicts,
            "outlets": list(s.outlets)}


def story_list(store: Store, filt: StoryFilter, cursor: str | None, limit: int) -> Page:
    after = decode_cursor(cursor, 2)
    rows = store.list_stories(filt, (after[0], after[1]) if after else None, check_limit(limit) + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([listing_json(r) for r in rows], encode_cursor(rows[-1].sort_key) if more and rows else None)


def segments(article: dict[str, Any]) -> list[dict[str, Any]]:
    """The article text (its stored JSON) cut at its removals: kept text, and removed text
    with its reason.  Overlapping removals are merged into the first, so no character shows
    twice."""
    text: str = article["text"]
    out: list[dict[str, Any]] = []
    pos = 0
    for r in sorted(article["removals"], key=lambda r: (r["span"]["start"], -r["span"]["end"])):
        start, end = max(r["span"]["start"], pos), r["span"]["end"]
        if end <= start:
            continue
        if start > pos:
            out.append({"text": text[pos:start], "removed": False})
        out.append({"text": text[start:end], "removed": True, "reason": r["reason"], "stage": r["stage"],
                    "metadata": r["reason"] in METADATA_REASONS, "start": start, "end": end})
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "removed": False})
    return out


def story_view(store: Store, story_id: str) -> dict[str, Any]:
    found = store.story_page_json(story_id)
    if found is None:
        raise NotFoundError(f"no story {story_id}")
    story, brief, arts = found
    num = {s["article_id"]: n for n, s in enumerate(brief["sources"], start=1)}
    window, background = svg.timeline_window(brief["timeline"], story.get("first_published"))
    articles = []
    for src in brief["sources"]:
        a = arts.get(src["article_id"])
        if a is None:
            continue
        articles.append({"number": num[a["id"]], "id": a["id"], "title": a.get("title"), "outlet": a.get("outlet"),
                         "url": a.get("url"), "published_at": a.get("published_at"), "byline": a.get("byline"),
                         "role": src["role"], "removals": len(a["removals"]), "segments": segments(a)})
    return {
        "story": story, "brief": brief, "numbers": num, "articles": articles,
        "timeline_window": window, "timeline_background": background,
        "_svg": {"graph": svg.copy_graph(brief), "timeline": svg.timeline_plot(window, num)},
    }


def article_view(store: Store, article_id: str) -> dict[str, Any]:
    a = store.get_article(article_id)
    if a is None:
        raise NotFoundError(f"no article {article_id}")
    facts = store.facts([a.id])
    return {"article": article_export(a), "story_id": store.story_of(a.id), "segments": segments(to_json(a)),
            "facts": [to_json(f) for f in facts if f.kind != "entity"],
            "entities": sorted({f.text for f in facts if f.kind == "entity"})}


def articles_page(store: Store, cursor: str | None, limit: int, outlet: str | None = None) -> tuple[list[Article], str | None]:
    """One keyset page of articles by id (one outlet's when given) and the cursor after it."""
    after = decode_cursor(cursor, 1)
    arts = store.articles_after(after[0] if after else None, check_limit(limit) + 1, outlet=outlet)
    more = len(arts) > limit
    arts = arts[:limit]
    return arts, encode_cursor(arts[-1].id) if more and arts else None


def outlet_view(store: Store, outlet: str, cursor: str | None, limit: int) -> dict[str, Any]:
    arts, next_cursor = articles_page(store, cursor, limit, outlet)
    if not arts and not cursor:
        raise NotFoundError(f"no outlet {outlet}")
    stories = store.list_stories(StoryFilter(outlet=outlet), None, 50)
    # The profile is of this page of the outlet's articles and its 50 newest stories: a
    # bounded amount of work per request, whatever the size of the store.
    profile = [p for p in outlet_profiles(store, arts, [s.story_id for s in stories]) if p.outlet == outlet]
    return {
        "outlet": outlet, "profile": to_json(profile[0]) if profile else None,
        "stories": [listing_json(s) for s in stories],
        "articles": [{"id": a.id, "title": a.title, "published_at": a.published_at, "url": a.url} for a in arts],
        "next_cursor": next_cursor,
    }
