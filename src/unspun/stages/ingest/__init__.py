"""Ingest: turn files, folders and URLs into :class:`~unspun.records.Article` or :class:`InputError` records.

Formats: plain text, HTML (:mod:`.html`), JSON / JSONL / CSV / TSV / Parquet with named fields
(:mod:`.tabular`), WARC and WARC.gz (:mod:`.warc`), RSS and Atom (:mod:`.feeds`), and http(s)
URLs of pages or feeds (:mod:`.fetch`).  Paths are walked in sorted order, so the order inputs
are given in never changes the result.

Every input that cannot be used becomes an ``InputError`` with a reason a person can act on
(``empty``, ``binary``, ``too_large``, ``unreadable``, ``bad_json``, ``bad_csv``,
``bad_parquet``, ``corrupt_warc``, ``bad_feed``, ``summary_only``, ``no_text``,
``no_main_text``, and for URLs ``blocked_address``, ``robots_disallowed``, ``http_error``,
``timeout``, ``network``, ``too_many_redirects``, ``bad_url``).  Files that are plainly not
articles (a JSON object without article fields, like ``gold.json`` beside the seeds; WARC
request records) are reported as ``Skipped``, not dropped silently.
"""

from __future__ import annotations

import glob
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ...records import Article, InputError
from .common import (
    DEFAULT_MAX_BYTES,
    Fields,
    IngestOptions,
    Skipped,
    article_from_text,
    decode_bytes,
    input_error,
    looks_binary,
    looks_html,
    pick_field,
)
from .feeds import articles_from_feed, looks_like_feed
from .fetch import Fetcher, FetchError, FetchOptions
from .html import html_article
from .tabular import articles_from_records, csv_records, jsonl_records, parquet_records
from .warc import articles_from_warc

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FetchOptions",
    "IngestOptions",
    "Skipped",
    "article_from_text",
    "decode_bytes",
    "expand_inputs",
    "is_remote",
    "is_url",
    "iter_input",
    "iter_inputs",
]

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}

Item = Article | InputError | Skipped


def is_url(value: str | Path) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_GLOB = re.compile(r"[*?\[]")


def is_remote(value: str | Path) -> bool:
    """A file-system URL fsspec reads (``s3://``, ``gs://``, ``file://``, ``memory://``...)."""
    return isinstance(value, str) and bool(_SCHEME.match(value)) and not is_url(value)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for double in (".warc.gz", ".arc.gz"):
        if name.endswith(double):
            return double
    return path.suffix.lower()


