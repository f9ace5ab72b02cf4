"""HTML pages: main text by trafilatura (readability-lxml as the fallback) and metadata with evidence.

The page is parsed once with lxml.  Metadata comes first, from the page's structured markup
(Open Graph and ``article:*`` meta tags, JSON-LD ``NewsArticle`` objects, ``<link rel=canonical>``,
``<html lang>``), because that is what the publisher itself declares and it keeps the time and
timezone of publication; htmldate's quick search is the fallback for the date (then the first
element that holds nothing but a date), and the URL's host for the outlet.  Then trafilatura
extracts the main text from a copy of the same tree, with comments left out (reader comments
are not the article).  When trafilatura finds too little, readability-lxml gets a try and the
longer result wins; the method used is recorded.

The text that comes out is then cleaned by the ``clean`` stage like any other text, so junk
that survives extraction (captions, teasers, share prompts) is removed with a reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import html as lxml_html
from lxml.etree import ParserError

from ...dates import date_of_date_line, parse_date_line
from ...records import Article, InputError
from .common import Fields, article_from_text, input_error

__all__ = ["Extraction", "extract_html", "html_article", "html_metadata", "html_to_text", "parse_html", "readability_text"]

# Below 250 characters of main text (about two sentences) trafilatura has usually latched on to
# a teaser or a caption block rather than missed nothing; readability is then worth its cost.
# On L3S-GN1 this sends about 4% of pages to the fallback.
FALLBACK_BELOW_CHARS = 250

_BLOCK_TAGS = frozenset(
    "p div br h1 h2 h3 h4 h5 h6 li ul ol tr table blockquote pre section article header footer figure "
    "figcaption dd dt dl hr main aside nav form".split()
)
_ARTICLE_TYPES = frozenset(
    "NewsArticle Article ReportageNews BlogPosting AnalysisNewsArticle OpinionNewsArticle "
    "BackgroundNewsArticle ReviewNewsArticle LiveBlogPosting WebPage Report ScholarlyArticle".split()
)


@dataclass(frozen=True, slots=True)
class Extraction:
    text: str
    method: str  # "trafilatura" or "readability"
    fields: Fields


def parse_html(html: str) -> Any | None:
    """An lxml tree of the page, or None when there is no element to parse."""
    # lxml refuses str input with an XML encoding declaration; the text is already decoded.
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html, count=1)
    if not html.strip():
        return None
    try:
        return lxml_html.document_fromstring(html)
    except (ParserError, ValueError):
        return None


def html_to_text(element: Any) -> str:
    """Visible text of an element with a line break at every block boundary."""
    parts: list[str] = []

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "noscript", "template"):
            if el.tail:
                parts.append(el.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _iso(value: str) -> str | None:
    """A declared date as ISO 8601, keeping the time and offset when the page gives them."""
    v = value.strip()
    if not v:
        return None
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00") if v.endswith("Z") else v)
    except ValueError:
        return parse_date_line(v, None)
    if len(v) <= 10:
        return dt.date().isoformat()
    return dt.isoformat(timespec="seconds") if dt.tzinfo else dt.replace(microsecond=0).isoformat()


def _meta(tree: Any) -> dict[str, str]:
    """``<meta>`` values by lower-cased name/property, first occurrence kept."""
    out: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if key and content and content.strip() and key not in out:
            out[key] = content.strip()
    return out


def _jsonld_objects(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            doc = json.loads(script.text or "")
        except (json.JSONDecodeError, RecursionError):
            continue
        stack: list[Any] = [doc]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                kinds = item.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(isinstance(k, str) and k in _ARTICLE_TYPES for k in kinds):
                    yield item
                if "@graph" in item:
                    stack.append(item["@graph"])


def _names(value: Any) -> list[str]:
    """Person or organisation names from a JSON-LD value (string, object or list of them)."""
    if isinstance(value, str):
        return [value] if value.strip() and not value.startswith("http") else []
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _split_authors(value: str) -> tuple[str, ...]:
    parts = re.split(r"\s*(?:,|;|\band\b|&|\|)\s*", re.sub(r"^\s*by\s+", "", value, flags=re.I))
    return tuple(p.strip() for p in parts if 1 <= len(p.split()) <= 5 and p.strip())


def _strip_site(title: Any, site: str | None) -> str | None:
    """'Headline | Site', 'Headline - Site', 'Headline » Site' without the site part."""
    if not isinstance(title, str):
        return None
    parts = re.split(r"\s+[|\u2013\u2014\u00bb-]\s+|\s+::\s+", title)
    if len(parts) > 1:
        tail = parts[-1].lower()
        if (site and tail in site.lower()) or (len(parts[-1].split()) <= 4 and len(parts[0].split()) >= 3):
            return " - ".join(parts[:-1]) if len(parts) > 2 else parts[0]
    return title


def html_metadata(tree: Any, url: str | None = None) -> Fields:
    """Title, outlet, authors, date, URL and language declared by the page, with evidence."""
    f = Fields()
    meta = _meta(tree)
    ld = list(_jsonld_objects(tree))
    # Confidence reflects how often each source is right on WCXB's gold metadata: publisher
    # markup (Open Graph, JSON-LD) is nearly always right, <h1> and <title> less so.
    # The visible headline (<h1>) is the title a reader sees; og:title and <title> often carry
    # the site name or an SEO variant.  An <h1> is trusted when it is the only one on the page
    # and headline-sized; otherwise the declared titles come first, site suffix cut.
    site = meta.get("og:site_name")
    h1s = [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    h1s = [h for h in h1s if h]
    if len(h1s) == 1 and 2 <= len(h1s[0].split()) <= 30:
        f.put("title", h1s[0], "h1", 0.8)
    for obj in ld:
        f.put("title", _strip_site(obj.get("headline"), site), "json_ld", 0.8)
    f.put("title", _strip_site(meta.get("og:title"), site), "og:title", 0.8)
    f.put("title", _strip_site(meta.get("twitter:title"), site), "twitter:title", 0.7)
    if h1s:
        f.put("title", h1s[0], "h1", 0.6)
    t = tree.find(".//title")
    if t is not None and t.text:
        f.put("title", _strip_site(t.text, site), "title_tag", 0.5)

    for obj in ld:
        for key in ("datePublished", "dateCreated"):
            if isinstance(obj.get(key), str):
                f.put("published_at", _iso(obj[key]), f"json_ld:{key}", 0.9)
    for key in ("article:published_time", "og:article:published_time", "datepublished", "pubdate",
                "publishdate", "publish-date", "date", "dc.date", "dc.date.issued", "dcterms.created",
                "sailthru.date", "parsely-pub-date", "article.published", "originalpublicationdate"):
        if key in meta:
            f.put("published_at", _iso(meta[key]), f"meta:{key}", 0.85)
    if f.published_at is None:
        for el in tree.xpath("//time[@datetime]")[:3]:
            f.put("published_at", _iso(el.get("datetime", "")), "time_element", 0.6)

    _bylines(tree, meta, ld, f)

    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    f.put("url", canonical[0] if canonical and str(canonical[0]).startswith("http") else None, "canonical", 0.9)
    f.put("url", meta.get("og:url"), "og:url", 0.85)
    f.put("url", url, "input_url", 0.8)

    for obj in ld:
        for name in _names(obj.get("publisher")):
            f.put("outlet", name, "json_ld:publisher", 0.85)
    f.put("outlet", meta.get("og:site_name"), "og:site_name", 0.9)
    f.put("outlet", meta.get("application-name"), "application-name", 0.6)
    if f.outlet is None and f.url:
        host = urlsplit(f.url).hostname or ""
        f.put("outlet", host.removeprefix("www.") or None, "url_host", 0.5)

    lang = tree.get("lang") or meta.get("content-language") or meta.get("og:locale")
    if lang:
        f.put("language", re.split(r"[-_]", lang.strip())[0].lower(), "html_lang", 0.7)
    return f


# "By Jane Doe", "By: Jane Doe", "Written by Jane Doe", "Posted by ...", "Author: ...": the label
# a byline block carries before the name.
_BY_LABEL = re.compile(r"^(?:(?:written|posted|story|words|text|reported|(?:view|see) (?:all|more) posts)\s*)?by\s*:?(?:\s+|(?=(?-i:[A-Z])))"
                       r"|^author\s*:?\s+", re.I)
# What author links say when they are buttons, not names ("View more posts", "Sign In"), and a
# commenter's "Jane Doe says".
_UI_LABEL = re.compile(r"^(?:(?:view|see|read) (?:all|more)\b.*|sign (?:in|up)|log ?in|subscribe)$|\bsays$", re.I)
# Labels and prompts that author boxes hold besides names.
_NOT_NAMES = frozenset({"about the author", "meet the author", "the author", "author bio", "view all posts",
                        "follow us", "share this", "editorial team", "more articles", "all posts"})
_NOT_IN_COMMENTS = 'not(ancestor-or-self::*[contains(@class, "comment") or contains(@itemtype, "Comment")])'
_NAME_PARTICLES = frozenset({"de", "da", "di", "del", "der", "van", "von", "la", "le", "bin", "al", "ibn"})


def _name_like(text: str) -> bool:
    """Two to five words, each capitalized (particles allowed), no digits or symbols: what a
    person's name looks like in a byline ("Melissa Dittmann Tracey", "David Mráz")."""
    parts = text.split()
    return (2 <= len(parts) <= 5 and not re.search(r"[\d@:|/©?!]", text) and text.lower() not in _NOT_NAMES
            and all(p[:1].isupper() or p in _NAME_PARTICLES for p in parts))


