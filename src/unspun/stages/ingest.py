"""Ingest: turn files into :class:`~unspun.records.Article` records or :class:`InputError` records.

Pure core: :func:`decode_bytes`, :func:`article_from_text`, :func:`articles_from_html`,
:func:`articles_from_jsonl` work on bytes and strings.  The shell, :func:`iter_inputs`, walks
paths in sorted order (so the input order never changes the result) and reads the files.

Every input that cannot be used becomes an ``InputError`` with a reason a person can act on:
``empty``, ``binary``, ``too_large``, ``unreadable``, ``bad_json``, ``no_text``,
``no_main_text``.  Nothing is skipped without a record, except files that are plainly not
articles (a ``.json`` object without article fields, like ``gold.json`` beside the seeds);
those are counted as ``skipped`` in the run summary.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..records import Article, InputError, MetaEvidence, content_id

__all__ = [
    "DEFAULT_MAX_BYTES",
    "IngestOptions",
    "Skipped",
    "article_from_text",
    "articles_from_html",
    "articles_from_json_records",
    "decode_bytes",
    "iter_inputs",
]

# 10 MiB: the longest real news article is a few hundred kilobytes of text and a heavy page a
# few megabytes of HTML; anything past this is a dump, a log or an archive by mistake.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}

# Field names seen in news dumps, first match wins.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "article", "maintext", "clean_text"),
    "title": ("title", "headline"),
    "url": ("url", "link", "uri"),
    "outlet": ("outlet", "source", "site", "sitename", "publisher", "domain"),
    "byline": ("byline", "author", "authors"),
    "published_at": ("published_at", "date", "published", "date_publish", "pubdate"),
    "language": ("language", "lang"),
}


@dataclass(frozen=True, slots=True)
class IngestOptions:
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that is not an article (not an error): counted in the summary."""

    source: str
    reason: str


@dataclass(slots=True)
class _Fields:
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    byline: str | None = None
    published_at: str | None = None
    language: str | None = None
    evidence: list[MetaEvidence] = field(default_factory=list)


def _error(source: str, reason: str, detail: str) -> InputError:
    return InputError(
        id=content_id("e", source, reason), source=source, stage="ingest", reason=reason, detail=detail
    )


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode article bytes: BOM, then strict UTF-8, then cp1252, then latin-1.

    cp1252 before latin-1 because Windows-encoded news (curly quotes at 0x93/0x94) is far more
    common than text that uses the C1 control range; latin-1 never fails, so it is the last
    resort.  Newlines are normalized to ``\\n`` so offsets mean the same on every platform.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        text, enc = data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, enc = data.decode("utf-16", errors="replace"), "utf-16"
    else:
        for enc in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    return text.replace("\r\n", "\n").replace("\r", "\n"), enc


def _looks_binary(data: bytes) -> bool:
    """NUL bytes or many control bytes in the first 8 KiB: an image, archive or executable."""
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    # 5%: real text has tabs and newlines only; a few stray control bytes survive copy-paste.
    return controls > 0.05 * max(1, len(head))


def _looks_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in head)


def article_from_text(
    source: str, text: str, *, encoding: str = "utf-8", fields: _Fields | None = None, key: str | None = None
) -> Article:
    """An article from plain text; the title, byline and date lines are found by ``clean``."""
    f = fields or _Fields()
    return Article(
        id=content_id("a", key if key is not None else os.path.basename(source), text),
        source=source,
        text=text,
        title=f.title,
        outlet=f.outlet,
        byline=f.byline,
        authors=tuple(a.strip() for a in (f.byline or "").split(";") if a.strip()) if f.byline else (),
        published_at=f.published_at,
        language=f.language,
        url=f.url,
        encoding=encoding,
        metadata=tuple(f.evidence),
    )


def articles_from_html(source: str, html: str, encoding: str) -> Article | InputError:
    """Main text and metadata of an HTML page, via trafilatura."""
    import trafilatura  # imported here: it takes a second to load and plain-text runs skip it

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not text:
        return _error(source, "no_main_text", "trafilatura found no main text in this HTML page")
    f = _Fields()
    for name, attr in (("title", "title"), ("byline", "author"), ("published_at", "date"),
                       ("outlet", "sitename"), ("url", "url"), ("language", "language")):
        value = getattr(doc, attr, None)
        if isinstance(value, str) and value.strip():
            setattr(f, name, value.strip())
            f.evidence.append(MetaEvidence(name=name, value=value.strip(), method="trafilatura", confidence=0.8))
    hostname = getattr(doc, "hostname", None)
    if f.outlet is None and isinstance(hostname, str) and hostname:
        f.outlet = hostname
    return article_from_text(source, text + "\n", encoding=encoding, fields=f, key=f.url)


