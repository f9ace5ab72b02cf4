"""Clean on the seeds against the person's reading in gold.json."""

from __future__ import annotations

import json
from typing import Any

from conftest import DATA, line_of
from unspun.dates import date_of_date_line, parse_date_line
from unspun.records import Article
from unspun.stages.clean import clean_article
from unspun.stages.ingest import article_from_text

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


def test_a_line_that_is_only_a_date_is_the_publication_date_on_real_articles() -> None:
    # ECB+ pages print their date on a line of its own under the headline ("14 June 2013",
    # "Fri., May. 3, 2013 11: 45 AM PDT"); the cleaner takes it as the publication date and
    # removes the line as metadata, while lines that mention a date among other words stay.
    rows = [json.loads(line) for line in (DATA / "ecbplus" / "ecbplus-topics-1-35.jsonl").open(encoding="utf-8")]
    taken = kept_mentions = 0
    for r in rows:
        art = clean_article(article_from_text(str(r["id"]), str(r["text"]), key=str(r["id"])))
        ev = next(m for m in art.metadata if m.name == "published_at") if art.published_at else None
        if ev is not None and ev.method == "date_line":
            taken += 1
            assert ev.span is not None
            line = art.text[ev.span.start : ev.span.end]
            assert art.published_at == date_of_date_line(line) == ev.value
            assert any(x.reason == "dateline" and x.span.start == ev.span.start for x in art.removals)
            assert line not in art.clean_text.split("\n")
        # A sentence naming a full date is body text, not a date line.
        kept_mentions += sum(1 for ln in art.clean_text.split("\n") if len(ln.split()) > 12 and parse_date_line(ln))
    assert taken > 100
    assert kept_mentions > 10