def _handle_like(text: str) -> bool:
    """A user name rather than a person's name: one token, no capital ("jrobison")."""
    return len(text.split()) == 1 and text == text.lower() and len(text) > 3


def _bylines(tree: Any, meta: dict[str, str], ld: list[dict[str, Any]], f: Fields) -> None:
    """The page's byline and authors: declared markup first, then visible byline blocks.

    The first value found wins, so the order is trust: JSON-LD and author meta tags, the
    "Written by" label/data pair that SEO plugins put in Twitter card tags, rel/itemprop author
    links, byline classes, and last (the loosest) any element whose class names an author
    ("post-author", "article-meta__author") holding something shaped like a name.  The card pair,
    the author classes, leaving comments out and the user-name rule add 27 right bylines on
    WCXB's gold authors and take away none.
    """
    for obj in ld:
        for name in _names(obj.get("author")):
            f.put("byline", name, "json_ld:author", 0.85)
    cited = [el.get("content", "").strip() for el in tree.xpath('//meta[@name="citation_author"]')]
    for name in cited:
        f.put("byline", name, "meta:citation_author", 0.8)
    for key in ("author", "article:author", "byl", "dc.creator", "parsely-author", "sailthru.author"):
        if key in meta and not meta[key].startswith("http"):
            f.put("byline", meta[key], f"meta:{key}", 0.8)
    for n in range(1, 5):
        if meta.get(f"twitter:label{n}", "").lower() in ("written by", "author", "by"):
            f.put("byline", meta.get(f"twitter:data{n}"), "meta:twitter_label", 0.75)
    # None of them inside reader comments ("comment-author", a schema.org Comment's author).
    for el in tree.xpath(f'//*[(@rel="author" or @itemprop="author") and {_NOT_IN_COMMENTS}]')[:3]:
        text = _BY_LABEL.sub("", " ".join(el.text_content().split()))
        if 1 <= len(text.split()) <= 6 and not _UI_LABEL.search(text):
            f.put("byline", text, "rel_author", 0.6)
    # Byline blocks by class name: the markup newsrooms' CMSs emit when there is no metadata.
    for el in tree.xpath('//*[(contains(@class, "byline") or contains(@class, "author-name")'
                         f' or contains(@class, "author__name")) and {_NOT_IN_COMMENTS}]')[:3]:
        text = _BY_LABEL.sub("", " ".join(el.text_content().split()))
        if 1 <= len(text.split()) <= 6 and not re.search(r"\d", text) and not _UI_LABEL.search(text):
            f.put("byline", text, "byline_class", 0.5)
    if f.byline is None or _handle_like(f.byline):  # the loosest source: only when needed
        for el in tree.xpath(f'//*[contains(translate(@class, "AUTHOR", "author"), "author") and {_NOT_IN_COMMENTS}]')[:30]:
            text = _BY_LABEL.sub("", " ".join(el.text_content().split()))
            if _name_like(text):
                f.put("byline", text, "author_class", 0.45)
                break
    if f.byline and _handle_like(f.byline):
        # A CMS user name ("jrobison") where the page also shows the person's name.
        better = next((ev.value for ev in f.evidence if ev.name == "byline" and _name_like(ev.value)), None)
        if better:
            f.byline = better
    if f.byline:
        names = [ev.value for ev in f.evidence if ev.name == "byline" and ev.method == "json_ld:author"]
        names = names if len(names) > 1 else [n for n in cited if n]
        f.authors = tuple(dict.fromkeys(names)) if len(names) > 1 else _split_authors(f.byline)
        if len(f.authors) > 1:
            f.byline = ", ".join(f.authors)