def _pick(record: dict[str, Any], name: str) -> str | None:
    for alias in FIELD_ALIASES[name]:
        value = record.get(alias)
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value if v)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def articles_from_json_records(
    source: str, records: Iterable[tuple[int, Any]], max_bytes: int
) -> Iterator[Article | InputError]:
    """Articles from JSON objects with named fields (see ``FIELD_ALIASES``)."""
    for line_no, record in records:
        where = f"{source}#L{line_no}"
        if isinstance(record, InputError):
            yield record
            continue
        if not isinstance(record, dict):
            yield _error(where, "bad_json", f"expected a JSON object, got {type(record).__name__}")
            continue
        text = _pick(record, "text")
        if text is None:
            yield _error(where, "no_text", f"no text field (looked for {', '.join(FIELD_ALIASES['text'])})")
            continue
        if len(text.encode("utf-8")) > max_bytes:
            yield _error(where, "too_large", f"text is over the {max_bytes}-byte limit")
            continue
        f = _Fields()
        for name in FIELD_ALIASES:
            value = _pick(record, name) if name != "text" else None
            if value:
                setattr(f, name, value)
                f.evidence.append(MetaEvidence(name=name, value=value, method="input_field", confidence=1.0))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        rid = str(record.get("id") or "")
        key = f.url or rid or (f.title or "")
        # A record's own id names it better than its line number, which moves when a feed is
        # re-sorted; the line is the fallback for records with neither URL nor id.
        yield article_from_text(f.url or (f"{source}#{rid}" if rid else where), text, fields=f, key=key)


def _jsonl_records(source: str, path: Path) -> Iterator[tuple[int, Any]]:
    """Records of a JSONL file, read a line at a time: a feed of any size streams through."""
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            line, _enc = decode_bytes(raw)
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, _error(f"{source}#L{n}", "bad_json", str(exc))


def _read_file(path: Path, opts: IngestOptions) -> Iterator[Article | InputError | Skipped]:
    source = str(path)
    if path.suffix.lower() in JSONL_SUFFIXES:
        try:
            if path.stat().st_size == 0:
                yield _error(source, "empty", "the file is empty")
                return
            yield from articles_from_json_records(source, _jsonl_records(source, path), opts.max_bytes)
        except OSError as exc:
            yield _error(source, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")
        return
    try:
        size = path.stat().st_size
        if size > opts.max_bytes:
            yield _error(source, "too_large", f"{size} bytes is over the {opts.max_bytes}-byte limit (--max-bytes)")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield _error(source, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")
        return
    if not data.strip():
        yield _error(source, "empty", "the file is empty or holds only whitespace")
        return
    if _looks_binary(data):
        yield _error(source, "binary", "the file holds binary data, not text or HTML")
        return
    text, encoding = decode_bytes(data)
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            yield _error(source, "bad_json", str(exc))
            return
        items = doc if isinstance(doc, list) else [doc]
        if not any(isinstance(i, dict) and _pick(i, "text") for i in items):
            yield Skipped(source, "JSON without article records (no text field)")
            return
        yield from articles_from_json_records(source, enumerate(items, start=1), opts.max_bytes)
    elif suffix in HTML_SUFFIXES or _looks_html(text):
        yield articles_from_html(source, text, encoding)
    elif suffix in TEXT_SUFFIXES:
        yield article_from_text(source, text, encoding=encoding)
    else:
        yield Skipped(source, f"unsupported file type {suffix!r} (text, HTML, JSON and JSONL are read)")


def _walk(paths: Iterable[str | Path]) -> Iterator[Path | InputError]:
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                (Path(root) / name for root, _dirs, names in os.walk(p) for name in names
                 if not name.startswith(".")),
                key=lambda q: str(q),
            )
            yield from found
        elif p.exists() or p.is_symlink():
            yield p
        else:
            yield _error(str(p), "unreadable", "no such file or directory")


def iter_inputs(
    paths: Iterable[str | Path], opts: IngestOptions | None = None
) -> Iterator[Article | InputError | Skipped]:
    """Every article, error and skipped file under ``paths``, in sorted path order."""
    opts = opts or IngestOptions()
    for item in _walk(paths):
        if isinstance(item, InputError):
            yield item
        else:
            yield from _read_file(item, opts)
