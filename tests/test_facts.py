"""Facts on the seeds (with the parser), and the facts evaluation with its floors.

Floors sit at the figures in benchmarks/results/facts.md; the issue's targets are NewsQuant
value F1 0.90 and value+unit F1 0.84, PolNeAR source overlap F1 0.75 (all met; the PolNeAR
figures are cross-validated, because the attribution model is trained on PolNeAR).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from conftest import DATA, SEEDS, unspun
from unspun.evaluation import facts as facts_eval
from unspun.nlp import parser
from unspun.records import Article, Fact, FactCheck
from unspun.stages import crosscheck, facts
from unspun.stages.attribution_model import AttributionModel, default_model
from unspun.stages.clean import clean_article
from unspun.stages.entities import story_keys
from unspun.stages.ingest import iter_inputs

NEWSQUANT = DATA / "newsquant" / "newsquant-dev.json"
POLNEAR = DATA / "polnear"


@pytest.fixture(scope="module")
def seed_facts(seed_articles: dict[str, Article]) -> dict[str, list[Fact]]:
    nlp = parser()
    assert nlp is not None, "the spaCy model is a declared dependency"
    return {name[:3]: facts.extract_facts(a, nlp) for name, a in seed_articles.items()}


def _qty(fs: list[Fact], number: float) -> Fact:
    return next(f for f in fs if f.kind == "quantity" and f.number == number)


def test_figures_keep_their_time_phrases(seed_facts: dict[str, list[Fact]]) -> None:
    fs = seed_facts["000"]
    assert (_qty(fs, 14000.0).what, _qty(fs, 14000.0).when_text) == ("people", "a year ago")
    assert (_qty(fs, 8400.0).change, _qty(fs, 8400.0).when_text) == ("<", "a few days ago")
    assert _qty(fs, 8400.0).unresolved_reason  # "a few days" is vague, and said so
    assert _qty(fs, 4400.0).when_text == "Currently"
    kfor = _qty(seed_facts["002"], 4500.0)
    assert kfor.change == "~" and kfor.what is not None and kfor.what.endswith("Kosovo Force personnel")
    rng = [f for f in seed_facts["002"] if f.value == "500-650"]
    assert len(rng) == 1 and (rng[0].number, rng[0].upper, rng[0].what) == (500.0, 650.0, "troops")


def test_seed_crosscheck(seed_articles: dict[str, Article], seed_facts: dict[str, list[Fact]]) -> None:
    arts = {a.id: a for a in seed_articles.values()}
    name_of = {a.id: n[:3] for n, a in seed_articles.items()}
    found = [f for fs in seed_facts.values() for f in fs]
    checks = crosscheck.crosscheck_story("s_x", arts, found)
    kirby = next(c for c in checks if c.kind == "quote" and "withdraw" in c.key)
    assert kirby.status == "conflict" and "+those" in kirby.detail
    assert {name_of[a] for a in kirby.articles} == {"002", "003"}
    # 002 leaves "Serbia's" outside the quotation marks: the same words, not an alteration.
    deployment = next(c for c in checks if c.kind == "quote" and "military deployment" in c.key)
    assert deployment.status == "agree" and {name_of[a] for a in deployment.articles} == {"002", "003"}
    # 003 quotes NATO: "the North Atlantic Council authorised additional forces"; 002 has
    # Stoltenberg declare that he had "authorised additional forces".
    drift = next(c for c in checks if c.kind == "quote" and "authorised additional forces" in c.key)
    assert drift.status == "conflict" and "North Atlantic Council" in drift.detail and "Stoltenberg" in drift.detail
    independence = next(c for c in checks if c.kind == "event" and c.key == "2008")
    assert independence.status == "agree" and {name_of[a] for a in independence.articles} == {"000", "002", "003"}
    gunmen = next(c for c in checks if c.kind == "quantity" and c.key == "gunmen")
    assert gunmen.status == "agree" and {name_of[a] for a in gunmen.articles} == {"000", "002", "004"}
    war = next(c for c in checks if c.kind == "quote" and "does not want war" in c.key)
    assert war.status == "single-source"
    speakers = {f.speaker for f in seed_facts["004"] if f.kind == "quote" and "want war" in f.text}
    assert speakers == {"Aleksandar Vučić"}


def _seeds_with(changes: dict[str, tuple[str, str]]) -> dict[str, Article]:
    """The seeds, cleaned, with one phrase of some of them rewritten before cleaning."""
    out = {}
    for item in iter_inputs([SEEDS]):
        if isinstance(item, Article):
            name = Path(item.source).name[:3]
            if name in changes:
                old, new = changes[name]
                assert old in item.text
                item = dataclasses.replace(item, text=item.text.replace(old, new))
            out[name] = clean_article(item)
    return out


def test_events_roles_and_reworded_figures_across_sources(seed_facts: dict[str, list[Fact]]) -> None:
    nlp = parser()
    assert nlp is not None

    def checks_of(arts: dict[str, Article]) -> tuple[dict[str, str], list[FactCheck]]:
        fs = [f for a in arts.values() for f in facts.extract_facts(a, nlp)]
        return {a.id: n for n, a in arts.items()}, crosscheck.crosscheck_story("s_x", {a.id: a for a in arts.values()}, fs)

    name_of, checks = checks_of(_seeds_with({}))
    # 002: "resigned on Friday after admitting his role": two events of one day; the admission
    # is the statement 003 dates September 29, the resignation only 002 reports.
    day = [c for c in checks if c.kind == "event" and c.key == "2023-09-29" and any(name_of[a] == "002" for a in c.articles)]
    resigned = next(c for c in day if "resigned" in c.summary and len(c.articles) == 1)
    admitted = [f for f in seed_facts["002"] if f.kind == "event" and f.what and "admitting" in f.what]
    assert resigned.status == "single-source" and len(admitted) == 1
    assert any(admitted[0].id in c.members and {name_of[a] for a in c.articles} == {"002", "003"} for c in day)
    # One person, four titles that say the same post: agree.
    role = next(c for c in checks if c.kind == "role" and c.key == "milan radoicic")
    assert role.status == "agree" and {"000", "002", "003", "004"} <= {name_of[a] for a in role.articles}
    troops = next(c for c in checks if c.kind == "quantity" and "500-650" in c.summary)
    assert troops.status == "agree" and {name_of[a] for a in troops.articles} == {"002", "004"}

    # A copy that drops "vice" contradicts the others; Spanish troops are not the UK's battalion.
    name_of, checks = checks_of(_seeds_with({"002": ("vice president of Serb List", "president of Serb List"),
                                             "004": ("hundreds of British troops", "hundreds of Spanish troops")}))
    role = next(c for c in checks if c.kind == "role" and c.key == "milan radoicic")
    assert role.status == "conflict" and "president of Serb List / " in role.detail
    troops = next(c for c in checks if c.kind == "quantity" and "500-650" in c.summary)
    assert troops.status == "single-source"


def test_reported_speech_has_source_and_cue_spans(seed_articles: dict[str, Article],
                                                 seed_facts: dict[str, list[Fact]]) -> None:
    text = seed_articles["002_d2c904fb5d1ad043.txt"].text
    indirect = [f for f in seed_facts["002"] if f.kind == "quote" and f.direct is False]
    assert indirect
    for f in indirect:
        assert f.source_span is not None and f.cue_span is not None
        assert text[f.cue_span.start : f.cue_span.end].strip()
        assert text[f.span.start : f.span.end].strip() == f.text
    mod = next(f for f in indirect if "these troops had already been" in f.text)
    assert text[mod.source_span.start : mod.source_span.end].endswith("(MoD)") or "Ministry" in mod.speaker  # type: ignore[union-attr, operator]


def test_entity_keys_join_spellings_across_articles(seed_facts: dict[str, list[Fact]]) -> None:
    keys = {(n, f.text): f.key for n, fs in seed_facts.items() for f in fs if f.kind == "entity" and f.key}
    joined = story_keys(keys.values())

    def key(n: str, text: str) -> str:
        return joined[keys[(n, text)]]  # type: ignore[index]

    assert key("000", "Vučić") == key("002", "Vucic") == key("003", "Aleksandar Vucic") == "aleksandar vucic"
    assert key("003", "KFOR") == key("002", "KFor") == key("004", "Kfor") == key("002", "Kosovo Force")
    assert key("000", "the Kosovo Force") == key("003", "KFOR")
    assert key("003", "Nato") == key("000", "NATO")


def test_newsquant_floors() -> None:
    r = facts_eval.score_newsquant(NEWSQUANT)
    assert r["value"]["f1"] >= 0.92
    assert r["value+unit"]["f1"] >= 0.84


def test_polnear_floors_cross_validated() -> None:
    # The whole train split (about two minutes): the floor is on source overlap F1, and
    # the model is trained on PolNeAR, so the figure is cross-validated by article.
    r = facts_eval.score_polnear(POLNEAR)
    assert r["articles"] == 840 and r["folds"] == 5
    assert r["source overlap"]["f1"] >= 0.75
    assert r["cue overlap"]["f1"] >= 0.72
    assert r["content overlap"]["f1"] >= 0.71
    # The model earns its place: better than the hand-written rules on the same articles.
    assert r["source overlap"]["f1"] > r["rules"]["source overlap"]["f1"] + 0.02


def test_shipped_attribution_model_round_trips() -> None:
    model = default_model()
    assert model is not None and model.about["articles"] == 840
    again = AttributionModel.from_json(model.to_json())
    feats = ["kind=verb", "lemma=say", "group=say", "subj=he", "content=yes", "comp=that"]
    assert again.probability(feats) == pytest.approx(model.probability(feats), abs=1e-6)
    assert model.keeps(feats) and not model.keeps(["kind=verb", "lemma=think", "group=think", "personal|group=think",
                                                   "content=none"])


def test_eval_facts_cli_json_matches_the_library(tmp_path: Path) -> None:
    out = unspun("eval", "facts", "--only", "newsquant", "--json")
    got = json.loads(out.stdout)
    assert got["newsquant"] == facts_eval.score_newsquant(NEWSQUANT)
    table = unspun("eval", "facts", "--only", "newsquant", "--limit", "20").stdout
    assert "| newsquant | value |" in table


def test_quotes_over_several_paragraphs_are_one_quote() -> None:
    # The excerpt's paragraphs open with a quotation mark and only the last one closes: one quote.
    text = (POLNEAR / "text" / "breitbart_2015-11-19_exclusive-excerpt-dinesh-d-souza.txt").read_text(encoding="utf-8")
    runs = [(s, e, w) for s, e, w in facts.quote_runs(text) if "\n" in text[s:e]]
    assert len(runs) == 1
    s, e, w = runs[0]
    paragraphs = [p for p in text[s:e].split("\n") if p.strip()]
    assert len(paragraphs) >= 3 and all(p.lstrip().startswith("“") for p in paragraphs)
    assert "“" not in w and "”" not in w and w.startswith("I was seventeen years old")
    assert text[e - 1] == "”" and w.endswith(text[e - 21 : e - 1])
    # Sexton's second quotation runs on into the next paragraph, which reopens with a mark; without
    # that mark the open quotation is unbalanced and dropped, and nothing crosses the break.
    sexton = (POLNEAR / "text" / "huff-post_2016-06-17_trump-s-supporters-may-be-the-re.txt").read_text(encoding="utf-8")
    joined = [w for s2, e2, w in facts.quote_runs(sexton) if "\n" in sexton[s2:e2]]
    assert len(joined) == 1 and joined[0].startswith("Trump events are outlets") and "another side" in joined[0]
    cut = sexton.replace("\n“There’s another side", "\nThere’s another side")
    assert not [1 for s2, e2, _ in facts.quote_runs(cut) if "\n" in cut[s2:e2]]
    assert not any(w.startswith("Trump events are outlets") for _, _, w in facts.quote_runs(cut))
    # And the article's facts carry it as one quote fact.
    art = Article(id="a_dsouza", source="polnear", text=text)
    quotes = [f for f in facts.extract_facts(art) if f.kind == "quote" and f.span.start == s]
    assert len(quotes) == 1 and quotes[0].span.end == e


def test_one_fact_per_id_in_every_article() -> None:
    """A span read twice (a paraphrase carried by two cues, an event re-split from its date)
    is one fact: ids are unique in an article's facts, so the list a stage is handed equals
    what a store keyed by id holds (the Spark engine hands the list, the local one the store).
    ECB+ topics 10, 28 and 31 each had such spans."""
    nlp = parser()
    assert nlp is not None
    checked = 0
    for item in iter_inputs([DATA / "ecbplus"]):
        if isinstance(item, Article) and item.source.split("#")[-1].startswith(("10_", "28_", "31_")):
            ids = [f.id for f in facts.extract_facts(clean_article(item), nlp)]
            assert len(ids) == len(set(ids)), item.source
            checked += 1
    assert checked > 40