_DATE_CLASS = (
    '//*[contains(@class, "date") or contains(@class, "posted") or contains(@class, "published")'
    ' or contains(@class, "timestamp") or contains(@class, "dateline") or contains(@id, "date")]'
)


def _date_by_class(tree: Any) -> str | None:
    """A date written in an element whose class says it holds one ("post-date", "dateline").

    Only short elements (under 100 characters) count: a long one is a container, and its
    first date may be a related story's.  "Updated" dates are passed over for the original.
    """
    for el in tree.xpath(_DATE_CLASS)[:8]:
        text = " ".join(el.text_content().split())
        if not text or len(text) > 100 or re.search(r"\b(?:updated|modified)\b", text, re.I):
            continue
        found = parse_date_line(text, None)
        if found:
            return found
    return None


def _date_fallback(tree: Any, url: str | None) -> str | None:
    """htmldate's quick search for pages that declare no date in their markup.

    The extensive search (a scan of the whole text through dateparser) triples the cost of a
    page and found the right date on few more WCXB pages; dates in bylines and datelines are
    found later by the ``clean`` stage anyway.
    """
    import htmldate

    try:
        found = htmldate.find_date(tree, extensive_search=False, original_date=True, url=url)
    except (ValueError, TypeError):
        return None
    return found if isinstance(found, str) else None


