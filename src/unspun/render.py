"""Briefs as Markdown and HTML.

Article text is untrusted: in HTML every value goes through :func:`html.escape`, and in
Markdown characters that would start markup or HTML are backslash-escaped, so a title like
``<script>`` or ``[x](javascript:...)`` is shown as text wherever the Markdown is rendered.
"""

from __future__ import annotations

import html
import re

from .records import Brief, SourceEntry

__all__ = ["brief_html", "brief_markdown", "md_escape"]

# Enough to stop emphasis, links, images, tables, code and raw HTML; parentheses and the
# like only matter after a bracket, which is escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def _label(src: SourceEntry) -> str:
    name = src.outlet or src.source.rsplit("/", 1)[-1]
    return f"{name} ({src.published_at[:10]})" if src.published_at else name


def _numbers(brief: Brief) -> dict[str, int]:
    return {s.article_id: i for i, s in enumerate(brief.sources, start=1)}


def brief_markdown(brief: Brief) -> str:
    num = _numbers(brief)
    out = [f"# {md_escape(brief.headline)}", "", f"Story `{brief.story_id}` · {len(brief.sources)} sources", ""]
    out += ["## Summary", ""]
    for s in brief.summary:
        refs = "".join(f"[{num[c.article_id]}]" for c in s.citations if c.article_id in num)
        out.append(f"- {md_escape(s.text)} {refs}")
    if brief.timeline:
        out += ["", "## Timeline", ""]
        for t in brief.timeline:
            refs = "".join(f"[{num[c.article_id]}]" for c in t.citations if c.article_id in num)
            out.append(f"- **{t.date}** {md_escape(t.text)} {refs}")
    if brief.facts:
        out += ["", "## Facts", "", "| status | kind | fact | sources | note |", "|---|---|---|---|---|"]
        for f in brief.facts:
            refs = " ".join(f"[{num[a]}]" for a in f.articles if a in num)
            out.append(f"| {f.status} | {f.kind} | {md_escape(f.summary)} | {refs} | {md_escape(f.detail)} |")
    out += ["", "## Sources", ""]
    for src in brief.sources:
        extra = []
        if src.origin_id and src.origin_id in num:
            extra.append(f"copies [{num[src.origin_id]}]")
        if src.duplicate_of and src.duplicate_of in num:
            extra.append(f"duplicate of [{num[src.duplicate_of]}]")
        if src.signals:
            extra.append("signals: " + ", ".join(src.signals))
        title = md_escape(src.title or "(untitled)")
        tail = f" — {'; '.join(extra)}" if extra else ""
        out.append(f"{num[src.article_id]}. {title} — {md_escape(_label(src))} — *{src.role}*{tail}")
    if brief.derivations:
        out += ["", "## Who copied whom", ""]
        out += [f"- {md_escape(line)}" for line in _relations(brief, num)]
    out += ["", f"Coverage {brief.coverage:.0%} of sources cited · support {brief.support:.0%}", ""]
    return "\n".join(out)


def _relations(brief: Brief, num: dict[str, int]) -> list[str]:
    """One line per copy relation, in words, with its evidence count and reasons."""
    out = []
    for d in brief.derivations:
        if d.copy_id not in num or d.origin_id not in num:
            continue
        verb = "is derived from" if d.relation == "derived" else "shares an origin with"
        why = f": {'; '.join(d.reasons)}" if d.reasons else ""
        out.append(f"[{num[d.copy_id]}] {verb} [{num[d.origin_id]}] ({d.coverage:.0%} carried, "
                   f"{len(d.pairs)} aligned sentences){why}")
    return out


_CSS = """body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}.conflict{color:#a00}.agree{color:#070}.single-source{color:#666}
sup a{text-decoration:none}.role{font-style:italic;color:#555}"""


def brief_html(brief: Brief) -> str:
    e = html.escape
    num = _numbers(brief)

    def refs(ids: list[str]) -> str:
        return "".join(f'<sup><a href="#src-{num[i]}">[{num[i]}]</a></sup>' for i in ids if i in num)

    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        f"<title>{e(brief.headline)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(brief.headline)}</h1>", f"<p>Story <code>{e(brief.story_id)}</code> · {len(brief.sources)} sources</p>",
        "<h2>Summary</h2><ul>",
    ]
    parts += [f"<li>{e(s.text)} {refs([c.article_id for c in s.citations])}</li>" for s in brief.summary]
    parts.append("</ul>")
    if brief.timeline:
        parts.append("<h2>Timeline</h2><ul>")
        parts += [f"<li><strong>{e(t.date)}</strong> {e(t.text)} {refs([c.article_id for c in t.citations])}</li>"
                  for t in brief.timeline]
        parts.append("</ul>")
    if brief.facts:
        parts.append("<h2>Facts</h2><table><tr><th>status</th><th>kind</th><th>fact</th><th>sources</th><th>note</th></tr>")
        parts += [f'<tr><td class="{e(f.status)}">{e(f.status)}</td><td>{e(f.kind)}</td><td>{e(f.summary)}</td>'
                  f"<td>{refs(list(f.articles))}</td><td>{e(f.detail)}</td></tr>" for f in brief.facts]
        parts.append("</table>")
    parts.append("<h2>Sources</h2><ol>")
    for s in brief.sources:
        extra = ""
        if s.origin_id and s.origin_id in num:
            extra += f" · copies [{num[s.origin_id]}]"
        if s.duplicate_of and s.duplicate_of in num:
            extra += f" · duplicate of [{num[s.duplicate_of]}]"
        if s.signals:
            extra += " · signals: " + e(", ".join(s.signals))
        parts.append(f'<li id="src-{num[s.article_id]}">{e(s.title or "(untitled)")} — {e(_label(s))} '
                     f'<span class="role">{e(s.role)}</span>{extra}</li>')
    parts.append("</ol>")
    if brief.derivations:
        parts.append("<h2>Who copied whom</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in _relations(brief, num)) + "</ul>")
    parts.append(f"<p>Coverage {brief.coverage:.0%} of sources cited · support {brief.support:.0%}</p></body></html>")
    return "\n".join(parts)
