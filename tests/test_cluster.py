"""Story clustering: order independence, incremental == full, quality floors on ECB+ and SemEval."""

from __future__ import annotations

import csv
import itertools
import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA
from unspun.evaluation import cluster as cluster_eval
from unspun.models import sentence_encoder
from unspun.pipeline import PipelineConfig, run_items
from unspun.records import Article, StoryFeatures
from unspun.stages import cluster, linkage, scoring
from unspun.stages.ingest import article_from_text
from unspun.storage.sqlite import SQLiteStore

ECB = DATA / "ecbplus/ecbplus-topics-1-35.jsonl"
CFG = cluster.ClusterConfig()


def _ecb(topics: set[int]) -> list[tuple[dict[str, object], Article]]:
    rows = [json.loads(line) for line in ECB.open(encoding="utf-8")]
    return [(r, article_from_text(str(r["id"]), str(r["text"]), key=str(r["id"]))) for r in rows if r["topic"] in topics]


@pytest.fixture(scope="module")
def ecb_features() -> dict[str, StoryFeatures]:
    # Topics whose two events are easy to confuse (rehab, earthquakes, shootings, elections).
    arts = [a for _, a in _ecb({1, 3, 4, 8, 12})]
    return cluster_eval.story_features(arts, sentence_encoder(), True, CFG)[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_order_gives_the_same_stories(ecb_features: dict[str, StoryFeatures], seed: int) -> None:
    ids = sorted(ecb_features)
    expected = cluster.cluster_features(ecb_features, CFG)
    shuffled = ids[:]
    random.Random(seed).shuffle(shuffled)
    assert cluster.cluster_features({i: ecb_features[i] for i in shuffled}, CFG) == expected
    # and edge lists in any order give the same average-link merges
    edges = cluster.edges_for(cluster.candidate_pairs(ecb_features), ecb_features, CFG)
    random.Random(seed).shuffle(edges)
    assert cluster.cluster_edges(shuffled, edges, CFG) == expected



def test_batch_scores_equal_pair_scores_in_any_batch(ecb_features: dict[str, StoryFeatures]) -> None:
    """edges_for scores candidate pairs in bulk: each score equals similarity() for that pair,
    whatever other pairs share its batch, and a mixed batch (parsed and unparsed, with and
    without vectors, full dates, years and none) takes each channel's branch per pair."""

    feats = dict(ecb_features)
    ids = sorted(feats)
    for k, i in enumerate(ids[::3]):  # strip parser, vector or anchor from a third of them
        f = feats[i]
        feats[i] = [replace(f, entities={}, parsed=False), replace(f, dense=""), replace(f, anchor=None),
                    replace(f, anchor=(f.anchor or "2011")[:4])][k % 4]
    pairs = cluster.candidate_pairs(feats)
    assert len(pairs) > 1000
    loose = replace(CFG, edge_floor=-10.0)
    bulk = cluster.edges_for(pairs, feats, loose)
    assert [(a, b) for a, b, _ in bulk] == pairs
    assert all(s == cluster.similarity(feats[a], feats[b], CFG) for a, b, s in bulk)
    some = random.Random(3).sample(pairs, 300)
    alone = {(a, b): s for a, b, s in cluster.edges_for(some, feats, loose)}
    assert all(alone[(a, b)] == s for a, b, s in bulk if (a, b) in alone)
    assert {(a, b) for a, b, s in bulk if s >= CFG.edge_floor} == {(a, b) for a, b, _ in cluster.edges_for(pairs, feats, CFG)}


def test_time_moves_only_pairs_whose_content_makes_an_edge(ecb_features: dict[str, StoryFeatures]) -> None:
    """Articles of different ECB+ topics that happen to name the same first year are not
    brought closer by it (nor those naming different years pushed apart), while articles whose
    content reaches the edge floor still get the time adjustment."""
    topic = {a.id: r["topic"] for r, a in _ecb({1, 3, 4, 8, 12})}
    flat = replace(CFG, time_bonus=0.0, time_penalty=0.0)
    low = across = moved = 0
    for a, b in cluster.candidate_pairs(ecb_features):
        fa, fb = ecb_features[a], ecb_features[b]
        adjust = cluster._time(fa.anchor, fb.anchor, CFG)
        if not adjust:
            continue
        content = cluster.similarity(fa, fb, flat)
        if content < CFG.time_min_content:
            low += 1
            across += topic[a] != topic[b]
            assert cluster.similarity(fa, fb, CFG) == content
        else:
            moved += 1
            assert cluster.similarity(fa, fb, CFG) == pytest.approx(content + adjust, abs=2e-6)
    assert across > 100 and low > across and moved > 100, (low, across, moved)


def test_dense_dots_by_matrix_product_equal_pairwise_sums(ecb_features: dict[str, StoryFeatures]) -> None:
    # Stored vectors are float16 values, so a BLAS product over many pairs at once gives each
    # pair exactly the float64 pairwise sum that similarity() takes; both paths, every pair.
    ids = sorted(ecb_features)[:250]
    table = scoring._Table(scoring.columns_of({i: ecb_features[i] for i in ids}), CFG)
    assert table.exact_order_free
    x, y = np.triu_indices(len(ids), 1)
    by_product = table._dense_dots(scoring._Pairs(x, y))
    table.exact_order_free = False
    by_rows = table._dense_dots(scoring._Pairs(x, y))
    vecs = [cluster.dense_of(ecb_features[i]) for i in ids]
    expected = np.array([cluster._dot(vecs[a], vecs[b]) for a, b in zip(x.tolist(), y.tolist(), strict=True)])
    assert np.array_equal(by_product, expected) and np.array_equal(by_rows, expected)
    # A long vector (an encoder that does not normalize) could round in a sum: rows path only.
    long = dict(ecb_features)
    long[ids[0]] = replace(long[ids[0]], dense=cluster._pack(10 * vecs[0]))
    assert not scoring._Table(scoring.columns_of({i: long[i] for i in ids}), CFG).exact_order_free


def test_sparse_dots_equal_the_cosine_definition_bit_for_bit(ecb_features: dict[str, StoryFeatures]) -> None:
    # The name channel of a batch is one sparse product over the batch's rows and columns;
    # each entry must be cosine()'s sum in word order exactly, not merely after rounding (an
    # elementwise product summed along rows gave another last bit for about one pair in ten).
    ids = sorted(ecb_features)[:300]
    cols = scoring.columns_of({i: ecb_features[i] for i in ids})
    x, y = np.triu_indices(len(ids), 1)
    few = np.random.default_rng(5).permutation(len(x))[:600]  # scattered pairs: the halving path
    for xs, ys in ((x, y), (x[few], y[few])):
        got = scoring._Table._rowdot(cols.names.matrix, scoring._Pairs(xs, ys))
        expected = [cluster.cosine(ecb_features[ids[a]].names, ecb_features[ids[b]].names)
                    for a, b in zip(xs.tolist(), ys.tolist(), strict=True)]
        assert got.tolist() == expected
        assert sum(v > 0 for v in expected) > 20


def test_stories_are_mostly_pure_and_do_group(ecb_features: dict[str, StoryFeatures]) -> None:
    event = {a.id: str(r["event"]) for r, a in _ecb({1, 3, 4, 8, 12})}
    groups = cluster.cluster_features(ecb_features, CFG)
    p, r, f = cluster_eval.b_cubed([next(k for k, g in enumerate(groups) if i in g) for i in sorted(event)],
                                   [event[i] for i in sorted(event)])
    assert p >= 0.85 and r >= 0.8, (p, r, f)
    assert len(groups) < len(event) / 3


def test_average_link_on_a_sparse_graph() -> None:
    # a-b-c form a tight triangle (a-b first, then c at mean 0.825); d hangs off c with one
    # edge, so its mean link to the triangle is 0.7 / 3 = 0.233: alone at 0.4, joined at 0.2.
    edges = [("a", "b", 0.9), ("a", "c", 0.8), ("b", "c", 0.85), ("c", "d", 0.7)]
    assert cluster.average_link("abcde", edges, 0.4) == [["a", "b", "c"], ["d"], ["e"]]
    assert cluster.average_link("abcde", edges, 0.2) == [["a", "b", "c", "d"], ["e"]]
    # a strong pair forms before a weaker one joins: with c-d at 0.9, c and d pair first and
    # then {a,b} meets {c,d} at (0.8 + 0.85) / 4 = 0.4125
    strong = [*edges[:3], ("c", "d", 0.9)]
    assert cluster.average_link("abcd", strong, 0.42) == [["a", "b"], ["c", "d"]]
    assert cluster.average_link("abcd", strong, 0.41) == [["a", "b", "c", "d"]]


def _naive_average_link(nodes: list[str], edges: list[tuple[str, str, float]], threshold: float) -> list[list[str]]:
    """The definition, recomputed from scratch at every step: the oracle for the fast one."""
    score = {frozenset((a, b)): s for a, b, s in edges}
    clusters = [[n] for n in sorted(nodes)]
    while True:
        best: tuple[float, str, str] | None = None
        for i, p in enumerate(clusters):
            for q in clusters[i + 1 :]:
                mean = sum(score.get(frozenset((a, b)), 0.0) for a in p for b in q) / (len(p) * len(q))
                key = (-mean, min(p[0], q[0]), max(p[0], q[0]))
                if mean >= threshold and (best is None or key < best):
                    best = key
        if best is None:
            return sorted(clusters)
        p = next(c for c in clusters if c[0] == best[1])
        q = next(c for c in clusters if c[0] == best[2])
        clusters = [c for c in clusters if c is not p and c is not q] + [sorted(p + q)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(1, 16)), max_size=40))
