"""Fetching pages and feeds over HTTP(S), politely and safely.

Only what the user asks for is fetched: URLs given on the command line, and the links of a feed
when ``--follow-links`` is set.  Every request

* goes only to public addresses: the address the socket actually connects to is checked (not
  just the name before resolution), so a redirect or a DNS answer pointing at a private,
  loopback, link-local or otherwise reserved address is refused unless ``allow_private`` is set
  or the address is inside one of ``allow_networks`` (SSRF protection);
* honours ``robots.txt`` for the user agent (a robots file that cannot be fetched allows all,
  as the robots exclusion standard says for 4xx answers);
* waits ``min_interval`` seconds between requests to one host, or the site's ``Crawl-delay``
  when that is longer;
* retries timeouts, connection errors, 429 and 5xx answers with exponential back-off
  (``Retry-After`` honoured up to ``max_backoff``);
* stops reading at ``max_bytes`` and reports the page as too large.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from ...errors import UnspunError
from .common import USER_AGENT, FetchOptions

__all__ = ["USER_AGENT", "FetchError", "FetchOptions", "Fetcher", "Response"]



class FetchError(UnspunError):
    """A URL could not be fetched; ``reason`` is one of the ingest error reasons."""

    def __init__(self, url: str, reason: str, detail: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}: {detail}")
        self.url = url
        self.reason = reason
        self.detail = detail
        self.status = status


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _address_allowed(ip: str, opts: FetchOptions) -> bool:
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if any(addr in ipaddress.ip_network(net, strict=False) for net in opts.allow_networks):
        return True
    if opts.allow_private:
        return not (addr.is_multicast or addr.is_unspecified)
    return addr.is_global and not (addr.is_multicast or addr.is_reserved)


class _BlockedAddress(OSError):
    pass


def _guarded_connect(opts: FetchOptions) -> Callable[..., socket.socket]:
    """``socket.create_connection`` that checks every address it is about to connect to."""

    def connect(address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                source_address: Any = None, *args: Any, **kwargs: Any) -> socket.socket:
        host, port = address
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        last: OSError | None = None
        for family, kind, proto, _canon, sockaddr in infos:
            ip = str(sockaddr[0])
            if not _address_allowed(ip, opts):
                raise _BlockedAddress(f"{host} resolves to {ip}, a non-public address (use --allow-private)")
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                    sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last or OSError(f"no address for {host}")

    return connect


def _handlers(opts: FetchOptions) -> list[Any]:
    connect = _guarded_connect(opts)

    class GuardedHTTP(http.client.HTTPConnection):
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self._create_connection = connect

    class GuardedHTTPS(http.client.HTTPSConnection):
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self._create_connection = connect

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(GuardedHTTP, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(GuardedHTTPS, req)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        # Redirects are followed by Fetcher itself, so each hop is counted and checked.
        def redirect_request(self, *a: Any, **k: Any) -> None:
            return None

    return [HTTPHandler(), HTTPSHandler(), NoRedirect()]


class Fetcher:
    """Fetches URLs with the rules in the module docstring; safe to share between threads."""

    def __init__(self, opts: FetchOptions | None = None, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.opts = opts or FetchOptions()
        self._opener = urllib.request.build_opener(*_handlers(self.opts))
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    # --- politeness -------------------------------------------------------------------
    def _wait_turn(self, host: str, delay: float) -> None:
        with self._lock:
            now = time.monotonic()
            ready = self._last.get(host, 0.0) + delay
            self._last[host] = max(now, ready)
        if ready > now:
            self._sleep(ready - now)

    def _robots_for(self, url: str) -> urllib.robotparser.RobotFileParser | None:
        parts = urllib.parse.urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            # RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be
            # reached (5xx, network failure) means the site is not to be crawled for now.
            rules = urllib.robotparser.RobotFileParser()
            try:
                resp = self._request(root + "/robots.txt", robots=False)
                rules.parse(resp.body.decode("utf-8", "replace").splitlines())
            except FetchError as exc:
                if exc.reason in ("blocked_address", "bad_url"):
                    raise
                if exc.status is not None and 400 <= exc.status < 500:
                    self._robots[root] = None
                    return None
                rules.disallow_all = True  # type: ignore[attr-defined]  # set by read() too; not in typeshed
            self._robots[root] = rules
        return self._robots[root]

    # --- requests ---------------------------------------------------------------------
    def _once(self, url: str) -> Response:
        req = urllib.request.Request(url, headers={"User-Agent": self.opts.user_agent,
                                                   "Accept": "text/html,application/xhtml+xml,application/rss+xml,"
                                                             "application/atom+xml,application/xml;q=0.9,*/*;q=0.5"})
        try:
            raw = self._opener.open(req, timeout=self.opts.timeout)
        except urllib.error.HTTPError as exc:
            raw = exc  # an HTTPError is a response too: redirects and errors come this way
        with raw:
            headers: Message = raw.headers
            length = headers.get("Content-Length")
            if length and length.isdigit() and int(length) > self.opts.max_bytes:
                raise FetchError(url, "too_large", f"Content-Length {length} is over the {self.opts.max_bytes}-byte limit")
            body = raw.read(self.opts.max_bytes + 1)
            if len(body) > self.opts.max_bytes:
                raise FetchError(url, "too_large", f"the body is over the {self.opts.max_bytes}-byte limit")
            return Response(url=url, status=raw.status, content_type=headers.get_content_type(),
                            charset=headers.get_content_charset(), body=body,
                            headers={k.lower(): v for k, v in headers.items()})

    def _request(self, url: str, *, robots: bool = True) -> Response:
        seen = 0
        current = url
        while True:
            parts = urllib.parse.urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError(current, "bad_url", "only http and https URLs are fetched")
            delay = self.opts.min_interval
            if robots and self.opts.respect_robots:
                rp = self._robots_for(current)
                if rp is not None and not rp.can_fetch(self.opts.user_agent, current):
                    raise FetchError(current, "robots_disallowed", "robots.txt disallows this URL for unspun")
                crawl_delay = rp.crawl_delay(self.opts.user_agent) if rp is not None else None
                if crawl_delay:
                    delay = max(delay, float(crawl_delay))
            resp = self._with_retries(current, parts.hostname, delay)
            if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                seen += 1
                if seen > self.opts.max_redirects:
                    raise FetchError(url, "too_many_redirects", f"more than {self.opts.max_redirects} redirects")
                current = urllib.parse.urljoin(current, resp.headers["location"])
                continue
            return resp

    def _with_retries(self, url: str, host: str, delay: float) -> Response:
        attempt = 0
        status: int | None = None
        while True:
            self._wait_turn(host, delay)
            try:
                resp = self._once(url)
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, _BlockedAddress):
                    raise FetchError(url, "blocked_address", str(reason)) from None
                failure: tuple[str, str] = ("network", str(reason))
                wait = None
            except _BlockedAddress as exc:
                raise FetchError(url, "blocked_address", str(exc)) from None
            except TimeoutError:
                failure, wait = ("timeout", f"no answer within {self.opts.timeout} s"), None
            except (OSError, http.client.HTTPException) as exc:
                failure, wait = ("network", f"{type(exc).__name__}: {exc}"), None
            else:
                if resp.status == 429 or resp.status >= 500:
                    failure = ("http_error", f"HTTP {resp.status}")
                    status = resp.status
                    after = resp.headers.get("retry-after", "")
                    wait = float(after) if after.isdigit() else None
                elif resp.status >= 400:
                    raise FetchError(url, "http_error", f"HTTP {resp.status}", resp.status)
                else:
                    return resp
            if attempt >= self.opts.retries:
                raise FetchError(url, failure[0], f"{failure[1]} (after {attempt + 1} attempts)", status)
            pause = wait if wait is not None else self.opts.backoff * (2**attempt)
            self._sleep(min(pause, self.opts.max_backoff))
            attempt += 1

    def get(self, url: str) -> Response:
        """The final response for ``url`` (status 2xx) or a :class:`FetchError`."""
        return self._request(url)
