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

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .engines.local import LocalEngine
from .models import sentence_encoder
from .nlp import entities, parser
from .records import Article, Derivation, Fact, InputError, OutletProfile, Signal, dumps
from .stages import brief as brief_stage
from .stages import clean, cluster, crosscheck, dedup, facts, ingest, provenance
from .storage.base import ArticleIndex, Store, StoryOutputs

__all__ = [
    "PipelineConfig", "Progress", "RunSummary", "outlet_profiles", "process_article", "run", "run_items", "update_stories",
]


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    ingest: ingest.IngestOptions = field(default_factory=ingest.IngestOptions)
    dedup: dedup.DedupConfig = field(default_factory=dedup.DedupConfig)
    cluster: cluster.ClusterConfig = field(default_factory=cluster.ClusterConfig)
    provenance: provenance.ProvenanceConfig = field(default_factory=provenance.ProvenanceConfig)
    crosscheck: crosscheck.CrossCheckConfig = field(default_factory=crosscheck.CrossCheckConfig)
    brief: brief_stage.BriefConfig = field(default_factory=brief_stage.BriefConfig)
    # MiniLM: semantic sentence alignment in provenance and the dense channel of clustering; off,
    # or with the model missing, only verbatim and lightly edited copies are found and stories
    # are grouped on words, names and time.
    semantic: bool = True
    # spaCy: reported speech, speakers, and the named entities clustering uses; off, or with the
    # model missing, quotes come from quotation marks and cue patterns only.
    parser: bool = True


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


def process_article(article: Article, cfg: PipelineConfig) -> tuple[Article, list[Fact], ArticleIndex]:
    """Every per-article stage: the same function whichever engine runs it."""
    cleaned = clean.clean_article(article)
    nlp = parser() if cfg.parser else None
    found = facts.extract_facts(cleaned, nlp)
    sig = dedup.signature(cleaned, cfg.dedup)
    bands, rows = dedup.lsh_params(cfg.dedup.threshold, cfg.dedup.num_perm)
    encoder = sentence_encoder() if cfg.semantic else None
    dense = encoder.encode([cluster.embed_text(cleaned)])[0] if encoder is not None else None
    found_ents = entities([cleaned.clean_text or cleaned.text]) if nlp is not None else None
    index = ArticleIndex(
        exact_key=dedup.exact_key(cleaned), signature=sig, band_keys=tuple(dedup.band_keys(sig, bands, rows)),
        features=cluster.features(cleaned, dense, found_ents[0] if found_ents else None, cfg.cluster),
    )
    return cleaned, found, index


def _group_pending(store: Store, cfg: PipelineConfig) -> int:
    """Dedup and cluster the pending articles against the store, recomputing only the
    connected components they touch (see stages/cluster for why that equals a full run)."""
    pending = store.pending_ids()
    if not pending:
        return 0
    mine = store.story_features(pending)
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
        for other in store.ids_with_story_keys(mine[pid].keys):
            if other != pid:
                candidates.add((min(pid, other), max(pid, other)))
    feats = store.story_features({x for pair in candidates for x in pair})
    scored = {(a, b): (a, b, s) for a, b, s in cluster.edges_for(sorted(candidates), feats, cfg.cluster)}
    # A duplicate is always in its canonical's story, whatever its story score.
    for a, b, _, _ in pairs.values():
        scored[(a, b)] = (a, b, 1.0)
    new_edges = sorted(scored.values())
    # Everything connected to a pending article, through stored and new edges.
    touched: set[str] = set(pending)
    frontier = set(pending)
    edges: set[tuple[str, str, float]] = set(new_edges)
    while frontier:
        found = store.edges_touching(frontier) + [e for e in new_edges if e[0] in frontier or e[1] in frontier]
        edges.update(found)
        frontier = {x for a, b, _ in found for x in (a, b)} - touched
        touched |= frontier
    groups = cluster.cluster_edges(sorted(touched), sorted(edges), cfg.cluster)
    kept = [s for s in store.stories() if not touched.intersection(s.article_ids)]
    stories = kept + cluster.make_stories(groups, store.articles(touched))
    articles = store.articles()
    links = dedup.duplicate_links(articles, store.duplicate_pairs() + list(pairs.values()))
    store.commit_grouping(pending, sorted(pairs.values()), new_edges, sorted(stories, key=lambda s: s.id), links)
    return len(pending)


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
        dup_of = {link.article_id: link.canonical_id for link in links if link.article_id in arts}
        found = store.facts(story.article_ids)
        originals = [a for a in arts.values() if a.id not in dup_of]
        derivations, signals = provenance.trace_story(originals, cfg.provenance, encoder)
        checks = crosscheck.crosscheck_story(sid, arts, found, dup_of, cfg.crosscheck)
        story_links = [link for link in links if link.article_id in arts]
        brief = brief_stage.make_brief(story, arts, found, checks, derivations, signals, story_links, cfg.brief)
        store.put_story_outputs(sid, StoryOutputs(tuple(derivations), tuple(signals), tuple(checks), brief))
        bar.update(1)
    bar.close()
    return len(dirty)


def run(
    paths: Sequence[str | Path],
    store: Store,
    cfg: PipelineConfig | None = None,
    progress: ProgressFactory = _no_progress,
    engine: LocalEngine | None = None,
) -> RunSummary:
    """Read ``paths`` and take them through every stage into ``store``; return what happened."""
    cfg = cfg or PipelineConfig()
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