class _Reader:
    def __init__(self, opts: IngestOptions) -> None:
        self.opts = opts
        self._fetcher: Fetcher | None = None

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = Fetcher(self.opts.fetch or FetchOptions(max_bytes=self.opts.max_bytes))
        return self._fetcher

    def entry(self, entry: Path | str | InputError) -> Iterator[Item]:
        """The items of one walked entry: a file, an http(s) URL, an fsspec URL, or an error."""
        if isinstance(entry, InputError):
            yield entry
        elif is_url(entry):
            yield from self.url(str(entry))
        elif isinstance(entry, str):
            yield from self.remote(entry)
        else:
            yield from self.file(entry)

    # --- URLs -------------------------------------------------------------------------
    def url(self, url: str, base: Fields | None = None, *, feeds: bool = True) -> Iterator[Article | InputError]:
        try:
            resp = self.fetcher.get(url)
        except FetchError as exc:
            yield input_error(url, exc.reason, exc.detail)
            return
        if not resp.body.strip():
            yield input_error(url, "empty", "the server sent an empty body")
            return
        if looks_binary(resp.body):
            yield input_error(url, "binary", f"the server sent binary data ({resp.content_type})")
            return
        if feeds and ("xml" in resp.content_type or "rss" in resp.content_type) and looks_like_feed(resp.body):
            yield from articles_from_feed(url, resp.body, self.follow)
            return
        text, encoding = decode_bytes(resp.body, resp.charset)
        if "html" in resp.content_type or looks_html(text):
            yield html_article(resp.url, text, encoding=encoding, url=resp.url, base=base)
        else:
            f = base or Fields()
            f.put("url", resp.url, "fetched_url", 0.8)
            yield article_from_text(resp.url, text, encoding=encoding, fields=f, key=resp.url)

    def follow(self, link: str, fields: Fields) -> Iterator[Article | InputError]:
        yield from self.url(link, fields, feeds=False)

    # --- files ------------------------------------------------------------------------
    def remote(self, url: str) -> Iterator[Item]:
        """A file behind an fsspec URL: copied to a temporary file, then read as a local one,
        with the URL as its source."""
        try:
            import fsspec

            with fsspec.open(url, "rb") as fh, tempfile.TemporaryDirectory(prefix="unspun-") as tmp:
                local = Path(tmp) / Path(url.rstrip("/")).name
                with local.open("wb") as out:
                    while chunk := fh.read(1 << 20):
                        out.write(chunk)
                yield from self.file(local, source=url)
        except (OSError, ValueError, ImportError) as exc:
            yield input_error(url, "unreadable", f"{type(exc).__name__}: {exc}")

    def file(self, path: Path, source: str | None = None) -> Iterator[Item]:
        source = source or str(path)
        suffix = _suffix(path)
        try:
            size = path.stat().st_size
            if size == 0:
                yield input_error(source, "empty", "the file is empty")
                return
            if suffix in JSONL_SUFFIXES:
                yield from articles_from_records(source, jsonl_records(source, path), self.opts)
                return
            if suffix in (".csv", ".tsv"):
                yield from articles_from_records(source, csv_records(source, path), self.opts)
                return
            if suffix == ".parquet":
                yield from articles_from_records(source, parquet_records(source, path), self.opts)
                return
            if suffix in (".warc", ".warc.gz", ".arc", ".arc.gz"):
                yield from articles_from_warc(path, self.opts, source)
                return
            if size > self.opts.max_bytes:
                yield input_error(source, "too_large",
                                  f"{size} bytes is over the {self.opts.max_bytes}-byte limit (--max-bytes)")
                return
            data = path.read_bytes()
        except OSError as exc:
            yield input_error(source, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")
            return
        yield from self.small_file(source, suffix, data)

    def small_file(self, source: str, suffix: str, data: bytes) -> Iterator[Item]:
        if not data.strip():
            yield input_error(source, "empty", "the file is empty or holds only whitespace")
            return
        if looks_binary(data):
            yield input_error(source, "binary", "the file holds binary data, not text or HTML")
            return
        is_feed = looks_like_feed(data)
        if suffix in FEED_SUFFIXES or (suffix not in HTML_SUFFIXES and is_feed):
            if is_feed:
                yield from articles_from_feed(source, data, self.follow if self.opts.follow_feed_links else None)
            else:
                yield Skipped(source, "XML that is not an RSS or Atom feed")
            return
        text, encoding = decode_bytes(data)
        if suffix == ".json":
            try:
                doc = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield input_error(source, "bad_json", str(exc))
                return
            items = doc if isinstance(doc, list) else [doc]
            if not any(isinstance(i, dict) and (pick_field(i, "text", self.opts.columns)
                                                or pick_field(i, "html", self.opts.columns)) for i in items):
                yield Skipped(source, "JSON without article records (no text field)")
                return
            yield from articles_from_records(source, ((f"{source}#L{n}", i) for n, i in enumerate(items, 1)),
                                             self.opts)
        elif suffix in HTML_SUFFIXES or looks_html(text):
            yield html_article(source, text, encoding=encoding)
        elif suffix in TEXT_SUFFIXES:
            yield article_from_text(source, text, encoding=encoding)
        else:
            yield Skipped(source, f"unsupported file type {suffix!r} (text, HTML, JSON(L), CSV, TSV, Parquet, "
                                  "WARC, RSS and Atom are read)")


def _remote_files(url: str) -> list[str] | InputError:
    """The files an fsspec URL names: itself, every file under it, or its glob matches."""
    try:
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(url)
        if _GLOB.search(path):
            found = [p for p in fs.glob(path) if fs.isfile(p)]
        elif fs.isdir(path):
            found = list(fs.find(path))
        elif fs.exists(path):
            return [url]
        else:
            return input_error(url, "unreadable", "no such file or directory")
        names = [str(fs.unstrip_protocol(p)) for p in found]
    except (OSError, ValueError, ImportError) as exc:
        return input_error(url, "unreadable", f"{type(exc).__name__}: {exc}")
    return sorted(n for n in names if not n.rsplit("/", 1)[-1].startswith("."))


def _walk(paths: Iterable[str | Path]) -> Iterator[Path | str | InputError]:
    for raw in paths:
        if is_url(raw):
            yield str(raw)
            continue
        if is_remote(raw):
            found = _remote_files(str(raw))
            if isinstance(found, InputError):
                yield found
            else:
                yield from found
            continue
        p = Path(raw)
        if p.is_dir():
            yield from sorted(
                (Path(root) / name for root, _dirs, names in os.walk(p) for name in names
                 if not name.startswith(".")),
                key=lambda q: str(q),
            )
        elif p.exists() or p.is_symlink():
            yield p
        elif _GLOB.search(str(raw)):
            matches = sorted(glob.glob(str(raw), recursive=True))
            files = [Path(m) for m in matches if not Path(m).is_dir() and not Path(m).name.startswith(".")]
            if files:
                yield from files
            else:
                yield input_error(str(p), "unreadable", "no file matches this pattern")
        else:
            yield input_error(str(p), "unreadable", "no such file or directory")


def expand_inputs(paths: Iterable[str | Path]) -> list[Path | str | InputError]:
    """What :func:`iter_inputs` will read, one entry per file or URL, in reading order: folders,
    globs and fsspec prefixes expanded (sorted), an ``InputError`` for a path that names nothing.
    An engine that spreads reading over workers hands each entry to :func:`iter_input`."""
    return list(_walk(paths))


def iter_input(entry: Path | str | InputError, opts: IngestOptions | None = None) -> Iterator[Item]:
    """The items of one entry of :func:`expand_inputs`."""
    yield from _Reader(opts or IngestOptions()).entry(entry)


def iter_inputs(paths: Iterable[str | Path], opts: IngestOptions | None = None) -> Iterator[Item]:
    """Every article, error and skipped file under ``paths`` (files, folders, globs, http(s)
    URLs and fsspec URLs), in order."""
    reader = _Reader(opts or IngestOptions())  # one reader: its fetcher paces requests per host
    for entry in _walk(paths):
        yield from reader.entry(entry)
