"""Composition of the stages, with resume and run statistics.

A run has three phases, each safe to kill at any point:

1. **per article** (ingest → clean → facts → dedup signature → cluster features): each new
   article is stored with everything derived from it in one transaction, marked *pending*.
   An article already in the store is recognized by its content id and not reprocessed.
2. **grouping**: pending articles are compared with the store (exact keys, LSH bands,
   similarity), then stories and duplicate links are recomputed and the pending marks cleared,
   in one transaction.  Stories whose membership changed are marked *dirty*.
3. **per story**: provenance, cross-check and brief for each dirty story, one transaction each.

A killed run leaves pending articles or dirty stories behind; the next run finishes them, so
the store ends as one uninterrupted run would leave it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .engines import BatchEngine, LocalEngine
from .errors import ConfigError
from .grouping import group_pending, resign_stale
from .models import sentence_encoder
from .records import (
    Article,
    Derivation,
    DuplicateLink,
    Fact,
    InputError,
    OutletProfile,
    Signal,
    Story,
    StoryFeatures,
    dumps,
    from_json,
)
from .stages import ingest, provenance
from .steps import STORY_MODELS, PipelineConfig, config_from_settings, process_article, settings_of, story_outputs
from .storage.base import ArticleIndex, Store, outputs_from_json

__all__ = [
    "STORY_MODELS", "PipelineConfig", "Progress", "RunSummary", "check_settings", "config_from_settings", "load_outputs", "outlet_profiles",
    "process_article", "resign_stale", "run", "run_items", "settings_of", "stored_config", "update_stories",
]


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...
    def close(self) -> None: ...


ProgressFactory = Callable[[str, int | None], Progress]


class _NoProgress:
    def update(self, n: int = 1) -> None:
        return None

    def close(self) -> None:
        return None


def _no_progress(desc: str, total: int | None) -> Progress:
    return _NoProgress()


@dataclass(slots=True)
class RunSummary:
    inputs: int = 0
    new_articles: int = 0
    already_stored: int = 0
    errors: list[InputError] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0
    stories: int = 0
    stories_updated: int = 0
    seconds: float = 0.0
    store: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "inputs": self.inputs, "new_articles": self.new_articles, "already_stored": self.already_stored,
            "errors": [{"source": e.source, "reason": e.reason, "detail": e.detail} for e in self.errors],
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped], "duplicates": self.duplicates,
            "stories": self.stories, "stories_updated": self.stories_updated, "seconds": round(self.seconds, 2),
            "store": self.store,
        }


def check_settings(store: Store, cfg: PipelineConfig) -> None:
    """Refuse a run whose settings differ from those the store was built with.

    Articles already stored keep the features, duplicate links and story outputs the old
    settings gave; new ones under other settings would be compared on other terms, and the
    store would silently mix the two.  The first run records its settings.
    """
    mine = settings_of(cfg)
    stored = store.keep_settings(mine)
    changed = []
    for name in sorted(mine):
        if name in stored and stored[name] != mine[name]:
            changed += _differences(name, json.loads(stored[name]), json.loads(mine[name]))
    if changed:
        raise ConfigError(f"{store.location} was built with other settings ({'; '.join(changed[:8])}); "
                          "run with the same settings, or into a new store")


def stored_config(store: Store, base: PipelineConfig | None = None) -> PipelineConfig:
    """``base`` (defaults if None) with the settings ``store`` was built with, where it has
    any: what a caller that does not choose settings itself (the web API) should run with."""
    return config_from_settings(store.settings(), base)


def _differences(name: str, old: object, new: object) -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for k in sorted(old.keys() | new.keys()) for d in _differences(f"{name}.{k}", old.get(k), new.get(k))]
    return [] if old == new else [f"{name}: {json.dumps(old)} in the store, {json.dumps(new)} now"]


def update_stories(store: Store, cfg: PipelineConfig, progress: ProgressFactory = _no_progress) -> int:
    """Provenance, cross-check and brief for every dirty story (none in a stories-only run,
    whose stories stay without a brief)."""
    if not cfg.briefs:
        return 0
    dirty = store.dirty_story_ids()
    encoder = sentence_encoder() if cfg.semantic and dirty else None
    bar = progress("stories", len(dirty))
    links = store.duplicate_links()
    for sid in dirty:
        story = store.story(sid)
        if story is None:
            continue
        arts = store.articles(story.article_ids)
        outputs = story_outputs(story, arts, store.facts(story.article_ids), links, cfg, encoder)
        store.put_story_outputs(sid, outputs)
        bar.update(1)
    bar.close()
    return len(dirty)


def run(
    paths: Sequence[str | Path],
    store: Store,
    cfg: PipelineConfig | None = None,
    progress: ProgressFactory = _no_progress,
    engine: LocalEngine | BatchEngine | None = None,
) -> RunSummary:
    """Read ``paths`` and take them through every stage into ``store``; return what happened.

    With a batch engine (Spark) the corpus is processed there first and its outputs loaded.
    """
    cfg = cfg or PipelineConfig()
    if isinstance(engine, BatchEngine):
        check_settings(store, cfg)  # before the cluster job, not after it
        return load_outputs(engine.run(paths, cfg).work_dir, store, cfg, progress)
    return run_items(ingest.iter_inputs(paths, cfg.ingest), store, cfg, progress, engine)


def run_items(
    items: Iterable[Article | InputError | ingest.Skipped],
    store: Store,
    cfg: PipelineConfig | None = None,
    progress: ProgressFactory = _no_progress,
    engine: LocalEngine | None = None,
) -> RunSummary:
    """Take already-read inputs through every stage into ``store``.

    Inputs stream: each new article is processed and stored before the next is read, so a
    huge input never sits in memory whole and a kill loses at most the article in hand.
    """
    cfg = cfg or PipelineConfig()
    check_settings(store, cfg)
    engine = engine or LocalEngine()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic()
    summary = RunSummary(store=store.location)
    bar = progress("articles", None)

    def new_articles() -> Iterator[Article]:
        for item in items:
            if isinstance(item, ingest.Skipped):
                summary.skipped.append((item.source, item.reason))
                continue
            summary.inputs += 1
            if isinstance(item, InputError):
                summary.errors.append(item)
                store.put_error(item)
            elif store.has_article(item.id):
                summary.already_stored += 1
            else:
                yield item

    for cleaned, found, index in engine.map(lambda a: process_article(a, cfg), new_articles()):
        if store.add_article(cleaned, found, index):
            summary.new_articles += 1
        else:
            summary.already_stored += 1
        bar.update(1)
    bar.close()

    # Another run writing into the same store groups its articles before or after this one,
    # never at the same time: each grouping reads every story and writes them all back.
    with store.exclusive():
        group_pending(store, cfg)
        summary.stories_updated = update_stories(store, cfg, progress)
        summary.stories = len(store.stories())
        summary.duplicates = len(store.duplicate_links())
    summary.seconds = time.monotonic() - t0
    store.record_run(started, datetime.now(UTC).isoformat(timespec="seconds"), dumps(summary.as_dict()))
    return summary


def _parquet_batches(work_dir: str, step: str, columns: list[str]) -> Iterator[dict[str, list[object]]]:
    """The rows of one step of a Spark run, a batch at a time, as columns of Python values."""
    import pyarrow.dataset as ds
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(work_dir)
    local = getattr(fs, "protocol", None) in ("file", ("file", "local"))
    data = ds.dataset(f"{root.rstrip('/')}/{step}", format="parquet", partitioning="hive",
                      filesystem=None if local else fs)
    for batch in data.to_batches(columns=columns):
        yield batch.to_pydict()


def _spark_edges(work_dir: str, pairs: Sequence[tuple[str, str, str, float]]) -> list[tuple[str, str, float]]:
    """A Spark run's scored edges as article ids, with the duplicate pairs at 1.0 (a duplicate
    is always in its canonical's story), as the local grouping commits them."""
    ids: dict[int, str] = {}
    for cols in _parquet_batches(work_dir, "columns/rows", ["row", "id"]):
        ids.update(zip((int(r) for r in cols["row"]), (str(i) for i in cols["id"]), strict=True))  # type: ignore[call-overload]
    scored = {}
    for cols in _parquet_batches(work_dir, "edges", ["x", "y", "m", "kind"]):
        for x, y, m, kind in zip(*cols.values(), strict=True):
            if kind == 0:
                a, b = ids[int(x)], ids[int(y)]
                scored[(a, b)] = int(m) / 1e6
    for a, b, _, _ in pairs:
        scored[(a, b)] = 1.0
    return sorted((a, b, s) for (a, b), s in scored.items())


