"""What the Spark engine's Python workers run: functions from pandas batches to pandas batches.

Each one decodes records, calls the stage code in :mod:`unspun.steps` (the same functions the
local engine calls), and encodes the results with the records codec.  Nothing here knows about
Spark beyond the shape of a batch, so these functions can be tried on a plain DataFrame.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..models import sentence_encoder
from ..records import Article, Fact, InputError, StoryFeatures, dumps, from_json
from ..stages import cluster, dedup, ingest
from ..steps import PipelineConfig, group_component, process_article, story_outputs
from ..storage.base import outputs_to_json

__all__ = [
    "ARTICLE_SCHEMA", "INGEST_SCHEMA", "OUTPUT_SCHEMA", "ingest_task", "near_task", "process_task", "score_task",
    "story_task",
]

# How many rows a task yields at a time: small enough that a batch of long articles stays a
# few MB, large enough that Arrow's per-batch cost disappears.
_CHUNK = 256

INGEST_SCHEMA = "file_ord long, item_ord long, kind string, id string, data string"
ARTICLE_SCHEMA = ("id string, file_ord long, item_ord long, article string, facts string, exact_key string, "
                  "signature string, band_keys array<string>, features string, keys array<string>")
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


def process_task(cfg: PipelineConfig) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Articles → cleaned articles with facts and the index the corpus-wide steps use."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        def rows() -> Iterator[dict[str, Any]]:
            for batch in batches:
                for file_ord, item_ord, data in zip(batch["file_ord"], batch["item_ord"], batch["data"], strict=True):
                    cleaned, found, index = process_article(from_json(Article, json.loads(data)), cfg)
                    yield {
                        "id": cleaned.id, "file_ord": int(file_ord), "item_ord": int(item_ord),
                        "article": dumps(cleaned), "facts": dumps(found), "exact_key": index.exact_key,
                        "signature": json.dumps(list(index.signature)), "band_keys": list(index.band_keys),
                        "features": dumps(index.features), "keys": list(index.features.keys),
                    }

        yield from _chunks(rows(), ["id", "file_ord", "item_ord", "article", "facts", "exact_key", "signature",
                                    "band_keys", "features", "keys"])

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


def score_task(cfg: PipelineConfig) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Key-sharing pairs → story edges: the pairs whose similarity reaches the edge floor."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            feats: dict[str, StoryFeatures] = {}
            pairs = []
            for a, b, fa, fb in zip(batch["a"], batch["b"], batch["feat_a"], batch["feat_b"], strict=True):
                for k, f in ((a, fa), (b, fb)):
                    if k not in feats:
                        feats[k] = from_json(StoryFeatures, json.loads(f))
                pairs.append((a, b))
            edges = cluster.edges_for(pairs, feats, cfg.cluster)
            yield pd.DataFrame([{"a": a, "b": b, "score": s} for a, b, s in edges], columns=["a", "b", "score"])

    return run


def story_task(cfg: PipelineConfig) -> Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    """One connected component (its articles with their facts, and its edges and duplicate
    pairs) → its stories, their outputs, and its duplicate links."""

    def run(arts_pdf: pd.DataFrame, links_pdf: pd.DataFrame) -> pd.DataFrame:
        if arts_pdf.empty:
            return pd.DataFrame([], columns=["kind", "id", "data"])
        order = sorted(range(len(arts_pdf)), key=lambda i: str(arts_pdf["id"].iloc[i]))
        arts = {str(arts_pdf["id"].iloc[i]): from_json(Article, json.loads(arts_pdf["article"].iloc[i])) for i in order}
        facts_of: dict[str, list[Fact]] = {}
        for i in order:
            facts_of[str(arts_pdf["id"].iloc[i])] = [from_json(Fact, x) for x in json.loads(arts_pdf["facts"].iloc[i])]
        edges: list[tuple[str, str, float]] = []
        pairs: list[tuple[str, str, str, float]] = []
        for a, b, kind, score in zip(links_pdf["a"], links_pdf["b"], links_pdf["kind"], links_pdf["score"], strict=True):
            if kind == "edge":
                edges.append((str(a), str(b), float(score)))
            else:
                pairs.append((str(a), str(b), str(kind), float(score)))
        stories, links = group_component(list(arts), edges, pairs, arts, cfg)
        rows = [{"kind": "link", "id": link.article_id, "data": dumps(link)} for link in links]
        encoder = sentence_encoder() if cfg.semantic else None
        for story in stories:
            members = {m: arts[m] for m in story.article_ids}
            # Per story, not a scan of the component's facts: a large component has many stories.
            found = sorted((f for m in members for f in facts_of[m]), key=lambda f: f.id)
            outputs = story_outputs(story, members, found, links, cfg, encoder)
            rows.append({"kind": "story", "id": story.id, "data": dumps(story)})
            rows.append({"kind": "outputs", "id": story.id, "data": outputs_to_json(outputs)})
        return pd.DataFrame(rows, columns=["kind", "id", "data"])

    return run