def test_average_link_and_its_components_follow_the_definition(raw: list[tuple[int, int, int]]) -> None:
    # Scores are sixteenths, so every sum is exact and the oracle's order of adding is moot.
    nodes = [f"n{i}" for i in range(10)]
    edges = sorted({(f"n{min(a, b)}", f"n{max(a, b)}"): k / 16 for a, b, k in raw if a != b}.items())
    flat = [(a, b, s) for (a, b), s in edges]
    expected = _naive_average_link(nodes, flat, 0.4)
    assert cluster.average_link(nodes, flat, 0.4) == expected
    assert cluster.cluster_edges(nodes, flat, replace(CFG, threshold=0.4)) == expected


def test_reciprocal_rounds_equal_the_sparse_heap_on_real_graphs(ecb_features: dict[str, StoryFeatures]) -> None:
    # The real graph of five easily confused ECB+ topics (full features), at three cuts: the
    # rounds of reciprocal nearest neighbours give the sparse heap's clusters, and the cuts do
    # split.  Scores off the millionth grid go the heap's way.
    edges = cluster.edges_for(cluster.candidate_pairs(ecb_features), ecb_features, CFG)
    nodes = sorted(ecb_features)
    for threshold in (0.3, 0.4, 0.55):
        sparse = linkage.average_link(nodes, edges, threshold)
        assert 5 < len(sparse) < len(nodes) - 5
        assert linkage.cluster_graph(nodes, edges, threshold) == sparse, threshold
        i, j, w = linkage.edge_rows({x: k for k, x in enumerate(nodes)}, edges)
        assert linkage._round_labels(len(nodes), i, j, w, threshold) is not None
    off_grid = [(a, b, s + 1e-8) for a, b, s in edges]
    i, j, w = linkage.edge_rows({x: k for k, x in enumerate(nodes)}, off_grid)
    assert linkage._round_labels(len(nodes), i, j, w, 0.4) is None
    assert linkage.cluster_graph(nodes, off_grid, 0.4) == linkage.average_link(nodes, off_grid, 0.4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 24), st.integers(0, 24), st.integers(1, 1_200_000)), max_size=150))
