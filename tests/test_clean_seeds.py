"""Clean on the seeds against the person's reading in gold.json."""

from __future__ import annotations

from typing import Any

from conftest import line_of
from unspun.records import Article

SPINE_KINDS = {"repeated_headline", "code_leak", "ai_disclaimer", "comment_prompt", "related_link"}


def _removed_lines(a: Article) -> dict[int, str]:
    return {line_of(a.text, r.span.start): r.reason for r in a.removals}


def test_every_gold_junk_line_is_removed_with_its_reason(gold: dict[str, Any], seed_articles: dict[str, Article]) -> None:
    checked = set()
    for name, g in gold["files"].items():
        removed = _removed_lines(seed_articles[name])
        for junk in g["junk_lines"]:
            assert removed.get(junk["line"]) == junk["kind"], (name, junk)
            checked.add(junk["kind"])
    assert SPINE_KINDS <= checked  # the data really exercises the five kinds issue 2 names


def test_removal_spans_hold_exactly_the_removed_text(seed_articles: dict[str, Article]) -> None:
    for a in seed_articles.values():
        for r in a.removals:
            assert a.text[r.span.start : r.span.end] == r.text
            assert r.stage == "clean" and r.reason
            assert r.text.strip() and r.text.strip() not in a.clean_text.split("\n")


def test_no_body_line_is_touched(gold: dict[str, Any], seed_articles: dict[str, Article]) -> None:
    for name, g in gold["files"].items():
        a = seed_articles[name]
        not_body = {j["line"] for j in g["junk_lines"]} | {m["line"] for m in g["metadata_lines"]}
        lines = a.text.split("\n")
        for n, line in enumerate(lines, start=1):
            if n in not_body or not line.strip():
                continue
            body = line.strip()
            if n == g["metadata"].get("date_prefix_line"):
                body = body.split(" ", 2)[2]  # 'date YYYY-MM-DD rest': the rest is body
            assert body in a.clean_text, (name, n, line[:80])
            # and no removal reaches into the body part of the line
            start = a.text.index(body)
            for r in a.removals:
                assert r.span.end <= start or r.span.start >= start + len(body), (name, n, r.reason)


def test_metadata_as_in_gold(gold: dict[str, Any], seed_articles: dict[str, Article]) -> None:
    for name, g in gold["files"].items():
        a = seed_articles[name]
        meta = g["metadata"]
        lines = a.text.split("\n")
        if meta.get("title_line"):
            assert a.title == lines[meta["title_line"] - 1].strip()
        else:
            assert a.title is None, name
        if meta.get("published"):
            assert a.published_at is not None and a.published_at[:10] == meta["published"], name
        else:
            assert a.published_at is None, name
        if meta.get("byline_line"):
            byline_text = lines[meta["byline_line"] - 1]
            assert a.byline and a.byline in byline_text, (name, a.byline)
        if meta.get("contributors"):
            assert list(a.authors) == meta["contributors"]
        if meta.get("outlet_named_in_text"):
            assert a.outlet == meta["outlet_named_in_text"], name


def test_metadata_lines_are_removed_as_metadata(gold: dict[str, Any], seed_articles: dict[str, Article]) -> None:
    for name, g in gold["files"].items():
        removed = _removed_lines(seed_articles[name])
        for m in g["metadata_lines"]:
            if m["kind"] == "dek":  # a dek may stay as the lead
                continue
            assert removed.get(m["line"]) in {"title", "byline", "dateline", "credit"}, (name, m)


def test_evidence_points_at_the_text_it_came_from(seed_articles: dict[str, Article]) -> None:
    for a in seed_articles.values():
        for ev in a.metadata:
            if ev.span is not None:
                assert ev.value.split("T")[0].split(",")[0] in a.text[ev.span.start : ev.span.end] \
                    or ev.name == "published_at", (ev, a.text[ev.span.start : ev.span.end])


def test_a_teaser_on_its_marker_line_is_cut_but_prose_about_reading_is_not(seed_articles: dict[str, Article]) -> None:
    """"Read more: <another seed's headline>" pasted into a seed is a related link; the seed's
    own body lines stay, and so does a body sentence that only starts like a marker."""
    from dataclasses import replace

    from unspun.stages.clean import clean_article

    names = sorted(seed_articles)
    host, other = seed_articles[names[2]], seed_articles[names[3]]
    assert other.title
    body = host.clean_text.split("\n")
    teasers = [f"Read more: {other.title}", f"Related: {other.title}"]
    prose = "See also how " + body[0][0].lower() + body[0][1:]  # a sentence, not a marker line
    text = "\n".join([body[0], teasers[0], *body[1:3], teasers[1], prose, *body[3:]])
    cleaned = clean_article(replace(host, text=text, clean_text=None, removals=(), metadata=()))
    cut = {r.text.strip(): r.reason for r in cleaned.removals}
    assert all(cut.get(t) == "related_link" for t in teasers), cut
    assert prose in cleaned.clean_text and body[1] in cleaned.clean_text
