"""The store contract: every backend must pass this suite unchanged -- SQLite (a file) and
PostgreSQL (a real server the tests start, one fresh database per test).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import SEEDS
from pgserver import PostgresServer
from unspun.errors import StoreError
from unspun.pipeline import PipelineConfig, process_article
from unspun.records import Article, DuplicateLink, InputError, Story, dumps, to_json
from unspun.stages import dedup
from unspun.stages.ingest import iter_inputs
from unspun.storage import PostgresStore, SQLiteStore, Store, StoryOutputs
from unspun.storage.base import StoryFilter
from unspun.storage.migrations import POSTGRES_SCHEMA_VERSION, SCHEMA_VERSION
from unspun.textutil import words

Factory = Callable[[], Store]


@pytest.fixture(params=["postgres", "sqlite"])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    if request.param == "sqlite":
        return lambda: SQLiteStore(tmp_path / "contract.db")
    dsn = request.getfixturevalue("postgres").new_database()
    return lambda: PostgresStore(dsn)


@pytest.fixture
def store(factory: Factory) -> Iterator[Store]:
    s = factory()
    yield s
    s.close()


@pytest.fixture(scope="module")
def processed() -> list[tuple[Article, list, object]]:
    cfg = PipelineConfig()
    return [process_article(a, cfg) for a in iter_inputs([SEEDS]) if isinstance(a, Article)]


def test_article_round_trip_with_facts_and_index(store: Store, processed: list) -> None:
    art, facts, index = processed[0]
    assert not store.has_article(art.id)
    assert store.add_article(art, facts, index) is True
    assert store.has_article(art.id)
    assert store.get_article(art.id) == art
    assert store.facts([art.id]) == sorted(facts, key=lambda f: f.id)
    assert store.index(art.id) == index
    assert store.ids_with_exact_key(index.exact_key) == [art.id]
    assert store.ids_with_band_keys(list(index.band_keys[:2])) == [art.id]
    assert store.story_features([art.id, "a_missing"]) == {art.id: index.features}
    assert store.ids_with_story_keys([*list(index.features.keys[:3]), "w:no-such-key"]) == [art.id]
    assert store.edges_touching([art.id]) == []
    assert store.get_article("a_missing") is None


def test_a_signature_from_an_older_scheme_is_found_and_replaced(store: Store, processed: list) -> None:
    (art, facts, index), (other, ofacts, oindex) = processed[0], processed[1]
    store.add_article(art, facts, index)
    store.add_article(other, ofacts, replace(oindex, band_keys=("0:deadbeef", "1:cafe")))
    assert store.ids_with_band_scheme_other_than(dedup.BAND_SCHEME) == [other.id]
    store.replace_signature(other.id, oindex.signature, oindex.band_keys)
    assert store.ids_with_band_scheme_other_than(dedup.BAND_SCHEME) == []
    assert store.index(other.id) == oindex
    assert store.ids_with_band_keys(["0:deadbeef"]) == []


def test_adding_an_article_twice_changes_nothing(store: Store, processed: list) -> None:
    art, facts, index = processed[1]
    assert store.add_article(art, facts, index)
    assert store.add_article(art, facts, index) is False
    assert store.article_count() == 1 and len(store.facts([art.id])) == len(facts)


def test_pending_grouping_and_dirty_stories(store: Store, processed: list) -> None:
    for art, facts, index in processed:
        store.add_article(art, facts, index)
    ids = sorted(a.id for a, _, _ in processed)
    assert store.pending_ids() == ids
    story = Story("s_1", "t", tuple(ids))
    link = DuplicateLink(ids[1], ids[0], "near", 0.9)
    changed = store.commit_grouping(ids, [(ids[0], ids[1], "near", 0.9)], [(ids[0], ids[1], 0.5)], [story], [link])
    assert changed == ["s_1"]
    assert store.pending_ids() == []
    assert store.dirty_story_ids() == ["s_1"]
    assert store.stories() == [story] and store.story("s_1") == story
    assert store.duplicate_links() == [link]
    assert store.edges() == [(ids[0], ids[1], 0.5)]
    assert store.duplicate_pairs() == [(ids[0], ids[1], "near", 0.9)]
    # the same grouping again changes no story
    assert store.commit_grouping([], [], [], [story], [link]) == []
    # a story that loses its id goes, with its outputs
    smaller = Story("s_2", "t", tuple(ids[1:]))
    assert store.commit_grouping([], [], [], [smaller, Story("s_3", "u", (ids[0],))], []) == ["s_2", "s_3"]
    assert [s.id for s in store.stories()] == ["s_2", "s_3"] and store.story_outputs("s_1") is None


def test_story_key_counts_and_dropped_edges(store: Store, processed: list) -> None:
    for art, facts, index in processed:
        store.add_article(art, facts, index)
    ids = sorted(a.id for a, _, _ in processed)
    keys = sorted({k for _, _, index in processed for k in index.features.keys})
    counts = store.story_key_counts([*keys, "w:no-such-key"])
    assert counts == {k: sum(k in index.features.keys for _, _, index in processed) for k in keys}
    biggest = max(counts, key=lambda k: (counts[k], k))
    assert store.ids_with_story_keys([biggest]) == sorted(a.id for a, _, index in processed if biggest in index.features.keys)
    store.commit_grouping(ids, [], [(ids[0], ids[1], 0.5), (ids[0], ids[2], 0.3)], [], [])
    # an edge is dropped in the same transaction that adds others
    store.commit_grouping([], [], [(ids[1], ids[2], 0.7)], [], [], [(ids[0], ids[1])])
    assert store.edges() == [(ids[0], ids[2], 0.3), (ids[1], ids[2], 0.7)]
    assert store.edges_touching([ids[1]]) == [(ids[1], ids[2], 0.7)]


def test_whole_corpus_reads_and_a_replacing_grouping(store: Store, processed: list) -> None:
    """What the whole-corpus grouping reads (features a page at a time, shared hashes, band
    sharers, signatures) and its commit, which replaces every pair and edge."""
    (art, facts, index), (other, ofacts, oindex) = processed[0], processed[1]
    twin = replace(art, id=art.id + "-twin")  # the same text under another id
    rows = [(art, facts, index), (other, ofacts, replace(oindex, band_keys=(*oindex.band_keys, index.band_keys[0]))),
            (twin, [], index)]
    for a, f, i in rows:
        store.add_article(a, f, i)
    ids = sorted(a.id for a, _, _ in rows)
    pages, after = [], ""
    while page := store.feature_page(after, 2):
        pages.append(page)
        after = page[-1][0]
    assert [len(p) for p in pages] == [2, 1] and [x for p in pages for x, _ in p] == ids
    assert dict(x for p in pages for x in p) == {a.id: i.features for a, _, i in rows}
    assert store.exact_key_groups() == [sorted([art.id, twin.id])]
    every_band = sorted({(min(x, y), max(x, y)) for x, y in [(art.id, twin.id), (art.id, other.id), (other.id, twin.id)]})
    assert store.band_sharing_pairs() == every_band
    assert store.signatures([other.id, "a_missing"]) == {other.id: oindex.signature}
    store.commit_grouping(ids, [(ids[0], ids[1], "near", 0.9)], [(ids[0], ids[1], 0.5), (ids[0], ids[2], 0.3)], [], [])
    assert store.edges_touching([ids[0]], at_least=0.4) == [(ids[0], ids[1], 0.5)]
    assert store.edges_touching([ids[2]], at_least=0.3) == [(ids[0], ids[2], 0.3)]
    store.commit_grouping([], [(ids[1], ids[2], "exact", 1.0)], [(ids[1], ids[2], 1.0)], [], [], replace=True)
    assert store.edges() == [(ids[1], ids[2], 1.0)] and store.duplicate_pairs() == [(ids[1], ids[2], "exact", 1.0)]


def test_story_outputs_clear_the_dirty_mark(store: Store, processed: list) -> None:
    from unspun.stages.brief import make_brief

    art, facts, index = processed[0]
    store.add_article(art, facts, index)
    story = Story("s_1", "t", (art.id,))
    store.commit_grouping([art.id], [], [], [story], [])
    brief = make_brief(story, {art.id: art}, facts, [], [], [], [])
    out = StoryOutputs((), (), (), brief)
    store.put_story_outputs("s_1", out)
    assert store.dirty_story_ids() == []
    assert store.story_outputs("s_1") == out


def test_settings_first_write_wins_and_survive_reopening(factory: Factory) -> None:
    s = factory()
    assert s.settings() == {}
    assert s.keep_settings({"dedup": '{"threshold": 0.8}', "parser": "true"}) == {
        "dedup": '{"threshold": 0.8}', "parser": "true"}
    # a second writer (another run starting at once) does not overwrite; new names are added
    assert s.keep_settings({"dedup": '{"threshold": 0.5}', "semantic": "false"}) == {
        "dedup": '{"threshold": 0.8}', "parser": "true", "semantic": "false"}
    s.close()
    s = factory()
    assert s.settings()["dedup"] == '{"threshold": 0.8}'
    s.close()


def test_errors_are_kept_once(store: Store) -> None:
    e = InputError("e_1", "bad.txt", "ingest", "binary", "the file holds binary data")
    store.put_error(e)
    store.put_error(e)
    assert store.errors() == [e]


def test_contents_survive_reopening(factory: Factory, processed: list) -> None:
    s = factory()
    art, facts, index = processed[2]
    s.add_article(art, facts, index)
    s.close()
    s = factory()
    assert s.get_article(art.id) == art and s.pending_ids() == [art.id]
    s.close()


def test_a_failed_write_leaves_nothing_behind(store: Store, processed: list) -> None:
    art, facts, index = processed[0]
    store.add_article(art, facts, index)
    with pytest.raises(Exception):  # noqa: B017 - each backend raises its own driver error
        store.commit_grouping([art.id], [], [(art.id, "b", 0.5)], [Story("s_1", "t", (art.id,))],
                              [None])  # type: ignore[list-item]
    assert store.edges() == [] and store.stories() == [] and store.pending_ids() == [art.id]


def test_sqlite_schema_version_and_refusal_of_newer(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    SQLiteStore(path).close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(StoreError, match="upgrade unspun"):
        SQLiteStore(path)


def test_sqlite_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "not.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        SQLiteStore(path)


def _published(store: Store, processed: list) -> list[Story]:
    """The seeds stored in three stories (000+001, 002+003, 004) with their briefs."""
    from unspun.stages import cluster, crosscheck
    from unspun.stages.brief import make_brief

    for art, facts, index in processed:
        store.add_article(art, facts, index)
    arts = {a.id: a for a, _, _ in processed}
    name = {Path(a.source).name[:3]: a.id for a in arts.values()}
    stories = cluster.make_stories([[name["000"], name["001"]], [name["002"], name["003"]], [name["004"]]], arts)
    store.commit_grouping(sorted(arts), [], [], sorted(stories, key=lambda s: s.id), [])
    for st in stories:
        found = store.facts(st.article_ids)
        checks = crosscheck.crosscheck_story(st.id, {i: arts[i] for i in st.article_ids}, found)
        brief = make_brief(st, arts, found, checks, [], [], [])
        store.put_story_outputs(st.id, StoryOutputs((), (), tuple(checks), brief))
    return stories


def test_listing_search_paging_and_story_pages(store: Store, processed: list) -> None:
    stories = _published(store, processed)
    briefs = {s.id: store.story_outputs(s.id).brief for s in stories}  # type: ignore[union-attr]
    newest_first = sorted(stories, key=lambda s: (s.last_published or "", s.id), reverse=True)
    everything = store.list_stories(StoryFilter(), None, 10)
    assert [x.story_id for x in everything] == [s.id for s in newest_first]
    assert store.story_count() == 3
    # Keyset pages join up to the whole list, whatever the page size.
    first = store.list_stories(StoryFilter(), None, 2)
    rest = store.list_stories(StoryFilter(), first[-1].sort_key, 2)
    assert first + rest == everything
    conflicted = {sid for sid, b in briefs.items() if any(f.status == "conflict" for f in b.facts)}
    assert conflicted and {x.story_id for x in store.list_stories(StoryFilter(conflicts_only=True), None, 10)} == conflicted
    # Search: all words, in any order, diacritics and case ignored ("vucic" finds "Vučić").
    folded = {sid: set(words(b.headline + " " + " ".join(x.text for x in b.summary))) for sid, b in briefs.items()}
    with_vucic = {sid for sid, ws in folded.items() if "vucic" in ws}
    assert with_vucic
    for query in ("vucic", "Vučić", "VUČIĆ"):
        assert {x.story_id for x in store.list_stories(StoryFilter(text=query), None, 10)} == with_vucic
    # A word some summaries have and others lack, with "vucic": only the stories with both.
    some = sorted(w for w in set.union(*folded.values()) - set.intersection(*folded.values()) if len(w) >= 6)[0]
    expected = {sid for sid, ws in folded.items() if {some, "vucic"} <= ws}
    assert expected != set(briefs)
    assert {x.story_id for x in store.list_stories(StoryFilter(text=f"Vučić {some.upper()}"), None, 10)} == expected
    assert store.list_stories(StoryFilter(text='vucic" OR "x'), None, 10) == []  # operators are words
    # Outlets and dates.
    outlet = next(x.outlets[0] for x in everything if x.outlets)
    assert {x.story_id for x in store.list_stories(StoryFilter(outlet=outlet), None, 10)} == {
        sid for sid, b in briefs.items() if any(src.outlet == outlet for src in b.sources)}
    since = sorted(s.last_published for s in stories if s.last_published)[-1]
    assert [x.story_id for x in store.list_stories(StoryFilter(since=since), None, 10)] == [newest_first[0].id]
    # A story page: the story, its brief and its articles as stored JSON.
    st = newest_first[0]
    page = store.story_page_json(st.id)
    assert page is not None
    assert page[0] == to_json(st) and page[1] == json.loads(dumps(briefs[st.id]))
    assert sorted(page[2]) == sorted(st.article_ids) and all(page[2][i] == to_json(store.get_article(i)) for i in page[2])
    assert store.story_page_json("s_missing") is None
    assert {store.story_of(a) for a in st.article_ids} == {st.id} and store.story_of("a_missing") is None
    # Articles and story ids in id order, page by page; outlets with their counts.
    ids = sorted(a.id for a, _, _ in processed)
    assert [a.id for a in store.articles_after(None, 3)] + [a.id for a in store.articles_after(ids[2], 3)] == ids
    assert store.story_ids_after(None, 10) == sorted(s.id for s in stories)
    assert store.story_ids_after(sorted(s.id for s in stories)[0], 1) == sorted(s.id for s in stories)[1:2]
    counts = Counter(a.outlet for a, _, _ in processed if a.outlet)
    assert store.outlets() == sorted(counts.items())
    assert [a.id for a in store.articles_after(None, 10, outlet=outlet)] == sorted(
        a.id for a, _, _ in processed if a.outlet == outlet)


def test_a_story_rewritten_or_gone_leaves_one_search_entry_or_none(store: Store, processed: list) -> None:
    """A story's search entry is replaced when its outputs are written again (a growing store
    rewrites touched stories) and goes with the story."""
    stories = _published(store, processed)
    found = {s.id: store.story_outputs(s.id) for s in stories}
    hit = next(sid for sid, out in found.items() if out is not None and "vucic" in words(out.brief.headline + " " + " ".join(
        x.text for x in out.brief.summary)))
    before = [x.story_id for x in store.list_stories(StoryFilter(text="vucic"), None, 10)]
    assert hit in before
    store.put_story_outputs(hit, found[hit])  # type: ignore[arg-type]
    assert [x.story_id for x in store.list_stories(StoryFilter(text="vucic"), None, 10)] == before
    entries = "SELECT story_id FROM " + ("story_fts" if isinstance(store, SQLiteStore) else "story_search")
    assert sorted(r[0] for r in store._exec(entries).fetchall()) == sorted(found)  # one entry a story
    store.commit_grouping([], [], [], [s for s in stories if s.id != hit], [])
    assert [x.story_id for x in store.list_stories(StoryFilter(text="vucic"), None, 10)] == [x for x in before if x != hit]
    assert sorted(r[0] for r in store._exec(entries).fetchall()) == sorted(x for x in found if x != hit)


def test_numbers_and_text_round_trip_exactly(store: Store, processed: list) -> None:
    art, facts, index = processed[0]
    store.add_article(art, facts, index)
    third = 1 / 3
    store.commit_grouping([art.id], [(art.id, "a_z", "near", third)], [(art.id, "a_z", 2 / 3)],
                          [Story("s_ü", "Vučić — “quoted” 💬", (art.id,))], [])
    assert store.duplicate_pairs() == [(art.id, "a_z", "near", third)] and store.edges() == [(art.id, "a_z", 2 / 3)]
    assert store.story("s_ü") == Story("s_ü", "Vučić — “quoted” 💬", (art.id,))


def test_one_process_at_a_time_in_the_corpus_stages(factory: Factory) -> None:
    first, second = factory(), factory()
    order: list[str] = []
    entered = threading.Event()

    def other() -> None:
        entered.wait()
        with second.exclusive():
            order.append("second")

    t = threading.Thread(target=other)
    t.start()
    with first.exclusive():
        entered.set()
        time.sleep(0.5)  # the other store is waiting for the lock meanwhile
        order.append("first")
    t.join(10)
    assert order == ["first", "second"]
    first.close()
    second.close()


def test_postgres_schema_version_and_refusal_of_newer(postgres: PostgresServer) -> None:
    import psycopg

    dsn = postgres.new_database()
    PostgresStore(dsn).close()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT max(version) FROM unspun_schema").fetchone() == (POSTGRES_SCHEMA_VERSION,)
        conn.execute("INSERT INTO unspun_schema(version) VALUES (%s)", (POSTGRES_SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="upgrade unspun"):
        PostgresStore(dsn)


def test_postgres_unreachable_is_a_clear_error(postgres: PostgresServer) -> None:
    with pytest.raises(StoreError, match=r"cannot open the PostgreSQL store .*no_such_db"):
        PostgresStore(postgres.dsn("no_such_db"))
    bad = "postgresql://unspun:secret@127.0.0.1:1/x?connect_timeout=2"
    with pytest.raises(StoreError) as err:
        PostgresStore(bad)
    assert "secret" not in str(err.value)  # the password is not repeated in messages