def test_reciprocal_rounds_follow_the_sparse_heap(raw: list[tuple[int, int, int]]) -> None:
    # Scores in millionths up to 1.2 (a time bonus lifts some above 1) and pairs listed twice
    # (their scores add up): both implementations give the same clusters.
    nodes = [f"n{i:02d}" for i in range(25)]
    flat = [(f"n{a:02d}", f"n{b:02d}", k / 1e6) for a, b, k in raw if a != b]
    assert linkage.cluster_graph(nodes, flat, 0.4) == linkage.average_link(nodes, flat, 0.4)


def test_reciprocal_rounds_widen_sums_that_outgrow_int32() -> None:
    # A story of 64 articles, every pair scored: once merged clusters reach 47 articles a sum
    # of their pair scores in millionths can pass 2**31, so the rounds hold sums as int64
    # from then on; the clusters are still the heap's.  A weakly tied fringe stays apart, and
    # pairs listed twice add up.
    rng = random.Random(7)
    nodes = [f"n{i:02d}" for i in range(80)]
    edges = [(nodes[a], nodes[b], rng.randint(450_000, 1_000_000) / 1e6) for a in range(64) for b in range(a + 1, 64)]
    edges += [(nodes[a], nodes[b], rng.randint(1, 900_000) / 1e6) for a in range(60, 80) for b in range(a + 1, 80)
              if a >= 64 or rng.random() < 0.2]
    expected = linkage.average_link(nodes, edges, 0.4)
    assert max(len(g) for g in expected) >= 64
    assert linkage.cluster_graph(nodes, edges, 0.4) == expected
    i, j, w = linkage.edge_rows({x: k for k, x in enumerate(nodes)}, edges)
    _, indices, sums = linkage.upper_graph(len(nodes), i, j, np.rint(w * 1e6).astype(np.int64))
    assert sums.dtype == np.int32 and len(indices) == len({(a, b) for a, b, _ in edges}) < len(edges)  # listed twice: summed


