"""The web UI and the REST API: one FastAPI app over one store.

Pages are rendered on the server (Jinja2, autoescaped) and read without JavaScript; each
page has a JSON twin at the same address with ``?format=json``.  The API lives under
``/api/v1`` and is described at ``/openapi.json``.

Security: article text is untrusted.  Templates escape every value, the SVG drawings escape
their own text, links to article URLs are kept only for http(s), and every response carries
a Content-Security-Policy that allows no script at all, so even markup that slipped through
could not run.  Writes need the bearer token given to ``unspun serve``; without one the
server is read-only.  Queries are parameterized in the store; nothing here builds SQL.
"""

from __future__ import annotations

import html
import threading
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..errors import ConfigError, NotFoundError
from ..storage import Store, open_store
from ..storage.base import StoryFilter
from . import api, views

__all__ = ["CSP", "create_app"]

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
Fmt = Annotated[str | None, Query(pattern="^(html|json)$", description="json for the page's JSON twin")]
_CSS = files("unspun.web").joinpath("static/unspun.css").read_text(encoding="utf-8")


def _segments_html(segments: list[dict[str, Any]]) -> Markup:
    """An article's text with removed spans struck through and their reasons: built here
    rather than in a template loop because a long article has hundreds of segments, and
    escaping each through the template engine was most of a story page's render time.
    Every piece of text goes through :func:`html.escape`."""
    e = html.escape
    parts = []
    for seg in segments:
        if seg["removed"]:
            cls = "meta" if seg["metadata"] else "junk"
            parts.append(f'<del class="{cls}" title="removed: {e(seg["reason"])}">{e(seg["text"])}</del>'
                         f'<span class="reason">[{e(seg["reason"])}]</span>')
        else:
            parts.append(e(seg["text"]))
    return Markup('<div class="text">' + "".join(parts) + "</div>")


def _safe_url(url: str | None) -> str | None:
    """Only web links become links: a ``javascript:`` or ``data:`` URL is shown as text."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]


class SecurityHeaders:
    """Adds the security headers to every response.  A plain ASGI wrapper: Starlette's
    ``BaseHTTPMiddleware`` costs a task group per request, a third of a story page's time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class StoreLocal:
    """One store connection per server thread (SQLite connections stay in their thread)."""

    def __init__(self, db: str) -> None:
        self.db = db
        self._local = threading.local()
        self.write_lock = threading.Lock()

    def get(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.db)
            self._local.store = store
        return store


def create_app(db: str, token: str | None = None) -> FastAPI:
    """The app serving the store at ``db``; ``token`` enables writes (POST) for its bearer."""
    stores = StoreLocal(db)
    open_store(db).close()  # fail now, at start, on a store that cannot be opened
    env = Environment(loader=PackageLoader("unspun.web", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["safe_url"] = _safe_url
    env.filters["segments_html"] = _segments_html
    env.globals["version"] = __version__

    app = FastAPI(title="unspun", version=__version__, docs_url=None, redoc_url=None,
                  description="Stories, briefs, articles and facts from an unspun store. Lists page with "
                              "`cursor`: pass back `next_cursor` until it is null.")
    app.state.stores = stores
    app.state.token = token

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(ConfigError)
    async def bad_request(request: Request, exc: ConfigError) -> Response:
        return _error(request, 400, str(exc))

    def _error(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/") or request.query_params.get("format") == "json":
            return JSONResponse({"error": message}, status_code=status)
        body = env.get_template("error.html").render(status=status, message=message, title=f"{status}")
        return HTMLResponse(body, status_code=status)

    def page(request: Request, template: str, data: dict[str, Any], **extra: Any) -> Response:
        if request.query_params.get("format") == "json":
            return JSONResponse({k: v for k, v in data.items() if not k.startswith("_")})
        twin = request.url.path + "?" + urlencode([*request.query_params.multi_items(), ("format", "json")])
        drawings = {k: Markup(v) for k, v in data.get("_svg", {}).items()}  # escaped by svg.py
        return HTMLResponse(env.get_template(template).render(**data, **extra, svg=drawings, json_twin=twin))

    @app.get("/", response_class=HTMLResponse, summary="Story list (HTML; JSON twin with ?format=json)")
    async def index(request: Request, q: str = "", outlet: str | None = None, conflicts: bool = False,
              since: str | None = None, until: str | None = None, min_sources: int = 0,
              cursor: str | None = None, limit: int = 50, format: Fmt = None) -> Response:
        filt = StoryFilter(text=q, outlet=outlet or None, conflicts_only=conflicts, since=since or None,
                           until=until or None, min_sources=min_sources)
        result = views.story_list(stores.get(), filt, cursor, limit)
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "format")]
        nxt = "/?" + urlencode([*params, ("cursor", result.next_cursor)]) if result.next_cursor else None
        data = {"stories": result.items, "next_cursor": result.next_cursor,
                "filters": {"q": q, "outlet": outlet, "conflicts": conflicts, "since": since, "until": until,
                            "min_sources": min_sources}}
        return page(request, "stories.html", data, title="Stories", next_url=nxt, total=stores.get().story_count())

    @app.get("/stories/{story_id}", response_class=HTMLResponse, summary="Story page: the brief, drawn")
    async def story_page(request: Request, story_id: str, format: Fmt = None) -> Response:
        data = views.story_view(stores.get(), story_id)
        return page(request, "story.html", data, title=data["brief"]["headline"])

    @app.get("/articles/{article_id}", response_class=HTMLResponse, summary="Article page: text and removals")
    async def article_page(request: Request, article_id: str, format: Fmt = None) -> Response:
        data = views.article_view(stores.get(), article_id)
        return page(request, "article.html", data, title=data["article"]["title"] or article_id)

    @app.get("/outlets", response_class=HTMLResponse, summary="Outlets with their article counts")
    async def outlets_page(request: Request, format: Fmt = None) -> Response:
        data = {"outlets": [{"outlet": o, "articles": n} for o, n in stores.get().outlets()]}
        return page(request, "outlets.html", data, title="Outlets")

    @app.get("/outlets/{outlet}", response_class=HTMLResponse, summary="Outlet page: profile, stories, articles")
    async def outlet_page(request: Request, outlet: str, cursor: str | None = None, limit: int = 100,
                    format: Fmt = None) -> Response:
        data = views.outlet_view(stores.get(), outlet, cursor, limit)
        nxt = f"{request.url.path}?{urlencode({'cursor': data['next_cursor']})}" if data["next_cursor"] else None
        return page(request, "outlet.html", data, title=outlet, next_url=nxt)

    @app.get("/static/unspun.css", include_in_schema=False)
    async def css() -> Response:
        return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api.router(stores, token))
    return app



def app_from_env() -> FastAPI:
    """The app for worker processes (``unspun serve --workers N``): settings come from the
    environment the parent set, since each worker imports the app anew."""
    import gc
    import os

    app = create_app(os.environ["UNSPUN_SERVE_DB"], os.environ.get("UNSPUN_SERVE_TOKEN") or None)
    # Everything loaded so far lives as long as the process: move it out of the collector's
    # sight, and collect the young generation less often, so a page's garbage is not traced
    # together with the whole app (full collections were the story page's slowest requests).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    return app
