"""Pieces every ingest format shares: decoding, error records, article construction, field names."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...records import Article, InputError, MetaEvidence, content_id

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FIELD_ALIASES",
    "USER_AGENT",
    "FetchOptions",
    "Fields",
    "IngestOptions",
    "Skipped",
    "article_from_text",
    "decode_bytes",
    "input_error",
    "looks_binary",
    "looks_html",
    "pick_field",
]

# 10 MiB: the longest real news article is a few hundred kilobytes of text and a heavy page a
# few megabytes of HTML; anything past this is a dump, a log or an archive by mistake.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

USER_AGENT = "unspun/0.1 (+https://github.com/unspun/unspun; news provenance research)"

# Field names seen in news dumps (news-please, CC-NEWS exports, Kaggle sets), first match wins.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "article", "maintext", "clean_text"),
    "html": ("html", "raw_html", "page"),
    "title": ("title", "headline"),
    "url": ("url", "link", "uri"),
    "outlet": ("outlet", "source", "site", "sitename", "publisher", "domain"),
    "byline": ("byline", "author", "authors"),
    "published_at": ("published_at", "date", "published", "date_publish", "pubdate"),
    "language": ("language", "lang"),
}


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How URLs are fetched; see :mod:`.fetch` for what each setting guards against."""

    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()
    # One request a second per host: the usual courtesy for crawlers without a Crawl-delay.
    min_interval: float = 1.0
    retries: int = 3
    backoff: float = 1.0
    max_backoff: float = 30.0
    timeout: float = 20.0
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    respect_robots: bool = True


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How inputs are read.

    ``columns`` maps unspun's field names (``text``, ``title``, ``url``, ...) to the column or
    key names of a CSV, Parquet or JSONL input, for dumps whose names are not among
    ``FIELD_ALIASES``.  ``fetch`` holds the network options (defaults when ``None``); the
    network is used only for URLs given as inputs and, with ``follow_feed_links``, feed links.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    columns: Mapping[str, str] = field(default_factory=dict)
    fetch: FetchOptions | None = None
    follow_feed_links: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that is not an article (not an error): counted in the summary."""

    source: str
    reason: str


@dataclass(slots=True)
class Fields:
    """Metadata found by an input format, with the evidence for each value."""

    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    byline: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None
    language: str | None = None
    evidence: list[MetaEvidence] = field(default_factory=list)

    def put(self, name: str, value: str | None, method: str, confidence: float) -> None:
        """Keep the first value found for ``name``; record every candidate as evidence."""
        if value is None or not value.strip():
            return
        value = " ".join(value.split())
        self.evidence.append(MetaEvidence(name=name, value=value, method=method, confidence=confidence))
        if getattr(self, name) in (None, ""):
            setattr(self, name, value)


def input_error(source: str, reason: str, detail: str, stage: str = "ingest") -> InputError:
    return InputError(id=content_id("e", source, reason), source=source, stage=stage, reason=reason, detail=detail)


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode article bytes: BOM, the declared charset, strict UTF-8, cp1252, then latin-1.

    cp1252 before latin-1 because Windows-encoded news (curly quotes at 0x93/0x94) is far more
    common than text that uses the C1 control range; latin-1 never fails, so it is the last
    resort.  A declared charset (HTTP header, WARC record, ``<meta charset>``) is tried strictly
    after UTF-8 fails, because pages that declare latin-1 and are really UTF-8 are common.
    Newlines are normalized to ``\\n`` so offsets mean the same on every platform.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        text, enc = data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, enc = data.decode("utf-16", errors="replace"), "utf-16"
    else:
        candidates = ["utf-8"]
        if declared:
            candidates.append(declared.strip().strip("\"'").lower())
        candidates += ["cp1252", "latin-1"]
        for enc in candidates:
            try:
                text = data.decode(enc)
                break
            except (UnicodeDecodeError, LookupError):
                continue
    return text.replace("\r\n", "\n").replace("\r", "\n"), enc


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control bytes in the first 8 KiB: an image, archive or executable."""
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    # 5%: real text has tabs and newlines only; a few stray control bytes survive copy-paste.
    return controls > 0.05 * max(1, len(head))


def looks_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in head)


def article_from_text(
    source: str, text: str, *, encoding: str = "utf-8", fields: Fields | None = None, key: str | None = None
) -> Article:
    """An article from plain text; title, byline and date lines in the text are found by ``clean``."""
    f = fields or Fields()
    authors = f.authors or (tuple(a.strip() for a in (f.byline or "").split(";") if a.strip()) if f.byline else ())
    return Article(
        id=content_id("a", key if key is not None else os.path.basename(source), text),
        source=source,
        text=text,
        title=f.title,
        outlet=f.outlet,
        byline=f.byline,
        authors=authors,
        published_at=f.published_at,
        language=f.language,
        url=f.url,
        encoding=encoding,
        metadata=tuple(f.evidence),
    )


def pick_field(record: Mapping[str, Any], name: str, columns: Mapping[str, str] | None = None) -> str | None:
    """The value of field ``name`` in a record: the user's column mapping first, then the aliases."""
    names = (columns[name],) if columns and name in columns else FIELD_ALIASES.get(name, (name,))
    for alias in names:
        value = record.get(alias)
        if isinstance(value, (list, tuple)):
            value = "; ".join(str(v) for v in value if v)
        if value is not None and str(value).strip() and str(value) != "nan":
            # Text is kept exactly as given, so spans point into what the user supplied.
            return str(value) if name in ("text", "html") else str(value).strip()
    return None
