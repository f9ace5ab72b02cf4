"""The demo corpus end to end, and rendering that keeps untrusted text inert."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from conftest import EXAMPLES, SEEDS, unspun
from unspun.pipeline import run, run_items
from unspun.render import brief_html, brief_markdown
from unspun.stages.ingest import article_from_text
from unspun.storage import SQLiteStore


def test_demo_corpus_makes_its_four_stories(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "demo.db")
    summary = run([EXAMPLES], store)
    assert summary.errors == [] and summary.new_articles >= 20
    arts = store.articles()
    # file names start with the story ("bridge-01-..."); the JSONL feed's records are flood coverage
    topic = {a.id: "flood" if a.source.startswith("https://") else Path(a.source).name.split("-")[0]
             for a in arts.values()}
    stories = store.stories()
    assert len(stories) == 4
    for s in stories:
        assert len({topic[i] for i in s.article_ids}) == 1, [topic[i] for i in s.article_ids]
    links = {(Path(arts[x.article_id].source).name, Path(arts[x.canonical_id].source).name): x.kind
             for x in store.duplicate_links()}
    pairs = {tuple(sorted(k)) for k in links}
    assert ("bridge-01-alden-courier.txt", "bridge-05-newsfeed-mirror.txt") in pairs  # the mirrored copy
    assert any("bridge-04-metro-digest.txt" in k for k in pairs)  # the retitled copy
    bridge = next(s for s in stories if topic[s.article_ids[0]] == "bridge")
    out = store.story_outputs(bridge.id)
    assert out is not None
    buses = [c for c in out.checks if c.kind == "quantity" and c.key == "buse"]
    assert any(c.status == "conflict" and "30" in c.summary and "40" in c.summary for c in buses)  # 30 running vs 40 promised
    farm = next(a for a in arts.values() if a.source.endswith("bridge-03-dailybuzz.txt"))
    kinds = {s.kind for s in out.signals if s.article_id == farm.id}
    assert {"ai_disclaimer", "generic_byline"} <= kinds
    assert any(d.copy_id == farm.id for d in out.derivations)


def test_make_run_equivalent_prints_where_the_briefs_are(tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    unspun("run", str(EXAMPLES), "--db", str(db), "-q")
    unspun("export", "--format", "html", "--out", str(tmp_path / "briefs"), "--db", str(db))
    unspun("export", "--format", "md", "--out", str(tmp_path / "briefs"), "--db", str(db))
    index = (tmp_path / "briefs/index.html").read_text()
    assert index.count("<li>") == 4
    for name in json.loads(unspun("stories", "--db", str(db), "--json").stdout):
        assert (tmp_path / "briefs" / f"{name['id']}.html").exists() and (tmp_path / "briefs" / f"{name['id']}.md").exists()


HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))'


def test_hostile_text_is_escaped_in_html_and_markdown(tmp_path: Path) -> None:
    seed = (SEEDS / "003_e157552f8d2aabdd.txt").read_text(encoding="utf-8")
    body = seed.replace("The US warned on September 29", "The US warned <img src=x onerror=alert(2)> on September 29")
    a = article_from_text("evil.txt", body)
    a = replace(a, title=HOSTILE, outlet=HOSTILE, byline=HOSTILE)  # as if from hostile HTML metadata
    store = SQLiteStore(tmp_path / "x.db")
    run_items([a], store)
    (story,) = store.stories()
    out = store.story_outputs(story.id)
    assert out is not None and out.brief.headline == HOSTILE
    assert any("<img" in s.text for s in out.brief.summary)  # the hostile sentence is in the brief
    page = brief_html(out.brief)
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page and "&lt;img" in page
    assert "Content-Security-Policy" in page
    md = brief_markdown(out.brief)
    assert not re.search(r"(?<!\\)<", md)  # every < escaped: no raw HTML
    assert not re.search(r"(?<!\\)\]\(javascript", md)  # brackets escaped: no link
