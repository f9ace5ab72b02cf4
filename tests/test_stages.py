"""Stage cores on real text: dedup, cluster, provenance, facts, cross-check, brief."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA
from unspun.pipeline import PipelineConfig, run_items
from unspun.records import Article
from unspun.stages import brief as brief_stage
from unspun.stages import citecheck, cluster, crosscheck, dedup, facts, provenance
from unspun.stages.clean import clean_article
from unspun.stages.ingest import article_from_text
from unspun.storage.sqlite import SQLiteStore

CFG = dedup.DedupConfig()


def _variant(a: Article, text: str, suffix: str) -> Article:
    return clean_article(article_from_text(a.source + suffix, text, key=a.source + suffix))


def test_lsh_parameters_put_the_s_curve_at_the_threshold() -> None:
    for threshold in (0.5, 0.8, 0.9):
        b, r = dedup.lsh_params(threshold, 128)
        assert b * r <= 128

        def p(s: float, b: int = b, r: int = r) -> float:
            return 1 - (1 - s**r) ** b

        assert p(threshold - 0.2) < 0.3 and p(min(1.0, threshold + 0.1)) > 0.85


def test_near_duplicates_are_found_and_independent_reports_are_not(seed_articles: dict[str, Article]) -> None:
    src = seed_articles["003_e157552f8d2aabdd.txt"]
    lines = src.clean_text.split("\n")
    edited = "\n".join(line for i, line in enumerate(lines) if i != 6).replace("Kirby said", "Kirby told reporters")
    copy = _variant(src, edited, "#copy")
    sa, sb = dedup.signature(src, CFG), dedup.signature(copy, CFG)
    assert dedup.jaccard_estimate(sa, sb) >= CFG.threshold
    b, r = dedup.lsh_params(CFG.threshold, CFG.num_perm)
    assert set(dedup.band_keys(sa, b, r)) & set(dedup.band_keys(sb, b, r))
    others = [a for n, a in seed_articles.items() if n != "003_e157552f8d2aabdd.txt"]
    for other in others:
        assert dedup.jaccard_estimate(sa, dedup.signature(other, CFG)) < 0.2


def _real_texts() -> list[str]:
    texts = [json.loads(line)["text"] for line in (DATA / "ecbplus/ecbplus-topics-1-35.jsonl").open(encoding="utf-8")][:400]
    with (DATA / "semeval2022-t8/pairs-dev.csv").open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i % 3 == 0:  # every language pair, a third of them
                texts += [row["text1"], row["text2"]]
    return texts


def test_fast_shingle_words_equal_their_definition_on_real_text_in_many_scripts() -> None:
    # The fast path (fold only the runs of non-ASCII characters, split bytes) against the definition: one
    # fold of the whole text, apostrophes dropped, the letter-and-digit runs.
    texts = _real_texts()
    assert sum(not t.isascii() for t in texts) > 100
    for text in texts:
        expected = dedup._fold_words(text)
        got = [w.decode("utf-8") for w in dedup._tokens(text)]
        assert got == expected, text[:80]


@given(st.lists(st.sampled_from(["Vučić", "don’t", "don't", "ŞİMDİ", "naïve", "—", "“quoted”", "x_y", "٣٤", "東京",
                                 "Straße", "é", "\u0301", "½", "\xa0", " ", "\n", "A.B", "…", "42,5", "ﬁne", "𝐂hi", "ΟΔΟΣ",
                                 "İ", "K", "«", "’"]), max_size=30))
@settings(max_examples=300, deadline=None)
def test_fast_shingle_words_equal_their_definition_on_mixed_scripts(parts: list[str]) -> None:
    for joiner in ("", " "):
        text = joiner.join(parts)
        got = [w.decode("utf-8") for w in dedup._tokens(text)]
        assert got == dedup._fold_words(text)


def test_signatures_estimate_shingle_jaccard_and_quote_style_does_not_matter(seed_articles: dict[str, Article]) -> None:
    src = seed_articles["003_e157552f8d2aabdd.txt"]
    curly = _variant(src, src.clean_text.replace("'", "\u2019"), "#curly")
    assert dedup.signature(curly, CFG) == dedup.signature(src, CFG)
    # Halving the text: the estimate follows the exact shingle Jaccard of the two texts.
    half = _variant(src, src.clean_text[: len(src.clean_text) // 2], "#half")
    a, b = dedup.shingle_set(src.clean_text, 5), dedup.shingle_set(half.clean_text, 5)
    exact = len(a & b) / len(a | b)
    assert 0.25 < exact < 0.75
    assert abs(dedup.jaccard_estimate(dedup.signature(src, CFG), dedup.signature(half, CFG)) - exact) < 0.12
    # Word order inside a shingle counts: the same words reversed share no shingle.
    backwards = _variant(src, " ".join(reversed(src.clean_text.split())), "#backwards")
    assert dedup.jaccard_estimate(dedup.signature(src, CFG), dedup.signature(backwards, CFG)) < 0.05


def test_a_store_signed_the_old_way_is_resigned_and_still_finds_copies(seed_articles: dict[str, Article],
                                                                        tmp_path: Path) -> None:
    cfg = PipelineConfig(semantic=False, parser=False)
    src = seed_articles["003_e157552f8d2aabdd.txt"]
    lines = src.clean_text.split("\n")
    copy = article_from_text("copy-site", "\n".join(lines[:6] + lines[7:]).replace("Kirby said", "Kirby told reporters"),
                             key="copy-site")
    with SQLiteStore(tmp_path / "old.db") as store:
        run_items([src], store, cfg)
        # What an older unspun left behind: band keys without the scheme prefix, from
        # signatures made another way, that no new key can ever equal.
        old = tuple(range(CFG.num_perm))
        store.replace_signature(src.id, old, [f"{b}:{b:016x}" for b in range(9)])
        summary = run_items([copy], store, cfg)
        assert summary.new_articles == 1
        assert store.ids_with_band_scheme_other_than(dedup.BAND_SCHEME) == []
        assert [(link.article_id, link.canonical_id, link.kind) for link in store.duplicate_links()] == [
            (copy.id, src.id, "near")]


def test_exact_key_ignores_case_spacing_and_quote_style(seed_articles: dict[str, Article]) -> None:
    a = seed_articles["002_d2c904fb5d1ad043.txt"]
    b = _variant(a, a.text.upper().replace("“", '"').replace("”", '"').replace(" ", "  "), "#shout")
    assert dedup.exact_key(a) == dedup.exact_key(b)
    assert dedup.exact_key(a) != dedup.exact_key(seed_articles["003_e157552f8d2aabdd.txt"])


def test_canonical_is_earliest_then_most_complete(seed_articles: dict[str, Article]) -> None:
    a = seed_articles["003_e157552f8d2aabdd.txt"]
    late = replace(a, id="a_late", published_at="2023-10-05")
    short = replace(a, id="a_short", clean_text=a.clean_text[:500])
    arts = {x.id: x for x in (a, late, short)}
    links = dedup.duplicate_links(arts, [(a.id, "a_late", "exact", 1.0), ("a_late", "a_short", "near", 0.85)])
    assert {(link.article_id, link.canonical_id) for link in links} == {("a_late", a.id), ("a_short", a.id)}


def test_seed_provenance_signals(seed_articles: dict[str, Article]) -> None:
    derivations, signals = provenance.trace_story(list(seed_articles.values()))
    by = {n: {s.kind for s in signals if s.article_id == a.id} for n, a in seed_articles.items()}
    assert "ai_disclaimer" in by["004_cdea13cc6bc10654.txt"] and "generic_byline" in by["004_cdea13cc6bc10654.txt"]
    assert "late_publication" in by["001_5fa6ba3677e2a6ef.txt"]
    assert "leaked_code" in by["003_e157552f8d2aabdd.txt"]
    a004 = seed_articles["004_cdea13cc6bc10654.txt"]
    for s in signals:
        if s.span is not None:
            text = seed_articles[next(n for n, a in seed_articles.items() if a.id == s.article_id)].text
            assert text[s.span.start : s.span.end].strip()
    assert next(s for s in signals if s.kind == "ai_disclaimer").span.article_id == a004.id  # type: ignore[union-attr]
    # 002 and 003 are independent reports: no derivation between them
    ids = {seed_articles["002_d2c904fb5d1ad043.txt"].id, seed_articles["003_e157552f8d2aabdd.txt"].id}
    assert not any({d.copy_id, d.origin_id} == ids for d in derivations)


def test_a_condensed_copy_is_derived_from_its_origin(seed_articles: dict[str, Article]) -> None:
    origin = seed_articles["003_e157552f8d2aabdd.txt"]
    lines = [line for line in origin.clean_text.split("\n") if line.strip()]
    copy = _variant(origin, "Copy headline without the original words\n\n" + "\n\n".join(lines[2:12:2]), "#farm")
    copy = replace(copy, published_at="2023-10-02")
    d = provenance.derive(origin, copy, provenance.ProvenanceConfig())
    assert d is not None and d.copy_id == copy.id and d.origin_id == origin.id
    assert d.coverage >= 0.9 and d.pairs
    for p in d.pairs:
        assert copy.text[p.copy.start : p.copy.end] == origin.text[p.origin.start : p.origin.end]


def test_seed_facts_and_crosscheck(seed_articles: dict[str, Article]) -> None:
    arts = {a.id: a for a in seed_articles.values()}
    found = [f for a in arts.values() for f in facts.extract_facts(a)]
    by_name = {n: [f for f in found if f.article_id == a.id] for n, a in seed_articles.items()}
    q000 = {f.number for f in by_name["000_7ec2af497a7671b4.txt"] if f.kind == "quantity" and f.what == "people"}
    assert {14000.0, 8400.0, 4400.0} <= q000
    kfor = [f for f in by_name["002_d2c904fb5d1ad043.txt"] if f.kind == "quantity" and f.number == 4500.0]
    assert kfor and kfor[0].change == "~"
    rng = [f for f in by_name["002_d2c904fb5d1ad043.txt"] if f.value == "500-650"]
    assert len(rng) == 1 and (rng[0].number, rng[0].upper, rng[0].what) == (500.0, 650.0, "troops")
    speakers = {f.text[:25]: f.speaker for f in found if f.kind == "quote"}
    assert speakers["We are calling on Serbia "] == "John Kirby"
    assert speakers["Serbia does not want war"] == "Aleksandar Vučić"
    sept29 = [f for f in by_name["003_e157552f8d2aabdd.txt"] if f.kind == "event" and f.when_text == "September 29"]
    assert sept29 and all(f.when == "2023-09-29" for f in sept29)
    unresolved = [f for f in by_name["002_d2c904fb5d1ad043.txt"] if f.when_text == "on Friday"]
    assert unresolved and unresolved[0].when is None and unresolved[0].unresolved_reason
    for f in found:
        assert arts[f.article_id].text[f.span.start : f.span.end].strip()
    checks = crosscheck.crosscheck_story("s_x", arts, found)
    kirby = next(c for c in checks if c.kind == "quote" and "withdraw" in c.key)
    assert kirby.status == "conflict" and "+those" in kirby.detail
    assert {seed_articles["002_d2c904fb5d1ad043.txt"].id, seed_articles["003_e157552f8d2aabdd.txt"].id} == set(kirby.articles)
    gunmen = next(c for c in checks if c.kind == "quantity" and c.key == "gunmen")
    assert gunmen.status == "agree" and len(gunmen.articles) >= 2


def test_brief_cites_every_sentence(seed_articles: dict[str, Article]) -> None:
    arts = {a.id: a for a in seed_articles.values()}
    story = cluster.make_stories([sorted(arts)], arts)[0]
    found = [f for a in arts.values() for f in facts.extract_facts(a)]
    checks = crosscheck.crosscheck_story(story.id, arts, found)
    b = brief_stage.make_brief(story, arts, found, checks, [], [], [])
    assert 1 <= len(b.summary) <= 5
    for s in b.summary:
        assert s.citations and s.support >= 0.95 and s.supported, s.problems
        own = s.citations[0]
        assert citecheck.compress(arts[own.article_id].text[own.start : own.end]) == s.text
    assert b.coverage >= 0.6
    assert {src.article_id for src in b.sources} == set(arts)
    assert any(t.date == "2023-09-29" for t in b.timeline)
    # "the previous day" after "met on September 29", and "only yesterday" inside the NATO
    # statement of that day, are the 28th (not the day before publication, the 29th).
    nato = [t for t in b.timeline if t.date == "2023-09-28"]
    assert any("previous day" in t.text for t in nato) and any("Only yesterday" in t.text for t in nato)
    # The withdrawal lead of the report published at 00:11 on 1 October has no date of its own:
    # dated by publication, the day before (news published in the small hours is the last day's).
    assert any(t.date == "2023-09-30" and t.basis == "publication" and "withdrawal" in t.text for t in b.timeline)
    # 002 has no publication date: its "on Friday" is read against the story's first report.
    kirby_002 = seed_articles["002_d2c904fb5d1ad043.txt"].id
    assert any(t.date == "2023-09-29" and any(c.article_id == kirby_002 for c in t.citations) for t in b.timeline)


def test_citation_check_passes_support_and_catches_drift() -> None:
    src = ["Kirby urged Serbia to withdraw 4,500 troops from the border."]
    assert citecheck.check("Kirby urged Serbia to withdraw 4,500 troops", src).supported
    assert not citecheck.check("Kirby urged Serbia to withdraw 5,500 troops", src).supported
    assert not citecheck.check("Kirby did not urge Serbia to withdraw troops", src).supported
    off = citecheck.check("Stoltenberg praised Belgrade's restraint in Brussels", src)
    assert not off.supported and off.support < 0.5 and "words not in the cited text" in off.problems[0]
    assert not citecheck.check("Kirby urged Serbia to withdraw troops", []).supported
    assert citecheck.compress("WASHINGTON (Reuters) - However, the navy said it had 23 pirates.") == "The navy said it had 23 pirates."
