"""What the Spark engine's Python workers run: functions from pandas batches to pandas batches.

Each one decodes records, calls the stage code in :mod:`unspun.steps` (the same functions the
local engine calls), and encodes the results with the records codec.  Nothing here knows about
Spark beyond the shape of a batch, so these functions can be tried on a plain DataFrame.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..models import sentence_encoder
from ..records import Article, ArticleHead, DuplicateLink, Fact, InputError, StoryFeatures, dumps, from_json
from ..stages import cluster, dedup, ingest, scoring
from ..steps import PipelineConfig, process_article, story_outputs
from ..storage.base import outputs_to_json

__all__ = [
    "ARTICLE_SCHEMA", "INGEST_SCHEMA", "OUTPUT_SCHEMA", "ingest_task", "links_task", "near_task", "process_task",
    "stories_task",
]

# Articles whose story features a task holds as records before turning them into columns.
_FEATURES = 5000

# How many rows a task yields at a time: small enough that a batch of long articles stays a
# few MB, large enough that Arrow's per-batch cost disappears.
_CHUNK = 256

INGEST_SCHEMA = "file_ord long, item_ord long, kind string, id string, data string"
ARTICLE_SCHEMA = ("id string, file_ord long, item_ord long, article string, facts string, exact_key string, "
                  "signature string, band_keys array<string>, features string, keys array<string>, "
                  "title string, published_at string, lead string, length long")
OUTPUT_SCHEMA = "kind string, id string, data string"


def _chunks(rows: Iterator[dict[str, Any]], columns: list[str]) -> Iterator[pd.DataFrame]:
    buf: list[dict[str, Any]] = []
    for row in rows:
        buf.append(row)
        if len(buf) >= _CHUNK:
            yield pd.DataFrame(buf, columns=columns)
            buf = []
    if buf:
        yield pd.DataFrame(buf, columns=columns)


def entry_row(ord_: int, entry: Path | str | InputError) -> dict[str, Any]:
    """One input entry (a file, a URL, or an error found while expanding) as a row."""
    if isinstance(entry, InputError):
        return {"ord": ord_, "kind": "error", "value": dumps(entry)}
    return {"ord": ord_, "kind": "path" if isinstance(entry, Path) else "url", "value": str(entry)}


def _entry(kind: str, value: str) -> Path | str | InputError:
    if kind == "error":
        return from_json(InputError, json.loads(value))
    return Path(value) if kind == "path" else value


def ingest_task(cfg: PipelineConfig) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Entries → items: every article, error and skipped file, numbered by entry and position."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        def rows() -> Iterator[dict[str, Any]]:
            for batch in batches:
                for ord_, kind, value in zip(batch["ord"], batch["kind"], batch["value"], strict=True):
                    for n, item in enumerate(ingest.iter_input(_entry(kind, value), cfg.ingest)):
                        if isinstance(item, ingest.Skipped):
                            row = ("skipped", item.source, json.dumps({"source": item.source, "reason": item.reason}))
                        elif isinstance(item, InputError):
                            row = ("error", item.id, dumps(item))
                        else:
                            row = ("article", item.id, dumps(item))
                        yield {"file_ord": int(ord_), "item_ord": n, "kind": row[0], "id": row[1], "data": row[2]}

        yield from _chunks(rows(), ["file_ord", "item_ord", "kind", "id", "data"])

    return run


def process_task(cfg: PipelineConfig, chunks: str | None = None,
                 ) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Articles → cleaned articles with facts and the index the corpus-wide steps use.  With
    ``chunks`` (a folder), the story features of the task's articles are also saved there as
    one chunk of columns, named by its least id: the same name whatever order a retried task
    reads its articles in, so a retry overwrites what a lost attempt left."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from . import spark_columns

        parts: list[scoring.Columns] = []
        held: dict[str, StoryFeatures] = {}

        def keep(aid: str, feats: StoryFeatures) -> None:
            held[aid] = feats
            if len(held) >= _FEATURES:  # as columns, 1 KB an article instead of 24
                parts.append(scoring.columns_of(held, with_terms=bool(cfg.cluster.terms)))
                held.clear()

        def rows() -> Iterator[dict[str, Any]]:
            for batch in batches:
                for file_ord, item_ord, data in zip(batch["file_ord"], batch["item_ord"], batch["data"], strict=True):
                    cleaned, found, index = process_article(from_json(Article, json.loads(data)), cfg)
                    head = ArticleHead.of(cleaned)
                    if chunks is not None:
                        keep(cleaned.id, index.features)
                    yield {
                        "id": cleaned.id, "file_ord": int(file_ord), "item_ord": int(item_ord),
                        "article": dumps(cleaned), "facts": dumps(found), "exact_key": index.exact_key,
                        "signature": json.dumps(list(index.signature)), "band_keys": list(index.band_keys),
                        "features": dumps(index.features), "keys": list(index.features.keys),
                        "title": head.title, "published_at": head.published_at, "lead": head.lead, "length": head.length,
                    }

        yield from _chunks(rows(), ["id", "file_ord", "item_ord", "article", "facts", "exact_key", "signature",
                                    "band_keys", "features", "keys", "title", "published_at", "lead", "length"])
        if chunks is not None:
            if held:
                parts.append(scoring.columns_of(held, with_terms=bool(cfg.cluster.terms)))
            if parts:
                cols = scoring.concat_columns(parts)
                spark_columns.save_columns(cols, f"{chunks.rstrip('/')}/{cols.ids[0]}", vocab=True)

    return run


def near_task(cfg: PipelineConfig) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Band-sharing pairs → near-duplicate pairs, kept when the MinHash estimate reaches the
    threshold (the local pipeline's test and rounding)."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            out = []
            for a, b, sa, sb in zip(batch["a"], batch["b"], batch["sig_a"], batch["sig_b"], strict=True):
                sim = dedup.jaccard_estimate(json.loads(sa), json.loads(sb))
                if sim >= cfg.dedup.threshold:
                    out.append({"a": a, "b": b, "kind": "near", "score": round(sim, 4)})
            yield pd.DataFrame(out, columns=["a", "b", "kind", "score"])

    return run


def links_task() -> Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    """One component's articles (heads: id, title, date, lead, length) and duplicate pairs →
    its duplicate links (a duplicate group lies inside one component)."""

    def run(heads_pdf: pd.DataFrame, pairs_pdf: pd.DataFrame) -> pd.DataFrame:
        if heads_pdf.empty or pairs_pdf.empty:
            return pd.DataFrame([], columns=["kind", "id", "data"])
        heads = {h.id: h for h in _heads(heads_pdf)}
        pairs = sorted((str(a), str(b), str(k), float(s)) for a, b, k, s in zip(
            pairs_pdf["a"], pairs_pdf["b"], pairs_pdf["kind"], pairs_pdf["score"], strict=True))
        links = dedup.duplicate_links(heads, pairs)
        return pd.DataFrame([{"kind": "link", "id": link.article_id, "data": dumps(link)} for link in links],
                            columns=["kind", "id", "data"])

    return run


def _heads(pdf: pd.DataFrame) -> list[ArticleHead]:
    return [ArticleHead(str(i), None if t is None else str(t), None if p is None else str(p), str(lead), int(n))
            for i, t, p, lead, n in zip(pdf["id"], pdf["title"], pdf["published_at"], pdf["lead"], pdf["length"],
                                        strict=True)]


def _runs(batches: Iterator[pd.DataFrame], key: str) -> Iterator[pd.DataFrame]:
    """The rows of a partition sorted by ``key``, one run of equal keys at a time (a run may
    span Arrow batches)."""
    held: list[pd.DataFrame] = []
    for batch in batches:
        if batch.empty:
            continue
        keys = batch[key].to_numpy()
        cuts = [0, *(np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist(), len(batch)]
        for a, b in itertools.pairwise(cuts):
            part = batch.iloc[a:b]
            if held and held[0][key].iloc[0] != part[key].iloc[0]:
                yield pd.concat(held, ignore_index=True)
                held = []
            held.append(part)
    if held:
        yield pd.concat(held, ignore_index=True)


def stories_task(cfg: PipelineConfig) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Articles sorted by ``(label, id)``, ``label`` naming the story (its least row) → each
    story's record and, unless stories only, its provenance, cross-check and brief (then each
    row also carries its article, facts and duplicate link, if any)."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        encoder = sentence_encoder() if cfg.semantic and cfg.briefs else None

        def rows() -> Iterator[dict[str, Any]]:
            for group in _runs(batches, "label"):
                group = group.sort_values("id", kind="stable")
                heads = _heads(group)
                story = cluster.make_stories([[h.id for h in heads]], {h.id: h for h in heads})[0]
                yield {"kind": "story", "id": story.id, "data": dumps(story)}
                if not cfg.briefs:
                    continue
                arts = {str(i): from_json(Article, json.loads(a)) for i, a in zip(group["id"], group["article"], strict=True)}
                found = sorted((from_json(Fact, x) for f in group["facts"] for x in json.loads(f)), key=lambda f: f.id)
                links = [from_json(DuplicateLink, json.loads(x)) for x in group["link"] if isinstance(x, str)]
                outputs = story_outputs(story, arts, found, links, cfg, encoder)
                yield {"kind": "outputs", "id": story.id, "data": outputs_to_json(outputs)}

        yield from _chunks(rows(), ["kind", "id", "data"])

    return run
