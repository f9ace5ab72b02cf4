"""The store contract: every backend must pass this suite unchanged.

Add a backend by adding a factory to BACKENDS (PostgreSQL joins with its issue).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import SEEDS
from unspun.errors import StoreError
from unspun.pipeline import PipelineConfig, process_article
from unspun.records import Article, DuplicateLink, InputError, Story
from unspun.stages.ingest import iter_inputs
from unspun.storage import SQLiteStore, Store, StoryOutputs
from unspun.storage.migrations import SCHEMA_VERSION

Factory = Callable[[], Store]


def _sqlite(tmp: Path) -> Factory:
    return lambda: SQLiteStore(tmp / "contract.db")


BACKENDS = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(BACKENDS))
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    return BACKENDS[request.param](tmp_path)


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
