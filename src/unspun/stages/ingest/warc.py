"""WARC and WARC.gz files (Common Crawl CC-NEWS, Heritrix, wget ``--warc-file``, webrecorder).

Each ``response`` record with status 200 and an HTML body is extracted like a page, with the
record's target URI as its URL; ``resource`` and ``conversion`` records holding HTML or text are
read the same way.  Requests, metadata, redirects and non-HTML bodies are not articles: they are
counted, and the file gets one ``Skipped`` line saying how many and why.  The crawl date
(``WARC-Date``) is kept as low-confidence date evidence only: a page is often crawled long
after it was published, and taking the crawl date for the publication date would make every
archived article look late.

A truncated or corrupt archive yields an error record at the point it breaks; every record
before it is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...records import Article, InputError, MetaEvidence
from .common import IngestOptions, Skipped, article_from_text, decode_bytes, input_error, looks_binary
from .html import html_article

__all__ = ["articles_from_warc"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _record_article(rec: Any, path: str, opts: IngestOptions, skipped: Counter[str]) -> Article | InputError | None:
    kind = rec.rec_type
    uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
    where = uri or f"{path}#{rec.rec_headers.get_header('WARC-Record-ID')}"
    if kind == "response":
        if rec.http_headers is None:
            skipped["response without HTTP headers"] += 1
            return None
        status = rec.http_headers.get_statuscode()
        if status != "200":
            skipped[f"HTTP status {status}"] += 1
            return None
        ctype = (rec.http_headers.get_header("Content-Type") or "").lower()
    elif kind in ("resource", "conversion"):
        ctype = (rec.rec_headers.get_header("Content-Type") or "").lower()
    else:
        skipped[f"{kind} records"] += 1
        return None
    is_html = any(t in ctype for t in _HTML_TYPES)
    if not is_html and not ctype.startswith("text/plain"):
        skipped[f"{ctype.split(';')[0] or 'untyped'} bodies"] += 1
        return None
    body = rec.content_stream().read(opts.max_bytes + 1)
    if len(body) > opts.max_bytes:
        return input_error(where, "too_large", f"the record body is over the {opts.max_bytes}-byte limit")
    missing = getattr(rec.raw_stream, "limit", 0)
    if isinstance(missing, int) and missing > 0:
        # The record declares more bytes than the file holds: the archive was cut off here.
        # A part of a page is not the page, so it is an error, not a shorter article.
        return input_error(where, "corrupt_warc", f"the record is truncated: {missing} of {rec.length} bytes missing")
    if not body.strip():
        return input_error(where, "empty", "the record body is empty")
    if looks_binary(body):
        return input_error(where, "binary", "the record body is binary, not text or HTML")
    charset = ctype.split("charset=")[1].split(";")[0] if "charset=" in ctype else None
    text, encoding = decode_bytes(body, charset)
    crawl = MetaEvidence(name="published_at", value=(rec.rec_headers.get_header("WARC-Date") or "")[:10],
                         method="warc_date_crawled", confidence=0.2)
    if is_html:
        art = html_article(uri or where, text, encoding=encoding, url=uri or None, fallback_key=where)
        return replace(art, metadata=(*art.metadata, crawl)) if isinstance(art, Article) else art
    return article_from_text(uri or where, text, encoding=encoding, key=uri or where)


def articles_from_warc(path: Path, opts: IngestOptions, source: str | None = None) -> Iterator[Article | InputError | Skipped]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    source = source or str(path)
    skipped: Counter[str] = Counter()
    n = 0
    with path.open("rb") as fh:
        it = iter(ArchiveIterator(fh, arc2warc=True))
        while True:
            try:
                rec = next(it)
                item = _record_article(rec, source, opts, skipped)
            except StopIteration:
                break
            except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
                yield input_error(f"{source}@{fh.tell()}", "corrupt_warc",
                                  f"the archive breaks after {n} records: {type(exc).__name__}: {exc}")
                break
            n += 1
            if item is not None:
                yield item
    if skipped:
        detail = ", ".join(f"{count} {why}" for why, count in sorted(skipped.items()))
        yield Skipped(source, f"WARC records that are not articles: {detail}")