def test_words_are_weighed_by_the_article_language() -> None:
    # Real Spanish and German SemEval texts: in the English table their function words look
    # rare and become keys shared by every article of the language; in their own, they are not.
    with (DATA / "semeval2022-t8/pairs-dev.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for lang, common in (("es", {"que", "los", "para"}), ("de", {"der", "und", "sich"})):
        texts = [r["text1"] for r in rows if r["lang1"] == lang][:40]
        assert len(texts) == 40
        as_english = [cluster.features(Article(id=f"x{k}", source="t", text=t)) for k, t in enumerate(texts)]
        as_own = [cluster.features(Article(id=f"x{k}", source="t", text=t, language=lang)) for k, t in enumerate(texts)]
        english_keys = {k[2:] for f in as_english for k in f.keys}
        own_keys = {k[2:] for f in as_own for k in f.keys}
        assert common <= english_keys and not common & own_keys, lang
        # Capitalized common words (sentence openings) stop counting as names too.
        assert sum(map(len, (f.names for f in as_own))) < sum(map(len, (f.names for f in as_english)))
    assert cluster.table_language(Article(id="x", source="t", text="", language="pt-BR")) == "pt"
    assert cluster.table_language(Article(id="x", source="t", text="", language="xx")) == "en"
    assert cluster.table_language(Article(id="x", source="t", text="")) == "en"


def test_blocking_keys_and_channels_degrade_without_models() -> None:
    (_, art), *_ = _ecb({1})
    bare = cluster.features(art, None, None, CFG)
    assert bare.dense == "" and not bare.parsed and bare.entities == {}
    assert all(k.startswith("w:") for k in bare.keys) and 0 < len(bare.keys) <= CFG.block_keys
    # Embedding bands, when configured, file an article under its sign-bit groups too; off by
    # default, so a vector adds no key.
    vec = np.random.default_rng(1).standard_normal(64).astype(np.float32)
    vec /= np.linalg.norm(vec)
    assert cluster.features(art, vec, None, CFG).keys == bare.keys
    banded = cluster.features(art, vec, None, replace(CFG, dense_bands=4, dense_rows=8))
    assert sorted(k[:3] for k in banded.keys if not k.startswith("w:")) == ["d0:", "d1:", "d2:", "d3:"]
    assert len(banded.keys) == len(bare.keys) + 4
    # with only the word channels left, an article scores 1 against itself (plus the time bonus
    # when it has a time anchor)
    bonus = CFG.time_bonus if bare.anchor else 0.0
    assert cluster.similarity(bare, bare, CFG) == pytest.approx(1.0 + bonus, abs=1e-3)


def test_growing_store_ends_as_one_full_run(tmp_path: Path) -> None:
    """Three batches in a shuffled order, through the real pipeline and a SQLite file, give the
    stories, edges and duplicates a single run over everything gives: the first batch and the
    single run take the whole-corpus path, the later batches (under half the store) the
    incremental one.  Two exact copies make sure duplicates cross from one path to the other."""
    arts = [a for _, a in _ecb({3, 12})][:36]
    copies = [replace(a, id=a.id + "-copy", source=a.source + "#copy") for a in (arts[2], arts[30])]
    arts += copies
    cfg = PipelineConfig(semantic=False)  # keeps the test fast; the dense channel is pure per article

    def state(store: SQLiteStore) -> tuple[object, ...]:
        return (sorted(s.article_ids for s in store.stories()), store.edges(), store.duplicate_pairs(),
                store.duplicate_links())

    with SQLiteStore(tmp_path / "full.db") as full:
        run_items(arts, full, cfg)
        expected = state(full)
    shuffled = arts[:]
    random.Random(7).shuffle(shuffled)
    with SQLiteStore(tmp_path / "grown.db") as grown:
        for batch in (shuffled[:20], shuffled[20:30], shuffled[30:]):
            run_items(batch, grown, cfg)
        assert state(grown) == expected
    stories, edges, pairs, _ = expected
    assert isinstance(stories, list) and 1 < len(stories) < len(arts) / 2 and edges
    assert {(a, b) for a, b, kind, _ in pairs if kind == "exact"} >= {tuple(sorted((c.id, c.id[:-5]))) for c in copies}


@pytest.fixture(scope="module")
def ecb_result() -> dict[str, object]:
    return cluster_eval.score_ecbplus(ECB)


def test_ecbplus_validation_floor_and_baselines(ecb_result: dict[str, object]) -> None:
    val = ecb_result["validation (topics 26-35)"]
    assert isinstance(val, dict)
    ours = val["unspun"]["b3_f1"]
    assert ours >= 0.92, val
    assert ours > val["TF-IDF average link"]["b3_f1"]
    assert ours > val["BERTopic (UMAP + HDBSCAN)"]["b3_f1"]
    assert val["unspun fast path (static model, no parser)"]["b3_f1"] >= 0.88


def test_semeval_english_pairs(tmp_path: Path) -> None:
    src = DATA / "semeval2022-t8/pairs-dev.csv"
    with src.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r["lang1"] == "en" and r["lang2"] == "en"]
        fields = reader.fieldnames or []
    path = tmp_path / "en-en.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    res = cluster_eval.score_semeval(path)["en-en"]
    # The target; this measures 0.795 (see benchmarks/results/cluster.md).
    assert res["pairs"] == 161 and res["unspun"] >= 0.78, res
    assert res["unspun"] > res["TF-IDF cosine"]


