"""The web UI and the REST API, served for real on 127.0.0.1 and driven by Playwright in
Debian's Chromium (``make test`` / ``.ci/run`` install it).  Stores are real SQLite files
built by the pipeline from the seeds and from ECB+."""

from __future__ import annotations

import io
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Browser, sync_playwright

from conftest import DATA, ROOT, SEEDS
from unspun.pipeline import PipelineConfig, run
from unspun.storage import open_store
from unspun.web import CSP
from webserver import Server

TOKEN = "test-token-0123456789abcdef"
CHROMIUM = os.environ.get("UNSPUN_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("web") / "seeds.db"
    with open_store(str(db)) as store:
        run([SEEDS], store)
    return db


@pytest.fixture(scope="session")
def ecb_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ECB+ through the fast path (no models): many stories, for paging, search and export."""
    db = tmp_path_factory.mktemp("web") / "ecb.db"
    with open_store(str(db)) as store:
        run([DATA / "ecbplus" / "ecbplus-topics-1-35.jsonl"], store, PipelineConfig(semantic=False, parser=False))
    return db


@pytest.fixture(scope="session")
def seeds_server(seeds_db: Path) -> Iterator[Server]:
    s = Server(seeds_db, TOKEN)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def ecb_server(ecb_db: Path) -> Iterator[Server]:
    s = Server(ecb_db, None)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def _story_id(server: Server) -> str:
    stories = server.json("/?format=json")["stories"]
    assert len(stories) == 1
    return str(stories[0]["id"])


def test_story_page_in_chromium(seeds_server: Server, browser: Browser, tmp_path: Path) -> None:
    sid = _story_id(seeds_server)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(f"{seeds_server.base}/stories/{sid}")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CSP

    # All five sources, each linked to its article page.
    sources = page.locator("ol.sources > li")
    assert sources.count() == 5
    # The copy relations: the two rewrites of the CNN interview share an origin, in words and drawn.
    relations = page.locator("li.relation").all_inner_texts()
    assert any("shares an origin with" in r for r in relations)
    assert page.locator("svg.copy-graph g.node").count() == 5
    assert page.locator("svg.copy-graph path.edge").count() >= 1
    # The altered Kirby quote, flagged as a conflict with what changed.
    altered = page.locator("table.facts tr.conflict", has_text="altered quote")
    assert altered.count() == 1 and "withdraw" in altered.inner_text() and "those" in altered.inner_text()
    # The timeline runs from the NATO authorisation (28 September, "the previous day") to the
    # withdrawal of 30 September (reported at 00:11 on 1 October), on the list and on the plot.
    days = page.locator("ol.timeline:not(.background) time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert days[0] == "2023-09-28" and days[-1] == "2023-09-30", days
    assert page.locator("svg.timeline-plot").get_attribute("aria-label") == "timeline 28 September 2023 – 30 September 2023"
    assert page.locator("svg.timeline-plot circle.event").count() == len(days)
    # Junk removed by cleaning is shown struck through with its reason.
    assert page.locator("del.junk").count() >= 5
    assert "repeated_headline" in " ".join(page.locator("span.reason").all_inner_texts())
    # Every summary sentence cites at least one source.
    for li in page.locator("ul.summary > li").all():
        assert li.locator("sup a").count() >= 1
    assert not errors
    shot = tmp_path / "story-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    if os.environ.get("UNSPUN_WRITE_DOCS"):
        shutil.copy(shot, ROOT / "docs" / "story-page.png")
    page.close()


def test_pages_read_without_javascript(seeds_server: Server, browser: Browser) -> None:
    sid = _story_id(seeds_server)
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{seeds_server.base}/?q=Kosovo")
    page.locator("table.stories a").first.click()
    assert page.url.endswith(f"/stories/{sid}")
    assert page.locator("ol.sources > li").count() == 5
    page.locator("ol.sources > li a").first.click()
    assert "/articles/" in page.url and page.locator("div.text").count() == 1
    ctx.close()


def test_every_page_has_a_json_twin(seeds_server: Server) -> None:
    sid = _story_id(seeds_server)
    story = seeds_server.json(f"/stories/{sid}?format=json")
    art = story["articles"][0]
    outlet = next(a["outlet"] for a in story["articles"] if a["outlet"])
    for path in ["/", f"/stories/{sid}", f"/articles/{art['id']}", "/outlets", "/outlets/" + urllib.request.quote(outlet)]:
        status, headers, body = seeds_server.get(path)
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert b'rel="alternate" type="application/json"' in body
        twin = seeds_server.json(path + ("&" if "?" in path else "?") + "format=json")
        assert isinstance(twin, dict) and twin
    # The article twin: the text cut at its removals gives the text back, char for char.
    a = seeds_server.json(f"/articles/{art['id']}?format=json")
    assert "".join(s["text"] for s in a["segments"]) == a["article"]["text"]
    assert any(s["removed"] and s["reason"] for s in a["segments"])
    assert a["story_id"] == sid
    status, _, body = seeds_server.get("/stories/s_nope?format=json")
    assert status == 404 and json.loads(body)["error"]


def test_api_reads_pages_and_exports(ecb_server: Server, ecb_db: Path) -> None:
    spec = ecb_server.json("/openapi.json")
    for p in ["/api/v1/stories", "/api/v1/stories/{story_id}/brief", "/api/v1/articles/{article_id}",
              "/api/v1/stories/{story_id}/facts", "/api/v1/export/articles.jsonl", "/api/v1/export/articles.parquet"]:
        assert p in spec["paths"]
    with open_store(str(ecb_db)) as store:
        n_stories, n_articles = store.story_count(), store.article_count()
    # Cursor pages: every story exactly once, newest first, however small the page.
    seen: list[str] = []
    cursor = ""
    while True:
        page = ecb_server.json(f"/api/v1/stories?limit=7&cursor={cursor}")
        seen += [s["id"] for s in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == n_stories > 30
    # Search narrows to stories whose headline or summary has all the words.
    hits = ecb_server.json("/api/v1/stories?q=pirates&limit=500")["items"]
    assert hits and len(hits) < n_stories
    for h in hits:
        brief = ecb_server.json(f"/api/v1/stories/{h['id']}/brief")
        assert "pirate" in (brief["headline"] + " ".join(s["text"] for s in brief["summary"])).lower()
    # FTS operators typed by a user are searched as words, never a syntax error.
    for h in ecb_server.json("/api/v1/stories?q=%22OR%20NEAR(&limit=5")["items"]:
        brief = ecb_server.json(f"/api/v1/stories/{h['id']}/brief")
        words = set((brief["headline"] + " " + " ".join(s["text"] for s in brief["summary"])).lower().split())
        assert {"or", "near"} <= {w.strip('.,;:"()') for w in words}
    status, _, body = ecb_server.get("/api/v1/stories?cursor=not-a-cursor")
    assert status == 400 and "cursor" in json.loads(body)["error"]
    # Exports stream the whole store.
    status, headers, body = ecb_server.get("/api/v1/export/articles.jsonl")
    rows = [json.loads(x) for x in body.decode().splitlines()]
    assert status == 200 and headers["content-type"] == "application/x-ndjson"
    assert len(rows) == len({r["id"] for r in rows}) == n_articles
    status, _, body = ecb_server.get("/api/v1/export/articles.parquet")
    table = pq.read_table(io.BytesIO(body))
    assert table.num_rows == n_articles and set(table.column("id").to_pylist()) == {r["id"] for r in rows}
    status, _, body = ecb_server.get("/api/v1/export/stories.jsonl")
    assert len(body.decode().splitlines()) == n_stories
    # Writes on a server started without a token are refused.
    assert ecb_server.post("/api/v1/articles", {"articles": []}, TOKEN)[0] == 403


XSS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=1;alert(1)">',
    '"><svg onload="window.__pwned=1;alert(1)">',
    "</title><script>window.__pwned=1</script>",
    "{{7*7}}{% raw %}",
]


def test_xss_probes_are_inert_in_the_browser(seeds_server: Server, browser: Browser) -> None:
    body = ("Officials said on Monday that " + XSS[0] + " the vote had been counted. "
            "“We will not accept " + XSS[1] + " any result,” the minister said. " + XSS[2] + " "
            "The commission said 40 ballots were spoiled " + XSS[3] + ". ") * 3
    hostile = {"title": "Vote " + XSS[0] + XSS[3], "text": body, "outlet": "Evil " + XSS[1],
               "url": "javascript:window.__pwned=1", "byline": "By " + XSS[2] + XSS[4],
               "published_at": "2024-03-04", "id": "xss-1"}
    assert seeds_server.post("/api/v1/articles", {"articles": [hostile]}, None)[0] == 401
    assert seeds_server.post("/api/v1/articles", {"articles": [hostile]}, "wrong-" + TOKEN)[0] == 401
    status, summary = seeds_server.post("/api/v1/articles", {"articles": [hostile]}, TOKEN)
    assert status == 200 and summary["new_articles"] == 1, summary
    # A retried POST stores nothing twice.
    assert seeds_server.post("/api/v1/articles", {"articles": [hostile]}, TOKEN)[1]["new_articles"] == 0
    aid = summary["ids"][0]
    sid = seeds_server.json(f"/api/v1/articles/{aid}")["story_id"]
    outlet = "Evil " + XSS[1]

    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ["/", "/?q=vote", f"/stories/{sid}", f"/articles/{aid}", "/outlets",
                 "/outlets/" + urllib.request.quote(outlet, safe="")]:
        response = page.goto(seeds_server.base + path)
        assert response is not None and response.status == 200, path
        assert page.evaluate("() => window.__pwned") is None, path
        assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0, path
        assert page.locator("main svg[onload]").count() == 0, path
        assert page.locator("a[href^='javascript']").count() == 0, path
        text = page.locator("main").inner_text()
        assert "<script>" in text or "onerror" in text, path  # shown as text
        if path.startswith("/articles/"):
            assert "{{7*7}}{% raw %}" in text  # shown as typed, not evaluated as a template
    page.close()
    assert dialogs == []


def test_posts_use_the_settings_the_store_was_built_with(tmp_path: Path) -> None:
    """A store built by the fast path (no models): articles posted through the API are
    processed the same way, not refused and not processed with other settings."""
    db = tmp_path / "fast.db"
    seeds = sorted(SEEDS.glob("00*.txt"))
    fast = PipelineConfig(semantic=False, parser=False)
    with open_store(str(db)) as store:
        run([str(p) for p in seeds[:4]], store, fast)
        before = store.settings()
    s = Server(db, TOKEN)
    try:
        text = seeds[4].read_text(encoding="utf-8")
        status, summary = s.post("/api/v1/articles", {"articles": [{"text": text, "id": "posted-1"}]}, TOKEN)
        assert status == 200 and summary["new_articles"] == 1, summary
    finally:
        s.stop()
    with open_store(str(db)) as store:
        assert store.settings() == before and json.loads(before["parser"]) is False
        assert store.article_count() == 5