# Around a date printed alone under a headline: "Updated", "Created on", a section name before
# a bar ("blog | February 01, 2022"), a reading time after it ("· 8 min read").
_DATE_LABEL = re.compile(r"^(?:[\w ]{1,20}\|\s*)?(?:(?:last\s+)?updated|published|posted|created)?(?:\s+on)?\s*:?\s*", re.I)
_READ_TIME = re.compile(r"\s*[·•|-]\s*\d+\s*min(?:ute)?s?\s+read\s*$", re.I)
_DATE_LINE_TAGS = "p span div time small h3 h4 h5 h6 li".split()
_DATE_LINE_SCAN = 400  # elements: a page's own date sits near its top
# Where a date is not the page's: navigation, asides, footers, reader comments, and the site's
# own header (today's date in a masthead), though an article's <header> holds its date.
_NOT_A_PAGE_DATE = (f"ancestor::nav or ancestor::aside or ancestor::footer or not({_NOT_IN_COMMENTS})"
                    " or ancestor::header[not(ancestor::article or ancestor::main)]")


def _date_line_element(tree: Any) -> str | None:
    """The date of the first element that says nothing but a full date ("May 23, 2025",
    "Updated November 18, 2025", "October 16, 2020 · 8 min read"), outside navigation, asides,
    footers, reader comments and the site's masthead: the date a page prints under its headline
    when no markup declares one and htmldate's quick search finds none.
    """
    body = tree.find(".//body")
    if body is None:
        return None
    seen = 0
    for el in body.iter(*_DATE_LINE_TAGS):
        seen += 1
        if seen > _DATE_LINE_SCAN:
            break
        if len(el) > 3:
            continue  # a container, not a date line
        text = " ".join(el.text_content().split())
        if not text or len(text) > 60 or not any(c.isdigit() for c in text):
            continue
        found = date_of_date_line(_READ_TIME.sub("", _DATE_LABEL.sub("", text)))
        if found and not el.xpath(_NOT_A_PAGE_DATE):
            return found
    return None


