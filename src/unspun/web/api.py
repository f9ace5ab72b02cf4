"""REST API, ``/api/v1``: stories, briefs, facts and articles to read; articles to ingest.

Lists page by cursor (keyset, so a growing store never skips or repeats a row) and have no
cap on how far one can page; bulk exports stream the whole store as JSONL or Parquet, a
batch at a time, so their memory does not grow with the store.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..errors import NotFoundError
from ..export import article_export
from ..pipeline import run_items, stored_config
from ..records import Article, InputError, to_json
from ..stages.ingest import DEFAULT_MAX_BYTES, IngestOptions
from ..stages.ingest.tabular import articles_from_records
from ..storage.base import StoryFilter
from . import views

if TYPE_CHECKING:
    from .app import StoreLocal

__all__ = ["router"]

_BATCH = 500


class _Sink:
    """A write-only file that hands over what was written so far: Parquet row groups leave as
    soon as they are written, and ``tell`` keeps counting so the footer's offsets stay right."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.pos = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


_PARQUET_SCHEMA = pa.schema([
    ("id", pa.string()), ("source", pa.string()), ("url", pa.string()), ("outlet", pa.string()),
    ("title", pa.string()), ("byline", pa.string()), ("published_at", pa.string()), ("language", pa.string()),
    ("story_id", pa.string()), ("text", pa.string()), ("clean_text", pa.string()), ("removals", pa.string()),
])


