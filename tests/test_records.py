"""Records: the codec round-trips, and every exported record validates against its schema."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import SEEDS
from unspun.pipeline import run
from unspun.records import (
    RECORD_TYPES,
    Article,
    Fact,
    MetaEvidence,
    Removal,
    Span,
    dumps,
    from_json,
    json_schema,
    to_json,
)
from unspun.storage import SQLiteStore

ids = st.from_regex(r"a_[0-9a-f]{16}", fullmatch=True)
spans = st.builds(Span, ids, st.integers(0, 10_000), st.integers(0, 10_000))
text = st.text(max_size=200)
removals = st.builds(Removal, spans, st.sampled_from(["clean"]), text, text)
evidence = st.builds(MetaEvidence, text, text, text, st.floats(0, 1), st.none() | spans)
articles = st.builds(
    Article, ids, text, text, title=st.none() | text, outlet=st.none() | text, byline=st.none() | text,
    authors=st.tuples(text, text), published_at=st.none() | text, removals=st.lists(removals, max_size=3).map(tuple),
    metadata=st.lists(evidence, max_size=3).map(tuple),
)
facts = st.builds(
    Fact, text, ids, st.sampled_from(["quantity", "quote", "event", "entity"]), spans, text,
    number=st.none() | st.floats(allow_nan=False, allow_infinity=False), upper=st.none() | st.integers(0, 10**6).map(float),
    speaker=st.none() | text, sentence=st.none() | spans,
)


@given(articles)
def test_article_round_trip(a: Article) -> None:
    assert from_json(Article, json.loads(dumps(a))) == a
    jsonschema.validate(to_json(a), json_schema(Article))


@given(facts)
def test_fact_round_trip(f: Fact) -> None:
    assert from_json(Fact, json.loads(dumps(f))) == f
    jsonschema.validate(to_json(f), json_schema(Fact))


def test_records_are_frozen_and_slotted() -> None:
    s = Span("a_0", 1, 2)
    with pytest.raises(FrozenInstanceError):
        s.start = 3  # type: ignore[misc]
    for cls in RECORD_TYPES:
        assert hasattr(cls, "__slots__"), cls


def test_decoder_rejects_values_outside_a_literal() -> None:
    bad = to_json(Fact("f", "a", "quantity", Span("a", 0, 1), "x"))
    bad["kind"] = "rumour"
    with pytest.raises(ValueError):
        from_json(Fact, bad)


def test_schemas_are_valid_and_shipped_schemas_are_current() -> None:
    shipped = Path(__file__).resolve().parents[1] / "src/unspun/schemas"
    for cls in RECORD_TYPES:
        schema = json_schema(cls)
        jsonschema.Draft202012Validator.check_schema(schema)
        on_disk = json.loads((shipped / f"{cls.__name__}.schema.json").read_text())
        assert on_disk == schema, f"regenerate with `make schemas`: {cls.__name__} changed"


def test_every_record_of_a_seed_run_validates(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    run([SEEDS], store)
    seen: dict[str, int] = {}

    def check(obj: Any) -> None:
        schema = json_schema(type(obj))
        jsonschema.validate(to_json(obj), schema)
        seen[type(obj).__name__] = seen.get(type(obj).__name__, 0) + 1

    arts = store.articles()
    for a in arts.values():
        check(a)
    for f in store.facts(arts):
        check(f)
    for s in store.stories():
        check(s)
        out = store.story_outputs(s.id)
        assert out is not None
        check(out.brief)
        for x in (*out.derivations, *out.signals, *out.checks):
            check(x)
    for link in store.duplicate_links():
        check(link)
    assert {"Article", "Fact", "Story", "Brief", "Signal", "FactCheck"} <= set(seen)
