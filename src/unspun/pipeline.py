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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .engines import BatchEngine, LocalEngine
from .errors import ConfigError
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
from .stages import cluster, dedup, ingest, provenance
from .steps import PipelineConfig, config_from_settings, process_article, settings_of, story_outputs
from .storage.base import ArticleIndex, Store, outputs_from_json

__all__ = [
    "PipelineConfig", "Progress", "RunSummary", "check_settings", "config_from_settings", "load_outputs", "outlet_profiles",
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


def resign_stale(store: Store, cfg: PipelineConfig) -> int:
    """Re-sign articles stored with an older MinHash scheme, so new articles meet them in the
    LSH index again (their band keys would never match).  Returns how many were re-signed."""
    bands, rows = dedup.lsh_params(cfg.dedup.threshold, cfg.dedup.num_perm)
    stale = store.ids_with_band_scheme_other_than(dedup.BAND_SCHEME)
    for aid in stale:
        article = store.get_article(aid)
        if article is not None:
            sig = dedup.signature(article, cfg.dedup)
            store.replace_signature(aid, sig, dedup.band_keys(sig, bands, rows))
    return len(stale)


def _group_pending(store: Store, cfg: PipelineConfig) -> int:
    """Dedup and cluster the pending articles against the store, recomputing only the
    connected components they touch (see stages/cluster for why that equals a full run)."""
    pending = store.pending_ids()
    if not pending:
        return 0
    resign_stale(store, cfg)
    mine = store.story_features(pending)
    filed = Counter(k for pid in pending if pid in mine for k in mine[pid].keys)
    counts = store.story_key_counts(sorted(filed))  # the pending articles are filed already
    live = cluster.live_keys(counts, cfg.cluster)
    pairs: dict[tuple[str, str], tuple[str, str, str, float]] = {}
    candidates: set[tuple[str, str]] = set()
    for pid in pending:
        idx = store.index(pid)
        if idx is None:
            continue
        for other in store.ids_with_exact_key(idx.exact_key):
            if other != pid:
                key = (min(pid, other), max(pid, other))
                pairs[key] = (*key, "exact", 1.0)
        for other in store.ids_with_band_keys(idx.band_keys):
            key = (min(pid, other), max(pid, other))
            if other == pid or key in pairs:
                continue
            oidx = store.index(other)
            sim = dedup.jaccard_estimate(idx.signature, oidx.signature) if oidx else 0.0
            if sim >= cfg.dedup.threshold:
                pairs[key] = (*key, "near", round(sim, 4))
        for other in store.ids_with_story_keys([k for k in mine[pid].keys if k in live]):
            if other != pid:
                candidates.add((min(pid, other), max(pid, other)))
    # Keys this batch pushed past the block limit: the stored edges only they made go.
    crossed = sorted(k for k in filed if k not in live and counts[k] - filed[k] <= cfg.cluster.max_block)
    known_pairs = store.duplicate_pairs()
    dropped = _purged_edges(store, crossed, set(pending), {(a, b) for a, b, _, _ in known_pairs}, cfg)
    feats = store.story_features({x for pair in candidates for x in pair})
    if cfg.cluster.min_shared_keys > 1:  # a pair's shared keys are keys of a pending article: all in `live`'s reach
        candidates = {(a, b) for a, b in candidates if a in feats and b in feats
                      and len(set(feats[a].keys) & set(feats[b].keys) & live) >= cfg.cluster.min_shared_keys}
    scored = {(a, b): (a, b, s) for a, b, s in cluster.edges_for(sorted(candidates), feats, cfg.cluster)}
    # A duplicate is always in its canonical's story, whatever its story score.
    for a, b, _, _ in pairs.values():
        scored[(a, b)] = (a, b, 1.0)
    new_edges = sorted(scored.values())
    # Everything a pending article can share a story with: its component through stored and
    # new edges at or above the merge threshold (clusters never span two such components, see
    # cluster.cluster_edges), with every edge of those articles so each mean is whole.  A
    # dropped edge may split a story, so every member of a story it touched starts there too.
    stored = store.stories()
    ends = {x for pair in dropped for x in pair}
    touched: set[str] = set(pending) | {m for st in stored if ends.intersection(st.article_ids) for m in st.article_ids}
    frontier = set(touched)
    edges: set[tuple[str, str, float]] = set(new_edges)
    while frontier:
        found = [e for e in store.edges_touching(frontier) if (e[0], e[1]) not in dropped]
        found += [e for e in new_edges if e[0] in frontier or e[1] in frontier]
        edges.update(found)
        frontier = {x for a, b, s in found if s >= cfg.cluster.threshold for x in (a, b)} - touched
        touched |= frontier
    groups = cluster.cluster_edges(sorted(touched), sorted(edges), cfg.cluster)
    kept = [s for s in stored if not touched.intersection(s.article_ids)]
    stories = kept + cluster.make_stories(groups, store.articles(touched))
    all_pairs = known_pairs + list(pairs.values())
    links = dedup.duplicate_links(store.articles({x for p in all_pairs for x in p[:2]}), all_pairs)
    store.commit_grouping(pending, sorted(pairs.values()), new_edges, sorted(stories, key=lambda s: s.id), links,
                          sorted(dropped))
    return len(pending)


def _purged_edges(store: Store, crossed: Sequence[str], pending: set[str], dups: set[tuple[str, str]],
                  cfg: PipelineConfig) -> set[tuple[str, str]]:
    """Stored edges between articles of the ``crossed`` keys' blocks that no duplicate pair
    supports and that share fewer than ``min_shared_keys`` live keys now: a run over the
    grown corpus would never score them."""
    if not crossed:
        return set()
    old = set(store.ids_with_story_keys(crossed)) - pending  # at most max_block per key
    among = [(a, b) for a, b, _ in store.edges_touching(old) if a in old and b in old]
    if not among:
        return set()
    feats = store.story_features(old)
    shared = {p: set(feats[p[0]].keys) & set(feats[p[1]].keys) for p in among if p[0] in feats and p[1] in feats}
    live = cluster.live_keys(store.story_key_counts(sorted({k for keys in shared.values() for k in keys})), cfg.cluster)
    return {p for p, keys in shared.items() if p not in dups and len(keys & live) < cfg.cluster.min_shared_keys}


def update_stories(store: Store, cfg: PipelineConfig, progress: ProgressFactory = _no_progress) -> int:
    """Provenance, cross-check and brief for every dirty story."""
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
        _group_pending(store, cfg)
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
            edges = sorted((str(a), str(b), float(s)) for cols in _parquet_batches(
                work_dir, "edges", ["a", "b", "score"]) for a, b, s in zip(*cols.values(), strict=True))
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
            _group_pending(store, cfg)
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
