"""Exports: the documented contract users and tools rely on (see README, "Export format").

``json``  → ``stories.json`` (list of stories with ``id``, ``title``, ``articles``, …),
            ``articles.jsonl`` (one article a line: ``id``, ``source``, ``title``, ``byline``,
            ``published_at``, ``clean_text``, ``removals`` with ``start``/``end``/``reason``/``text``,
            …), ``facts.jsonl``, ``briefs.jsonl``, ``duplicates.json``, ``errors.jsonl``.
``jsonl`` → ``stories.jsonl`` (one story a line with its brief) and ``articles.jsonl``.
``md``    → ``index.md`` and one ``<story>.md`` brief per story.
``html``  → ``index.html`` and one ``<story>.html`` brief per story.

Output is byte-identical for the same store contents: records sorted by id, keys sorted, no
timestamps.  Spans (``start``, ``end``) index into each article's ``text``.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .records import Article, to_json
from .render import brief_html, brief_markdown, md_escape
from .storage.base import Store

__all__ = ["FORMATS", "article_export", "export", "story_export"]

FORMATS = ("json", "jsonl", "md", "html")


def _dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def article_export(a: Article) -> dict[str, Any]:
    return {
        "id": a.id, "source": a.source, "url": a.url, "outlet": a.outlet, "title": a.title, "byline": a.byline,
        "authors": list(a.authors), "published_at": a.published_at, "language": a.language, "encoding": a.encoding,
        "text": a.text, "clean_text": a.clean_text,
        "removals": [{"start": r.span.start, "end": r.span.end, "stage": r.stage, "reason": r.reason, "text": r.text}
                     for r in a.removals],
        "metadata": to_json(a.metadata),
    }


def story_export(store: Store, story_id: str) -> dict[str, Any]:
    s = store.story(story_id)
    if s is None:
        raise ConfigError(f"no story {story_id}")
    return {"id": s.id, "title": s.title, "articles": list(s.article_ids),
            "first_published": s.first_published, "last_published": s.last_published}


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def export(store: Store, fmt: str, out: str | Path) -> list[Path]:
    """Write the store in ``fmt`` under ``out``; return the files written."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stories = store.stories()
    outputs = {s.id: store.story_outputs(s.id) for s in stories}
    written: list[Path] = []

    def put(name: str, text: str) -> None:
        _write(out / name, text)
        written.append(out / name)

    if fmt in ("json", "jsonl"):
        arts = store.articles()
        put("articles.jsonl", "".join(_dump(article_export(a)) + "\n" for a in arts.values()))
    if fmt == "json":
        put("stories.json", _dump([story_export(store, s.id) for s in stories]) + "\n")
        put("facts.jsonl", "".join(_dump(to_json(f)) + "\n" for f in store.facts(arts)))
        put("briefs.jsonl", "".join(_dump(to_json(o.brief)) + "\n" for o in outputs.values() if o))
        put("duplicates.json", _dump(to_json(store.duplicate_links())) + "\n")
        put("errors.jsonl", "".join(_dump(to_json(e)) + "\n" for e in store.errors()))
    elif fmt == "jsonl":
        lines = []
        for s in stories:
            row = story_export(store, s.id)
            o = outputs[s.id]
            row["brief"] = to_json(o.brief) if o else None
            lines.append(_dump(row) + "\n")
        put("stories.jsonl", "".join(lines))
    elif fmt == "md":
        index = ["# Stories", ""]
        for s in stories:
            o = outputs[s.id]
            if o:
                put(f"{s.id}.md", brief_markdown(o.brief))
            index.append(f"- [{md_escape(s.title)}]({s.id}.md) — {len(s.article_ids)} articles")
        put("index.md", "\n".join(index) + "\n")
    else:
        items = []
        for s in stories:
            o = outputs[s.id]
            if o:
                put(f"{s.id}.html", brief_html(o.brief))
            items.append(f'<li><a href="{html.escape(s.id)}.html">{html.escape(s.title)}</a> — {len(s.article_ids)} articles</li>')
        put("index.html", '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stories</title></head>'
                          f"<body><h1>Stories</h1><ul>{''.join(items)}</ul></body></html>\n")
    return written