def _layout_table(tree: Any) -> bool:
    """A table cell holding 150+ words of text: the table lays out the page, it is not data.

    Data tables (results, polls, budgets) have short cells; pages built before CSS layout
    (common in news archives) put the whole article in one cell.  Extracting tables from
    such a page brings navigation, tickers and teaser lists along, so tables are left out.
    """
    for cell in tree.iter("td", "th"):
        text = cell.text_content()
        if len(text) > 900 and len(text.split()) >= 150:
            return True
    return False


def _trafilatura_text(tree: Any, url: str | None) -> str:
    import trafilatura  # imported here: it takes a second to load and plain-text runs skip it

    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_comments=False,
                                      include_tables=not _layout_table(tree))
    return ((getattr(doc, "text", None) or "") if doc is not None else "").strip()


def readability_text(html: str) -> str:
    """The main text readability-lxml finds, with line breaks at blocks; empty when it fails."""
    from readability import Document

    try:
        summary = Document(html).summary(html_partial=True)
    except Exception:
        return ""
    tree = parse_html(summary)
    return html_to_text(tree) if tree is not None else ""


def extract_html(html: str, url: str | None = None) -> Extraction | None:
    """Main text and metadata of a page; None when neither extractor finds any text."""
    tree = parse_html(html)
    fields = html_metadata(tree, url) if tree is not None else Fields()
    if tree is not None and fields.published_at is None:
        fields.put("published_at", _date_by_class(tree), "date_class", 0.6)
    if tree is not None and fields.published_at is None:
        fields.put("published_at", _date_fallback(tree, url), "htmldate", 0.6)
    if tree is not None and fields.published_at is None:
        fields.put("published_at", _date_line_element(tree), "date_line_element", 0.5)
    text, method = (_trafilatura_text(tree, url) if tree is not None else ""), "trafilatura"
    if len(text) < FALLBACK_BELOW_CHARS:
        alt = readability_text(html)
        if len(alt) > len(text):
            text, method = alt, "readability"
    if not text:
        return None
    return Extraction(text=text, method=method, fields=fields)


def html_article(source: str, html: str, *, encoding: str = "utf-8", url: str | None = None,
                 base: Fields | None = None, fallback_key: str | None = None) -> Article | InputError:
    """An article from a page, or a ``no_main_text`` error.

    ``base`` holds what the input said about the page before it was read (a feed entry's
    title and date, a record's fields, a WARC record's crawl date): its values win, and the
    page's own findings are added as further evidence.  The article's id is keyed on the
    page's canonical URL, else ``url``, else ``fallback_key``, else the file name.
    """
    ex = extract_html(html, url)
    if ex is None:
        return input_error(source, "no_main_text",
                           "no main text found in this HTML page (empty, script-only, or too malformed to parse)")
    fields = ex.fields
    if base is not None:
        for ev in fields.evidence:
            base.put(ev.name, ev.value, ev.method, ev.confidence)
        fields = base
    return article_from_text(source, ex.text + "\n", encoding=encoding, fields=fields, key=fields.url or url or fallback_key)