def test_static_rows_lose_the_common_direction() -> None:
    """The fast path's rows: articles of unrelated ECB+ topics look less alike by default than
    a plain mean of token vectors makes them (0.57 mean cosine raw; about 0.37 with the
    common direction out), while articles of one topic stay close."""
    from unspun.models import static_encoder

    enc = static_encoder()
    if enc is None:
        pytest.skip("static encoder unavailable")
    rows = [json.loads(line) for line in (DATA / "ecbplus/ecbplus-topics-1-35.jsonl").open(encoding="utf-8")]
    vecs = enc.encode([cluster.embed_text(Article(id=str(r["id"]), source="ecb", text=str(r["text"]))) for r in rows])
    assert vecs.shape == (len(rows), 256)
    topic = [int(r["topic"]) for r in rows]
    sims = vecs @ vecs.T
    same = [sims[i, j] for i in range(len(rows)) for j in range(i) if topic[i] == topic[j]]
    other = [sims[i, j] for i in range(len(rows)) for j in range(i) if topic[i] != topic[j]]
    assert sum(other) / len(other) < 0.45
    assert sum(same) / len(same) - sum(other) / len(other) > 0.3


def test_block_purging_drops_exactly_the_pairs_only_big_blocks_made(ecb_features: dict[str, StoryFeatures]) -> None:
    """A key filed under more than max_block articles pairs nobody; pairs that also share a
    smaller block stay.  Checked against a brute-force reading of the definition."""
    from collections import Counter

    counts = Counter(k for f in ecb_features.values() for k in f.keys)
    cap = sorted(counts.values())[-40]  # the 40 biggest blocks (some tied) are at or above it
    capped = replace(CFG, max_block=cap - 1)
    live = cluster.live_keys(counts, capped)
    ids = sorted(ecb_features)
    brute = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]
             if set(ecb_features[a].keys) & set(ecb_features[b].keys) & live]
    full = cluster.candidate_pairs(ecb_features, CFG)
    assert cluster.candidate_pairs(ecb_features, capped) == brute
    assert 0 < len(brute) < len(full) and set(brute) < set(full)
    # the default limit is far above any ECB+ block, so tuned figures do not move
    assert max(counts.values()) < CFG.max_block / 10
    # two shared live keys: the pairs with at least two of them, and no others
    two = replace(capped, min_shared_keys=2)
    assert cluster.candidate_pairs(ecb_features, two) == [
        (a, b) for a, b in brute if len(set(ecb_features[a].keys) & set(ecb_features[b].keys) & live) >= 2]
    assert 0 < len(cluster.candidate_pairs(ecb_features, two)) < len(brute)


