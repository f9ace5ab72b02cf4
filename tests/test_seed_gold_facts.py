"""Every fact in ``../shared/seeds/gold.json`` against what unspun finds on the seeds, with its
status (issue 6).  One test per gold fact, read from the gold file at run time.

Matching is by the gold fact's own terms: a quantity by its value (or the parts its detail
names: "one police officer and three gunmen"), a quote by its words, an event by its date and
the words of what happened, looked up in the story's cross-check and, for events dated only by
a report's publication, in the brief's timeline; a person's role by the check of that person
holding every article the gold values cite.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conftest import SEEDS
from unspun.nlp import parser
from unspun.records import Article, Brief, Fact, FactCheck
from unspun.stages import brief as brief_stage
from unspun.stages import cluster, crosscheck, facts
from unspun.textutil import content_tokens, fold

GOLD = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))["facts"]
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10}

def _label(fact: dict[str, Any]) -> str:
    return str(fact.get("what") or fact.get("text") or fact["kind"])


@pytest.fixture(scope="module")
def story(seed_articles: dict[str, Article]) -> tuple[dict[str, str], list[Fact], list[FactCheck], Brief]:
    nlp = parser()
    assert nlp is not None, "the spaCy model is a declared dependency"
    arts = {a.id: a for a in seed_articles.values()}
    name_of = {a.id: name[:3] for name, a in seed_articles.items()}
    found = [f for a in arts.values() for f in facts.extract_facts(a, nlp)]
    st = cluster.make_stories([sorted(arts)], arts)[0]
    checks = crosscheck.crosscheck_story(st.id, arts, found)
    return name_of, found, checks, brief_stage.make_brief(st, arts, found, checks, [], [], [])


def _words(text: str) -> set[str]:
    return {fold(w) for w in content_tokens(text)}


def _quantity_status(fact: dict[str, Any], name_of: dict[str, str], found: list[Fact],
                     checks: list[FactCheck]) -> str | None:
    by_id = {f.id: f for f in found}
    targets: list[float] = []
    for v in fact["values"]:
        if isinstance(v["value"], str) and "-" in v["value"]:
            targets.append(float(v["value"].split("-")[0]))
        else:
            targets.append(float(v["value"]))
        # "one police officer and three gunmen": the parts are facts of their own.
        targets += [float(_NUMBER_WORDS[w]) for w in re.findall(r"\w+", v.get("detail", "")) if w in _NUMBER_WORDS]
    sources = set(fact["sources"])
    # The check that carries the value for most of the gold sources.
    best: tuple[int, str] | None = None
    for c in checks:
        if c.kind != "quantity":
            continue
        members = [by_id[m] for m in c.members if m in by_id]
        carrying = {name_of[m.article_id] for m in members if m.number in targets} & sources
        if carrying and (best is None or len(carrying) > best[0]):
            best = (len(carrying), c.status)
    return best[1] if best else None


def _quote_status(fact: dict[str, Any], checks: list[FactCheck]) -> str | None:
    want = _words(fact["text"])
    best = max((c for c in checks if c.kind == "quote"), key=lambda c: len(want & _words(c.summary)))
    return best.status if len(want & _words(best.summary)) >= 0.7 * len(want) else None


def _event_status(fact: dict[str, Any], name_of: dict[str, str], found: list[Fact], checks: list[FactCheck],
                  brief: Brief) -> str | None:
    day = fact["when"].split(" ")[0]
    sources = {s[:3] for s in fact["sources"]}
    want = _words(fact["what"])
    by_id = {f.id: f for f in found}
    # The check saying most of the gold words, then the one saying least else: an event split
    # from its sentence ("resigned on Friday" / "after admitting his role") speaks by its clause.
    best: tuple[int, int, str] | None = None
    for c in checks:
        if c.kind != "event" or c.key != day or not sources & {name_of[a] for a in c.articles}:
            continue
        said = set().union(*(_words(by_id[m].what or by_id[m].text) for m in c.members if m in by_id))
        score = (len(want & said), -len(said))
        if score[0] and (best is None or score > best[:2]):
            best = (*score, c.status)
    if best is not None:
        return best[2]
    # Dated by its report only (a lead without a date phrase): the brief's timeline.
    for t in brief.timeline:
        cited = {name_of[c.article_id] for c in t.citations}
        if t.date == day and t.basis == "publication" and cited & sources and len(want & _words(t.text)) >= 2:
            return "agree" if len(cited) > 1 else "single-source"
    return None


def _role_status(fact: dict[str, Any], name_of: dict[str, str], checks: list[FactCheck]) -> str | None:
    """The person's role check, holding every article the gold values name ("... (002)")."""
    person = _words(fact["what"].split("'")[0])
    sources = {m for v in fact["values"] for m in re.findall(r"\((\d{3})\)", v)}
    for c in checks:
        if c.kind == "role" and person <= _words(c.key) and sources <= {name_of[a] for a in c.articles}:
            return c.status
    return None


@pytest.mark.parametrize("fact", [pytest.param(f, id=_label(f)[:40]) for f in GOLD])
def test_gold_fact_found_with_its_status(fact: dict[str, Any],
                                         story: tuple[dict[str, str], list[Fact], list[FactCheck], Brief]) -> None:
    name_of, found, checks, brief = story
    if fact["kind"] == "quantity":
        status = _quantity_status(fact, name_of, found, checks)
    elif fact["kind"] == "quote":
        status = _quote_status(fact, checks)
    elif fact["kind"] == "event":
        status = _event_status(fact, name_of, found, checks, brief)
    else:
        status = _role_status(fact, name_of, checks)
    assert status == fact["status"], f"{_label(fact)}: found {status}, gold {fact['status']}"