def load_outputs(work_dir: str, store: Store, cfg: PipelineConfig | None = None,
                 progress: ProgressFactory = _no_progress) -> RunSummary:
    """Put the Parquet outputs of a Spark run (see engines/spark) into ``store``.

    Into a store that holds nothing but these articles, the grouping and the story outputs
    computed on the cluster are committed as they are, which leaves the store as a local run
    over the same inputs would.  A store that already holds other articles gets the new ones
    as pending articles and groups them here, incrementally, as a local run adding them would.
    Every write is idempotent, so a load killed part-way is finished by loading again.
    """
    if cfg is None:
        # `unspun load`: the settings the Spark run recorded, so the store is told the truth.
        from .engines.spark import run_settings

        cfg = config_from_settings(run_settings(work_dir))
    check_settings(store, cfg)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic()
    summary = RunSummary(store=store.location)
    others = []
    for cols in _parquet_batches(work_dir, "ingested", ["file_ord", "item_ord", "kind", "data"]):
        others += [r for r in zip(cols["file_ord"], cols["item_ord"], cols["kind"], cols["data"], strict=True)
                   if r[2] != "article"]
        summary.inputs += sum(k != "skipped" for k in cols["kind"])
    for _, _, kind, data in sorted(others):
        if kind == "error":
            err = from_json(InputError, json.loads(str(data)))
            summary.errors.append(err)
            store.put_error(err)
        else:
            skipped = json.loads(str(data))
            summary.skipped.append((skipped["source"], skipped["reason"]))
    bar = progress("articles", None)
    ids: set[str] = set()
    for cols in _parquet_batches(work_dir, "articles", ["id", "article", "facts", "exact_key", "signature",
                                                        "band_keys", "features"]):
        for aid, art, found, key, sig, bands, feats in zip(*cols.values(), strict=True):
            ids.add(str(aid))
            index = ArticleIndex(str(key), tuple(json.loads(str(sig))), tuple(bands),
                                 from_json(StoryFeatures, json.loads(str(feats))))
            if store.add_article(from_json(Article, json.loads(str(art))),
                                 [from_json(Fact, x) for x in json.loads(str(found))], index):
                summary.new_articles += 1
            bar.update(1)
    bar.close()
    summary.already_stored = summary.inputs - len(summary.errors) - summary.new_articles
    with store.exclusive():
        if store.article_count() == len(ids):
            pairs = sorted((str(a), str(b), str(k), float(s)) for cols in _parquet_batches(
                work_dir, "pairs", ["a", "b", "kind", "score"]) for a, b, k, s in zip(*cols.values(), strict=True))
            edges = _spark_edges(work_dir, pairs)
            rows: dict[str, list[tuple[str, str]]] = {"story": [], "link": [], "outputs": []}
            for cols in _parquet_batches(work_dir, "stories", ["kind", "id", "data"]):
                for kind, rid, data in zip(*cols.values(), strict=True):
                    rows[str(kind)].append((str(rid), str(data)))
            stories = [from_json(Story, json.loads(d)) for _, d in sorted(rows["story"])]
            links = [from_json(DuplicateLink, json.loads(d)) for _, d in sorted(rows["link"])]
            store.commit_grouping(store.pending_ids(), pairs, edges, stories, links)
            for sid, data in sorted(rows["outputs"]):
                store.put_story_outputs(sid, outputs_from_json(data))
            summary.stories_updated = len(rows["outputs"])
        else:
            group_pending(store, cfg)
            summary.stories_updated = update_stories(store, cfg, progress)
        summary.stories = len(store.stories())
        summary.duplicates = len(store.duplicate_links())
    summary.seconds = time.monotonic() - t0
    store.record_run(started, datetime.now(UTC).isoformat(timespec="seconds"), dumps(summary.as_dict()))
    return summary


def outlet_profiles(store: Store, articles: Sequence[Article], story_ids: Iterable[str]) -> list[OutletProfile]:
    """Profiles of the outlets of ``articles``, from the stored outputs of ``story_ids``
    (derivations, signals, altered quotes): the CLI passes the whole store, a web page a slice."""
    derivations: list[Derivation] = []
    signals: list[Signal] = []
    altered: set[str] = set()
    for sid in story_ids:
        out = store.story_outputs(sid)
        if out is None:
            continue
        derivations += out.derivations
        signals += out.signals
        altered |= {x for c in out.checks if "altered quote" in c.detail for x in c.articles}
    return provenance.outlet_profiles(articles, derivations, signals, altered)