def test_columns_built_in_chunks_cluster_as_one_build(ecb_features: dict[str, StoryFeatures]) -> None:
    """A million articles' features are built in chunks (worker processes) and joined: every
    vocabulary is merged in word order, so the joined columns score and cluster exactly as
    columns built over everything at once, and as the pairwise definition."""
    ids = sorted(ecb_features)
    random.Random(11).shuffle(ids)
    chunks = [ids[k : k + 97] for k in range(0, len(ids), 97)]
    parts = [scoring.columns_of({i: ecb_features[i] for i in c}, with_terms=k % 2 == 0) for k, c in enumerate(chunks)]
    parts.insert(1, scoring.columns_of({}))  # a worker may hand back an empty chunk
    joined = scoring.concat_columns(parts)
    whole = scoring.columns_of(ecb_features, with_terms=False)
    assert joined.ids == whole.ids and joined.terms is None
    for a, b in ((joined.names, whole.names), (joined.keys, whole.keys), (joined.entities, whole.entities)):
        assert a.vocab == b.vocab and (a.matrix != b.matrix).nnz == 0
        assert np.array_equal(a.matrix.indices, b.matrix.indices)  # word order inside each row
    assert np.array_equal(joined.dense, whole.dense) and np.array_equal(joined.day, whole.day)
    assert [joined.years[k] if k >= 0 else None for k in joined.year] == [whole.years[k] if k >= 0 else None for k in whole.year]
    expected = cluster.cluster_edges(sorted(ecb_features), [
        (a, b, s) for a, b in cluster.candidate_pairs(ecb_features, CFG)
        if (s := cluster.similarity(ecb_features[a], ecb_features[b], CFG)) >= CFG.edge_floor], CFG)
    assert cluster.cluster_columns(joined, CFG) == cluster.cluster_features(ecb_features, CFG) == expected
    one = ids[0]
    assert cluster.cluster_features({}, CFG) == [] and cluster.cluster_features({one: ecb_features[one]}, CFG) == [[one]]
    assert sum(len(g) > 1 for g in expected) >= 10