def router(stores: StoreLocal, token: str | None) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["api"])

    def articles_stream(outlet: str | None = None) -> Iterator[list[Article]]:
        after: str | None = None
        while True:
            batch = stores.get().articles_after(after, _BATCH, outlet=outlet)
            if not batch:
                return
            yield batch
            after = batch[-1].id

    @r.get("/stories", summary="List or search stories, newest first")
    def list_stories(q: str = "", outlet: str | None = None, conflicts: bool = False, since: str | None = None,
                     until: str | None = None, min_sources: int = 0, cursor: str | None = None,
                     limit: int = 50) -> dict[str, Any]:
        filt = StoryFilter(text=q, outlet=outlet, conflicts_only=conflicts, since=since, until=until,
                           min_sources=min_sources)
        page = views.story_list(stores.get(), filt, cursor, limit)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @r.get("/stories/{story_id}", summary="One story: its articles and listing data")
    def get_story(story_id: str) -> dict[str, Any]:
        store = stores.get()
        story = store.story(story_id)
        if story is None:
            raise NotFoundError(f"no story {story_id}")
        return to_json(story)  # type: ignore[no-any-return]

    @r.get("/stories/{story_id}/brief", summary="A story's brief: cited summary, timeline, facts, sources")
    def get_brief(story_id: str) -> dict[str, Any]:
        out = stores.get().story_outputs(story_id)
        if out is None:
            raise NotFoundError(f"no brief for story {story_id}")
        return to_json(out.brief)  # type: ignore[no-any-return]

    @r.get("/stories/{story_id}/facts", summary="A story's cross-checked facts and the facts of its articles")
    def get_facts(story_id: str) -> dict[str, Any]:
        store = stores.get()
        story, out = store.story(story_id), store.story_outputs(story_id)
        if story is None or out is None:
            raise NotFoundError(f"no story {story_id}")
        return {"checks": to_json(out.checks), "facts": to_json(store.facts(story.article_ids))}

    @r.get("/articles", summary="List articles by id, optionally of one outlet")
    def list_articles(outlet: str | None = None, cursor: str | None = None, limit: int = 100) -> dict[str, Any]:
        rows, next_cursor = views.articles_page(stores.get(), cursor, limit, outlet)
        return {"items": [article_export(a) for a in rows], "next_cursor": next_cursor}

    @r.get("/articles/{article_id}", summary="One article: text, removals with reasons, metadata, facts")
    def get_article(article_id: str) -> dict[str, Any]:
        return views.article_view(stores.get(), article_id)

    @r.get("/export/articles.jsonl", summary="Every article, one JSON object a line (streamed)")
    def export_jsonl() -> StreamingResponse:
        def lines() -> Iterator[bytes]:
            for batch in articles_stream():
                yield "".join(json.dumps(article_export(a), sort_keys=True, ensure_ascii=False) + "\n"
                              for a in batch).encode("utf-8")
        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @r.get("/export/stories.jsonl", summary="Every story with its brief, one a line (streamed)")
    def export_stories() -> StreamingResponse:
        def lines() -> Iterator[bytes]:
            after: str | None = None
            while ids := stores.get().story_ids_after(after, _BATCH):
                out = []
                for sid in ids:
                    story, outputs = stores.get().story(sid), stores.get().story_outputs(sid)
                    if story is not None:
                        row = {"story": to_json(story), "brief": to_json(outputs.brief) if outputs else None}
                        out.append(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
                yield "".join(out).encode("utf-8")
                after = ids[-1]
        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @r.get("/export/articles.parquet", summary="Every article as one Parquet file, a row group per batch")
    def export_parquet() -> StreamingResponse:
        def chunks() -> Iterator[bytes]:
            sink = _Sink()
            with pq.ParquetWriter(sink, _PARQUET_SCHEMA) as writer:
                for batch in articles_stream():
                    store = stores.get()
                    rows = [article_export(a) for a in batch]
                    cols: dict[str, list[Any]] = {name: [] for name in _PARQUET_SCHEMA.names}
                    for a, row in zip(batch, rows, strict=True):
                        for name in _PARQUET_SCHEMA.names:
                            if name == "story_id":
                                cols[name].append(store.story_of(a.id))
                            elif name == "removals":
                                cols[name].append(json.dumps(row["removals"], ensure_ascii=False))
                            else:
                                cols[name].append(row[name])
                    writer.write_table(pa.table(cols, schema=_PARQUET_SCHEMA))
                    yield sink.take()
            yield sink.take()
        return StreamingResponse(chunks(), media_type="application/vnd.apache.parquet",
                                 headers={"Content-Disposition": 'attachment; filename="articles.parquet"'})

    @r.post("/articles", status_code=200, summary="Ingest articles (bearer token required)",
            description='Body: `{"articles": [{"text" or "html": ..., "title", "url", "outlet", "byline", '
                        '"published_at", "language", "id"}]}`.  Each goes through every stage; the answer is '
                        "the run summary.  Articles already stored are skipped, so a retried POST does not "
                        "duplicate anything.")
    async def ingest(request: Request,
                     authorization: Annotated[str | None, Header(description="Bearer TOKEN")] = None,
                     max_bytes: Annotated[int, Query(include_in_schema=False)] = DEFAULT_MAX_BYTES) -> dict[str, Any]:
        if token is None:
            raise HTTPException(403, "this server is read-only: start it with a token to allow writes")
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        body = await request.body()
        if len(body) > max_bytes:
            raise HTTPException(413, f"body over {max_bytes} bytes")
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise HTTPException(400, f"body is not JSON: {exc}") from exc
        records = payload.get("articles") if isinstance(payload, dict) else payload
        if not isinstance(records, list):
            raise HTTPException(400, 'expected {"articles": [...]} or a list of article objects')
        return await _run_in_thread(stores, records)

    return r


async def _run_in_thread(stores: StoreLocal, records: list[Any]) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        opts = IngestOptions()
        items: list[Article | InputError] = list(
            articles_from_records("api", ((f"api#{i + 1}", rec) for i, rec in enumerate(records)), opts))
        with stores.write_lock:  # one pipeline at a time: a run reads and rewrites story groups
            store = stores.get()
            # The settings the store was built with (say, by `unspun run --no-semantic`), so
            # articles posted here are compared on the same terms as those already stored.
            summary = run_items(items, store, stored_config(store))
        out = summary.as_dict()
        out["ids"] = sorted(a.id for a in items if isinstance(a, Article))
        return out

    return await run_in_threadpool(work)
