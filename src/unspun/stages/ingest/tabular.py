"""Records with named fields: JSON, JSONL, CSV/TSV and Parquet, each streamed a record at a time.

A record needs a text field (or an HTML field, which is then extracted like a page); the other
fields are optional.  Field names are looked up in the user's column mapping first
(``--columns text=body,title=headline``), then among the common names in ``FIELD_ALIASES``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ...records import Article, InputError
from .common import FIELD_ALIASES, Fields, IngestOptions, article_from_text, decode_bytes, input_error, pick_field
from .html import extract_html

__all__ = ["articles_from_records", "csv_records", "jsonl_records", "parquet_records"]

Record = tuple[str, Mapping[str, Any] | InputError]  # (where, record or the error reading it)


def articles_from_records(source: str, records: Iterable[Record], opts: IngestOptions) -> Iterator[Article | InputError]:
    """Articles from records with named fields; a record that cannot be used becomes an error."""
    for where, record in records:
        if isinstance(record, InputError):
            yield record
            continue
        if not isinstance(record, Mapping):
            yield input_error(where, "bad_json", f"expected an object with named fields, got {type(record).__name__}")
            continue
        text = pick_field(record, "text", opts.columns)
        html = pick_field(record, "html", opts.columns) if text is None else None
        if text is None and html is None:
            names = (opts.columns["text"],) if "text" in opts.columns else FIELD_ALIASES["text"]
            yield input_error(where, "no_text", f"no text field (looked for {', '.join(names)})")
            continue
        size = len((text or html or "").encode("utf-8"))
        if size > opts.max_bytes:
            yield input_error(where, "too_large", f"{size} bytes of text is over the {opts.max_bytes}-byte limit")
            continue
        f = Fields()
        for name in ("title", "url", "outlet", "byline", "published_at", "language"):
            f.put(name, pick_field(record, name, opts.columns), "input_field", 1.0)
        if html is not None:
            ex = extract_html(html, f.url)
            if ex is None:
                yield input_error(where, "no_main_text", "no main text found in the record's HTML")
                continue
            for ev in ex.fields.evidence:
                f.put(ev.name, ev.value, ev.method, ev.confidence)
            text = ex.text + "\n"
        assert text is not None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        rid = str(record.get(opts.columns.get("id", "id")) or "")
        key = f.url or rid or (f.title or "")
        # A record's own id names it better than its position, which moves when a dump is
        # re-sorted; the position is the fallback for records with neither URL nor id.
        yield article_from_text(f.url or (f"{source}#{rid}" if rid else where), text, fields=f, key=key)


def jsonl_records(source: str, path: Path) -> Iterator[Record]:
    """Records of a JSONL file, read a line at a time: a feed of any size streams through."""
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{source}#L{n}"
            line, _enc = decode_bytes(raw)
            try:
                yield where, json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield where, input_error(where, "bad_json", str(exc))


def _stream_encoding(path: Path) -> str:
    """UTF-8 unless the first MiB says otherwise (then cp1252, as :func:`decode_bytes` would)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    cut = head.rfind(b"\n") if len(head) == 1 << 20 else len(head)
    return decode_bytes(head[: max(cut, 0)])[1].replace("latin-1", "cp1252")


def csv_records(source: str, path: Path) -> Iterator[Record]:
    """Rows of a CSV (comma) or TSV (tab) file with a header row, streamed."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # article bodies overflow the 128 KiB default
    encoding = _stream_encoding(path)
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        # The delimiter follows the suffix: sniffing it from article text (full of commas and
        # semicolons inside quotes) guesses wrong too often to be worth it.
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        reader = csv.DictReader(fh, delimiter=delimiter)
        try:
            for n, row in enumerate(reader, start=2):  # row 1 is the header
                yield f"{source}#R{n}", {k: v for k, v in row.items() if k is not None}
        except csv.Error as exc:
            where = f"{source}#R{reader.line_num}"
            yield where, input_error(where, "bad_csv", str(exc))


def parquet_records(source: str, path: Path) -> Iterator[Record]:
    """Rows of a Parquet file, read a batch at a time."""
    import pyarrow.parquet as pq  # imported here: only Parquet inputs need pyarrow

    try:
        pf = pq.ParquetFile(path)
        n = 0
        for batch in pf.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                n += 1
                yield f"{source}#R{n}", row
    except Exception as exc:
        yield source, input_error(source, "bad_parquet", f"{type(exc).__name__}: {exc}")