def test_row_ranges_score_every_candidate_once(ecb_features: dict[str, StoryFeatures]) -> None:
    """An engine deals blocks of rows to its tasks: the scored pairs of disjoint row ranges,
    taken in any order and by any number of tasks, are the whole corpus's, each pair once."""
    cols = scoring.columns_of(ecb_features, with_terms=False)

    def scored(**kw: object) -> list[tuple[int, int, float]]:
        return [e for x, y, v in scoring.scored_rows(cols, CFG, **kw)  # type: ignore[arg-type]
                for e in zip(x.tolist(), y.tolist(), v.tolist(), strict=True)]

    whole = scored()
    n = len(cols)
    ranges = list(itertools.pairwise(sorted({0, 1, 7, n // 3, n // 3 + 1, n // 2, n - 1, n})))
    random.Random(5).shuffle(ranges)
    split = scored(rows=ranges[::2]) + scored(rows=ranges[1::2])
    assert len(whole) > 1000 and len(set(split)) == len(split)
    assert sorted(split) == sorted(whole)


def _mixed(feats: dict[str, StoryFeatures]) -> dict[str, StoryFeatures]:
    """A third of the articles without parser, vector or anchor (each channel's branch)."""
    out = dict(feats)
    for k, i in enumerate(sorted(out)[::3]):
        f = out[i]
        out[i] = [replace(f, entities={}, parsed=False), replace(f, dense=""), replace(f, anchor=None),
                  replace(f, anchor=(f.anchor or "2011")[:4])][k % 4]
    return out


@pytest.mark.parametrize("cfg", [CFG, replace(CFG, min_shared_keys=2), replace(CFG, terms=0.2, edge_floor=-10.0)],
                         ids=["default", "two keys", "terms, every candidate"])
def test_compiled_loop_scores_as_the_array_path(ecb_features: dict[str, StoryFeatures], cfg: cluster.ClusterConfig,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled loop (kernels) makes the same candidates with the same scores, bit for
    bit, as the array path, on any number of threads and for any row ranges."""
    cols = scoring.columns_of(_mixed(ecb_features), with_terms=bool(cfg.terms))
    assert scoring._Table(cols, cfg).exact_order_free

    def scored(**kw: object) -> tuple[list[int], list[int], list[float]]:
        parts = list(scoring.scored_rows(cols, cfg, **kw))  # type: ignore[arg-type]
        return tuple(np.concatenate([p[k] for p in parts]).tolist() for k in range(3))  # type: ignore[return-value]

    array = scored(compiled=False)
    assert len(array[0]) > 1000
    assert scored() == array
    monkeypatch.setattr(scoring, "_THREADS", 1)
    monkeypatch.setattr(scoring, "_KERNEL_ROWS", 7)
    assert scored() == array
    n = len(cols)
    ranges = [(0, 5), (5, n // 2), (n // 2, n)]
    assert scored(rows=ranges) == scored(rows=ranges, compiled=False) == array
    # Given pairs (the growing store's path): candidates and pairs sharing no key, any order.
    rng = random.Random(11)
    given = sorted(set(zip(array[0], array[1], strict=True)) | {tuple(sorted(rng.sample(range(n), 2))) for _ in range(3000)})
    rng.shuffle(given)
    pairs = (np.array([a for a, _ in given], dtype=np.int64), np.array([b for _, b in given], dtype=np.int64))
    assert scored(pairs=pairs) == scored(pairs=pairs, compiled=False)


def test_half_floats_unpack_exactly() -> None:
    """The loop reads stored float16 vectors from their bits: every finite half, subnormals
    and signed zeros included, comes out as its value times 2**-112."""
    from unspun.stages import kernels

    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    halves = bits.view(np.float16)
    finite = bits[np.isfinite(halves)].reshape(1, -1)
    got = kernels._unpack(finite, 0, np.zeros(finite.shape[1], np.uint32)).astype(np.float64) * 2.0**112
    want = finite.view(np.float16)[0].astype(np.float64)
    assert np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("shared", [1, 2])
def test_a_growing_store_drops_the_edges_of_keys_that_outgrow_the_block_limit(tmp_path: Path, shared: int) -> None:
    """Keys pushed past max_block by later batches: the stored edges only they made are
    removed, so the grown store holds the edges and stories of one run over everything.
    With two shared keys required, an edge goes when either of its two keys is purged."""
    arts = [a for _, a in _ecb({3, 12})][:36]
    cfg = PipelineConfig(semantic=False, cluster=replace(CFG, max_block=5, min_shared_keys=shared))
    with SQLiteStore(tmp_path / "full.db") as full:
        run_items(arts, full, cfg)
        expected = (sorted(s.article_ids for s in full.stories()), full.edges())
    with SQLiteStore(tmp_path / "open.db") as unbounded:
        run_items(arts, unbounded, PipelineConfig(semantic=False, cluster=replace(CFG, min_shared_keys=shared)))
        assert len(unbounded.edges()) > len(expected[1])  # the limit removes pairs here
    shuffled = arts[:]
    random.Random(11).shuffle(shuffled)
    with SQLiteStore(tmp_path / "grown.db") as grown:
        run_items(shuffled[:18], grown, cfg)  # the whole-corpus path
        early = grown.edges()
        for batch in (shuffled[18:27], shuffled[27:]):  # under half the store each: the incremental path
            run_items(batch, grown, cfg)
        assert set(early) - set(grown.edges())  # some edge made early was dropped later
        assert (sorted(s.article_ids for s in grown.stories()), grown.edges()) == expected


def test_plain_words_skip_the_tokenizer() -> None:
    """Lowercase ASCII words are looked up in wordfreq's table directly (a million articles
    hold millions of distinct words); the figure must be zipf_frequency's exactly, for real
    words of every benchmark language, for words the table lacks, and for the rest (accents,
    digits, capitals, Chinese), which still go through wordfreq."""
    import re

    from wordfreq import zipf_frequency

    from unspun.textutil import fold

    words: set[str] = set()
    langs: set[str] = set()
    with (DATA / "semeval2022-t8/pairs-dev.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            for k in "12":
                langs.add(r[f"lang{k}"])
                words.update(re.findall(r"\w+", r[f"text{k}"])[:120])
    for line in ECB.open(encoding="utf-8"):
        words.update(re.findall(r"\w+", json.loads(line)["text"])[:60])
    sample = sorted(words)
    random.Random(2).shuffle(sample)
    sample = sample[:4000] + [fold(w) for w in sample[:4000]] + ["zorbanikan", "kelumavin"]
    plain = 0
    for lang in sorted(langs):
        for w in sample:
            quick = cluster._plain_zipf(w, lang)
            if quick is not None:
                plain += 1
                assert quick == zipf_frequency(w, lang) == cluster.word_zipf(w, lang), (w, lang)
    assert "zh" in langs and cluster._plain_table("zh") is None
    assert plain > 20_000
