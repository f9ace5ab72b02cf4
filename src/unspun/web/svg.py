"""Server-drawn SVG: the copy graph and the timeline plot of a story.

Drawn on the server so the story page reads without JavaScript.  They take the brief in its
stored JSON form (see ``records.Brief``), which is what the story page reads.  Every piece of article text
that ends up in the drawing (outlet names, titles, event text) goes through
:func:`html.escape`; the callers mark the result safe only because of that.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

__all__ = ["copy_graph", "timeline_plot", "timeline_window"]

_NODE_W, _NODE_H, _COL_W, _ROW_H = 190, 44, 250, 62


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _depths(ids: Sequence[str], parent: dict[str, str]) -> dict[str, int]:
    """Generation of each source: 0 for originals, one more than its origin for a copy.  The
    walk stops at a cycle (the provenance stage should never make one, but a drawing must not
    hang on bad data)."""
    out: dict[str, int] = {}
    for i in ids:
        d, seen, cur = 0, {i}, i
        while cur in parent and parent[cur] not in seen:
            cur = parent[cur]
            seen.add(cur)
            d += 1
        out[i] = d
    return out


def copy_graph(brief: dict[str, Any]) -> str:
    """Sources as boxes, columns by generation; arrows from origin to copy (solid: derived,
    dotted: duplicate), dashed lines between texts that share an unseen origin."""
    e = html.escape
    sources = brief["sources"]
    ids = [s["article_id"] for s in sources]
    num = {i: n for n, i in enumerate(ids, start=1)}
    parent = {s["article_id"]: s["origin_id"] for s in sources if s["origin_id"] in num}
    parent.update({s["article_id"]: s["duplicate_of"] for s in sources if s["duplicate_of"] in num})
    depth = _depths(ids, parent)
    cols: dict[int, list[str]] = {}
    for i in ids:
        cols.setdefault(depth[i], []).append(i)
    pos = {i: (20 + d * _COL_W, 20 + r * _ROW_H) for d, col in cols.items() for r, i in enumerate(col)}
    width = 40 + (max(cols) + 1) * _COL_W - (_COL_W - _NODE_W) if cols else 200
    height = 40 + max((len(c) for c in cols.values()), default=1) * _ROW_H
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="copy-graph" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-label="copy graph: {len(ids)} sources">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#444"/></marker></defs>']

    def edge(a: str, b: str, cls: str, arrow: bool, label: str) -> None:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        if x1 == x2:  # same column: shared origin; join the boxes' right sides with a curve
            xa, ya, xb, yb = x1 + _NODE_W, y1 + _NODE_H / 2, x2 + _NODE_W, y2 + _NODE_H / 2
            path = f"M{xa},{ya} C{xa + 40},{ya} {xb + 40},{yb} {xb},{yb}"
        else:
            xa, ya, xb, yb = x1 + _NODE_W, y1 + _NODE_H / 2, x2, y2 + _NODE_H / 2
            path = f"M{xa},{ya} L{xb},{yb}"
        marker = ' marker-end="url(#arrow)"' if arrow else ""
        parts.append(f'<path class="edge {cls}" d="{path}"{marker}><title>{e(label)}</title></path>')

    for s in sources:
        me, dup, origin = s["article_id"], s["duplicate_of"], s["origin_id"]
        if dup in num:
            edge(dup, me, "duplicate", True, f"[{num[me]}] duplicates [{num[dup]}]")
        elif origin in num:
            edge(origin, me, "derived", True, f"[{num[me]}] is derived from [{num[origin]}]")
    for d in brief["derivations"]:
        if d["relation"] != "derived" and d["copy_id"] in num and d["origin_id"] in num:
            edge(d["origin_id"], d["copy_id"], "shared", False,
                 f"[{num[d['copy_id']]}] and [{num[d['origin_id']]}] share an origin")
    for s in sources:
        x, y = pos[s["article_id"]]
        name = s["outlet"] or s["source"].rsplit("/", 1)[-1]
        n_sig = len(s["signals"])
        flags = f" · {n_sig} signal{'s' if n_sig != 1 else ''}" if n_sig else ""
        parts.append(
            f'<g class="node {e(s["role"])}"><title>{e(s["title"] or name)}</title>'
            f'<rect x="{x}" y="{y}" width="{_NODE_W}" height="{_NODE_H}" rx="6"/>'
            f'<text x="{x + 8}" y="{y + 18}">[{num[s["article_id"]]}] {e(_short(name, 24))}</text>'
            f'<text x="{x + 8}" y="{y + 35}" class="sub">{e(s["role"])}{e(flags)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _day(value: str) -> date | None:
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def timeline_window(entries: Sequence[dict[str, Any]], first_published: str | None,
                    lead_days: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split a timeline into the story's window (day-precise entries from ``lead_days`` before
    the first report on) and background (older days, months, years, weeks).  The window keeps
    the plot about the news itself: a 1999 war and this week's statements on one axis would
    squash the week into a dot."""
    start = _day((first_published or "")[:10])
    window, background = [], []
    for t in entries:
        d = _day(t["date"])
        if d is not None and (start is None or d >= start - timedelta(days=lead_days)):
            window.append(t)
        else:
            background.append(t)
    return window, background


def timeline_plot(entries: Sequence[dict[str, Any]], source_numbers: dict[str, int]) -> str:
    """Day-precise entries on a date axis, one dot per entry, stacked on their day."""
    e = html.escape
    days = sorted({d for t in entries if (d := _day(t["date"])) is not None})
    if not days:
        return ""
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    width, left, right, base = 640, 50, 50, 40
    per_day: dict[date, list[dict[str, Any]]] = {}
    for t in entries:
        d = _day(t["date"])
        if d is not None:
            per_day.setdefault(d, []).append(t)
    height = base + 18 * max(len(v) for v in per_day.values()) + 30

    def x(d: date) -> float:
        return left + (width - left - right) * (d - first).days / span

    label = f"{first.strftime('%-d %B %Y')} – {last.strftime('%-d %B %Y')}" if first != last else first.strftime("%-d %B %Y")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-plot" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label="timeline {e(label)}">',
             f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>']
    step = 1 if span <= 14 else 7 if span <= 120 else 30
    d = first
    while d <= last:
        parts.append(f'<line class="tick" x1="{x(d):.1f}" y1="{base - 4}" x2="{x(d):.1f}" y2="{base + 4}"/>'
                     f'<text class="tick" x="{x(d):.1f}" y="{base - 10}" text-anchor="middle">{d.strftime("%-d %b")}</text>')
        d += timedelta(days=step)
    if (last - first).days % step:
        parts.append(f'<text class="tick" x="{x(last):.1f}" y="{base - 10}" text-anchor="middle">{last.strftime("%-d %b")}</text>')
    for day, items in sorted(per_day.items()):
        for k, t in enumerate(items):
            refs = "".join(f"[{source_numbers[c['article_id']]}]" for c in t["citations"]
                           if c["article_id"] in source_numbers)
            parts.append(f'<circle class="event" cx="{x(day):.1f}" cy="{base + 16 + 18 * k}" r="5">'
                         f'<title>{e(t["date"])} {e(_short(t["text"], 200))} {e(refs)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
