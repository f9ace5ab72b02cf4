"""Grouping: deduplication and story clustering of the pending articles against the store.

Two paths, one result.  A few new articles against a big store take the incremental path
(:func:`_group_some`): each new article finds its duplicates and story candidates through the
store's indexes, and only the components it touches are clustered again.  When the pending
articles are half the store or more (a first run, above all), the whole corpus is grouped at
once (:func:`_group_all`): features are read a page at a time into columns, candidates come
from the key incidence matrix block by block, and average link runs over arrays -- the batch
path of the benchmarks and the Spark engine, with no per-article query and no Python object
per candidate pair.  Both give what a run over every article would; the tests hold them to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import numpy.typing as npt

from .records import DuplicateLink, Story
from .stages import cluster, dedup, linkage, scoring
from .steps import PipelineConfig
from .storage.base import Store

__all__ = ["group_pending", "resign_stale"]

# Articles read from the store at once on the batch path: a page of story features (about
# 24 KB each as records, while their columns are built) or of articles for story titles.
_PAGE = 5000


def group_pending(store: Store, cfg: PipelineConfig) -> int:
    """Dedup and cluster the pending articles; returns how many there were."""
    pending = store.pending_ids()
    if not pending:
        return 0
    resign_stale(store, cfg)
    if 2 * len(pending) >= store.article_count():
        return _group_all(store, cfg, pending)
    return _group_some(store, cfg, pending)


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


def _group_some(store: Store, cfg: PipelineConfig, pending: list[str]) -> int:
    """Dedup and cluster the pending articles against the store, recomputing only the
    connected components they touch (see stages/cluster for why that equals a full run)."""
    mine = store.story_features(pending)
    filed = Counter(k for pid in pending if pid in mine for k in mine[pid].keys)
    counts = store.story_key_counts(sorted(filed))  # the pending articles are filed already
    live = cluster.live_keys(counts, cfg.cluster)
    pairs: dict[tuple[str, str], tuple[str, str, str, float]] = {}
    candidates: set[tuple[str, str]] = set()
    banded: dict[str, list[str]] = {}
    sigs: dict[str, tuple[int, ...]] = {}
    for pid in pending:
        idx = store.index(pid)
        if idx is None:
            continue
        sigs[pid] = idx.signature
        for other in store.ids_with_exact_key(idx.exact_key):
            if other != pid:
                key = (min(pid, other), max(pid, other))
                pairs[key] = (*key, "exact", 1.0)
        banded[pid] = [other for other in store.ids_with_band_keys(idx.band_keys) if other != pid]
        for other in store.ids_with_story_keys([k for k in mine[pid].keys if k in live]):
            if other != pid:
                candidates.add((min(pid, other), max(pid, other)))
    # Band sharers' signatures in one read (an exact pair needs no estimate).
    sigs |= store.signatures({o for pid, others in banded.items() for o in others} - sigs.keys())
    for pid, others in banded.items():
        for other in others:
            key = (min(pid, other), max(pid, other))
            if key not in pairs and (near := _near_pair(key, sigs, cfg)):
                pairs[key] = near
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
    threshold = cfg.cluster.threshold
    strong_new = [(a, b) for a, b, s in new_edges if s >= threshold]
    frontier = set(touched)
    while frontier:  # only the edges at the threshold spread the component
        found = [(a, b) for a, b, _ in store.edges_touching(frontier, at_least=threshold) if (a, b) not in dropped]
        found += [(a, b) for a, b in strong_new if a in frontier or b in frontier]
        frontier = {x for pair in found for x in pair} - touched
        touched |= frontier
    edges = [e for e in store.edges_touching(touched) if e[0] in touched and e[1] in touched and (e[0], e[1]) not in dropped]
    edges += [e for e in new_edges if e[0] in touched and e[1] in touched]
    groups = cluster.cluster_edges(sorted(touched), sorted(edges), cfg.cluster)
    kept = [s for s in stored if not touched.intersection(s.article_ids)]
    # A regrouped story with the same members is the stored story: only new ones need their
    # articles (titles, dates) read.
    same = {s.article_ids: s for s in stored if touched.issuperset(s.article_ids)}
    fresh = [g for g in groups if tuple(g) not in same]
    stories = (kept + [same[tuple(g)] for g in groups if tuple(g) in same]
               + cluster.make_stories(fresh, store.articles(x for g in fresh for x in g)))
    links = _relinked(store, known_pairs, list(pairs.values()))
    store.commit_grouping(pending, sorted(pairs.values()), new_edges, sorted(stories, key=lambda s: s.id), links,
                          sorted(dropped))
    return len(pending)


def _relinked(store: Store, known: list[tuple[str, str, str, float]], new: list[tuple[str, str, str, float]],
              ) -> list[DuplicateLink]:
    """The duplicate links after ``new`` pairs join the ``known`` ones: a group of duplicates
    the new pairs reach gets its canonical chosen again, every other keeps its stored links
    (a group's links depend on its own pairs and members only)."""
    every = known + new
    hit = {x for p in new for x in p[:2]}
    redo: set[str] = set()
    if hit:
        for members in linkage.components({x for p in every for x in p[:2]}, [(p[0], p[1]) for p in every]):
            if hit.intersection(members):
                redo.update(members)
    kept = [link for link in store.duplicate_links() if link.article_id not in redo]
    fresh = dedup.duplicate_links(store.articles(redo), [p for p in every if p[0] in redo])
    return sorted(kept + fresh, key=lambda link: link.article_id)


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


def _corpus_columns(store: Store, cfg: PipelineConfig) -> scoring.Columns | None:
    parts, after = [], ""
    while page := store.feature_page(after, _PAGE):
        parts.append(scoring.columns_of(dict(page), with_terms=bool(cfg.cluster.terms)))
        after = page[-1][0]
    return scoring.concat_columns(parts) if parts else None


def _all_duplicate_pairs(store: Store, cfg: PipelineConfig) -> dict[tuple[str, str], tuple[str, str, str, float]]:
    pairs = {(a, b): (a, b, "exact", 1.0) for group in store.exact_key_groups() for a, b in combinations(group, 2)}
    banded = [p for p in store.band_sharing_pairs() if p not in pairs]
    sigs = store.signatures({x for p in banded for x in p})
    for key in banded:
        if near := _near_pair(key, sigs, cfg):
            pairs[key] = near
    return pairs


def _near_pair(key: tuple[str, str], sigs: dict[str, tuple[int, ...]], cfg: PipelineConfig,
               ) -> tuple[str, str, str, float] | None:
    """Two band sharers as a near-duplicate pair, if their MinHash estimate reaches the threshold."""
    a, b = key
    sim = dedup.jaccard_estimate(sigs[a], sigs[b]) if a in sigs and b in sigs else 0.0
    return (a, b, "near", round(sim, 4)) if sim >= cfg.dedup.threshold else None


def _all_edges(cols: scoring.Columns, ids: Sequence[str], dups: Sequence[tuple[str, str]], cfg: PipelineConfig,
               ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Every scored candidate pair at or above the edge floor as row numbers into ``ids``,
    with the duplicate pairs at 1.0 (a duplicate is always in its canonical's story)."""
    row = {x: k for k, x in enumerate(ids)}
    remap = np.array([row[x] for x in cols.ids], dtype=np.int64)
    xs, ys, vs = [], [], []
    for x, y, v in scoring.scored_rows(cols, cfg.cluster):
        xs.append(remap[x])
        ys.append(remap[y])
        vs.append(v)
    i, j, w = linkage.edge_rows(row, [(a, b, 1.0) for a, b in dups])
    i = np.concatenate([*xs, i])
    j = np.concatenate([*ys, j])
    w = np.concatenate([*vs, w])
    key = i * len(ids) + j
    # The last entry of a key wins: a duplicate pair's 1.0 over its story score.
    order = np.lexsort((np.arange(len(key)), key))
    last = np.ones(len(key), dtype=bool)
    last[:-1] = key[order][1:] != key[order][:-1]
    keep = order[last]
    return i[keep], j[keep], w[keep]


def _group_all(store: Store, cfg: PipelineConfig, pending: list[str]) -> int:
    """Dedup and cluster the whole corpus at once (see the module doc)."""
    pairs = _all_duplicate_pairs(store, cfg)
    cols = _corpus_columns(store, cfg)
    ids = sorted(set(pending) | set(cols.ids if cols is not None else ()) | {x for p in pairs for x in p})
    if cols is not None:
        i, j, w = _all_edges(cols, ids, sorted(pairs), cfg)
    else:
        i, j, w = linkage.edge_rows({x: k for k, x in enumerate(ids)}, [(a, b, 1.0) for a, b in sorted(pairs)])
    del cols
    groups = linkage.cluster_rows(ids, i, j, w, cfg.cluster.threshold)
    stories: list[Story] = []
    chunk: list[list[str]] = []
    for k, g in enumerate(groups):  # a page of articles at a time: their titles and dates
        chunk.append(g)
        if sum(map(len, chunk)) >= _PAGE or k == len(groups) - 1:
            stories += cluster.make_stories(chunk, store.articles(x for members in chunk for x in members))
            chunk = []
    found = sorted(pairs.values())
    links = dedup.duplicate_links(store.articles({x for p in found for x in p[:2]}), found)
    edges = [(ids[a], ids[b], s) for a, b, s in zip(i.tolist(), j.tolist(), w.tolist(), strict=True)]
    store.commit_grouping(pending, found, edges, sorted(stories, key=lambda s: s.id), links, replace=True)
    return len(pending)
