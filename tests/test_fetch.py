"""Fetching against a real HTTP server on 127.0.0.1: SSRF guard, robots.txt, rate limit, retries, caps."""

from __future__ import annotations

import gzip
import itertools
import json
import threading
import time
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import DATA, unspun
from unspun.records import Article, InputError
from unspun.stages.ingest import FetchOptions, IngestOptions, iter_inputs
from unspun.stages.ingest.fetch import Fetcher, FetchError
from unspun.stages.ingest.html import extract_html

PAGES = sorted((DATA / "extraction" / "wcxb-articles" / "html").glob("*.html.gz"))[:3]


class _Site:
    """What the server serves and what it saw."""

    def __init__(self) -> None:
        self.pages = {f"/news/{i}.html": gzip.decompress(p.read_bytes()) for i, p in enumerate(PAGES)}
        self.hits: list[tuple[float, str]] = []
        self.flaky_left = 2
        self.port = 0

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>Story {i}</title><link>http://127.0.0.1:{self.port}/news/{i}.html</link>"
            f"<pubDate>Sat, 30 Sep 2023 0{i}:00:00 +0000</pubDate><description>{escape('Teaser ' * 5)}</description></item>"
            for i in range(len(self.pages)))
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local Wire</title>{items}</channel></rss>'.encode()


def _handler(site: _Site) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            return None

        def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
                  extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            site.hits.append((time.monotonic(), self.path))
            if self.path == "/robots.txt":
                self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
            elif self.path in site.pages:
                self._send(200, site.pages[self.path])
            elif self.path == "/feed.xml":
                self._send(200, site.feed(), "application/rss+xml")
            elif self.path == "/hop":
                self._send(302, b"", extra={"Location": f"http://127.0.0.2:{site.port}/news/0.html"})
            elif self.path == "/local-hop":
                self._send(301, b"", extra={"Location": "/news/1.html"})
            elif self.path == "/flaky":
                if site.flaky_left > 0:
                    site.flaky_left -= 1
                    self._send(503, b"busy", extra={"Retry-After": "0"})
                else:
                    self._send(200, site.pages["/news/2.html"])
            elif self.path == "/big":
                self._send(200, b"<html><body>" + b"<p>word</p>" * 200_000 + b"</body></html>")
            elif self.path == "/slow":
                time.sleep(1.5)
                self._send(200, site.pages["/news/0.html"])
            else:
                self._send(404, b"no")

    return H


@pytest.fixture()
def site() -> Iterator[_Site]:
    s = _Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(s))
    s.port = server.server_address[1]
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield s
    server.shutdown()
    server.server_close()


def _opts(**kw: object) -> FetchOptions:
    base: dict[str, object] = {"allow_private": True, "min_interval": 0.0, "retries": 2, "backoff": 0.01, "timeout": 5.0}
    base.update(kw)
    return FetchOptions(**base)  # type: ignore[arg-type]


def _url(site: _Site, path: str) -> str:
    return f"http://127.0.0.1:{site.port}{path}"


def test_loopback_is_refused_by_default_and_nothing_is_sent(site: _Site) -> None:
    items = list(iter_inputs([_url(site, "/news/0.html")], IngestOptions(fetch=FetchOptions(min_interval=0))))
    assert [(type(i), getattr(i, "reason", None)) for i in items] == [(InputError, "blocked_address")]
    assert site.hits == []  # refused before connecting, robots.txt included


def test_allowed_fetch_extracts_like_the_file(site: _Site) -> None:
    items = list(iter_inputs([_url(site, "/news/1.html")], IngestOptions(fetch=_opts())))
    assert len(items) == 1 and isinstance(items[0], Article)
    direct = extract_html(site.pages["/news/1.html"].decode("utf-8", "replace"), _url(site, "/news/1.html"))
    assert direct is not None and items[0].text == direct.text + "\n"


def test_redirect_to_a_blocked_address_is_refused(site: _Site) -> None:
    # 127.0.0.1 is allowed as if it were public; the redirect target 127.0.0.2 is not.
    f = Fetcher(FetchOptions(allow_networks=("127.0.0.1/32",), min_interval=0, retries=0))
    with pytest.raises(FetchError) as err:
        f.get(_url(site, "/hop"))
    assert err.value.reason == "blocked_address" and "127.0.0.2" in err.value.detail
    assert f.get(_url(site, "/local-hop")).url.endswith("/news/1.html")  # a same-host redirect is fine


def test_robots_txt_is_honoured(site: _Site) -> None:
    f = Fetcher(_opts())
    with pytest.raises(FetchError) as err:
        f.get(_url(site, "/private/secret.html"))
    assert err.value.reason == "robots_disallowed"
    assert [p for _t, p in site.hits] == ["/robots.txt"]
    f.get(_url(site, "/news/0.html"))
    assert [p for _t, p in site.hits].count("/robots.txt") == 1  # cached per host


def test_requests_to_one_host_are_spaced(site: _Site) -> None:
    f = Fetcher(_opts(min_interval=0.3))
    for i in range(3):
        f.get(_url(site, f"/news/{i}.html"))
    times = [t for t, p in site.hits if p.startswith("/news/")]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) == 2 and min(gaps) >= 0.28, gaps


def test_retries_with_backoff_then_success(site: _Site) -> None:
    resp = Fetcher(_opts()).get(_url(site, "/flaky"))
    assert resp.status == 200
    assert [p for _t, p in site.hits].count("/flaky") == 3


def test_size_cap_timeout_and_http_errors(site: _Site) -> None:
    f = Fetcher(_opts(max_bytes=200_000, timeout=0.5, retries=0))
    for path, reason in (("/big", "too_large"), ("/slow", "timeout"), ("/missing", "http_error")):
        with pytest.raises(FetchError) as err:
            f.get(_url(site, path))
        assert err.value.reason == reason, (path, err.value)


def test_feed_url_follows_links_on_the_command_line(site: _Site, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    proc = unspun("run", _url(site, "/feed.xml"), "--db", str(db), "--allow-private", "--min-interval", "0",
                  "--json", "-q")
    summary = json.loads(proc.stdout)
    assert summary["new_articles"] == 3 and summary["errors"] == []
    out = tmp_path / "out"
    unspun("export", "--db", str(db), "--format", "json", "--out", str(out))
    arts = [json.loads(line) for line in (out / "articles.jsonl").read_text().splitlines()]
    assert sorted(a["source"] for a in arts) == [_url(site, f"/news/{i}.html") for i in range(3)]
    assert {a["published_at"][:10] for a in arts} == {"2023-09-30"}  # the feed's date comes first
    refused = unspun("run", _url(site, "/feed.xml"), "--db", str(tmp_path / "x.db"), "--json", "-q", check=False)
    assert refused.returncode == 3 and "blocked_address" in refused.stdout
