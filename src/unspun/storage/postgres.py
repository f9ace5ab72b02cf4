"""The PostgreSQL store, for a store many people share: ``--db postgresql://user@host/dbname``.

The queries are ``SQLStore``'s, the same as SQLite's; this module connects (psycopg 3),
migrates under an advisory lock (two processes starting on an empty database do not both
create the schema), and gives PostgreSQL's forms of search (a ``tsvector`` of folded words)
and JSON access.  Runs writing at once are safe: inserting an article is idempotent under the
primary key, and the corpus stages take turns under a session advisory lock (``exclusive``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import ConfigError, StoreError
from ..textutil import fold
from .migrations import POSTGRES_MIGRATIONS
from .sql import SQLStore

__all__ = ["PostgresStore"]

# Advisory lock keys (any 64-bit numbers, fixed so every unspun process uses the same ones).
_MIGRATE_LOCK = 0x756E7370756E0001
_GROUP_LOCK = 0x756E7370756E0002


def _redacted(dsn: str) -> str:
    """The connection string as shown in messages and summaries: without its password."""
    dsn = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)
    return re.sub(r"(password=)\S+", r"\1***", dsn)


class PostgresStore(SQLStore):
    _FTS_TABLE = "story_search"

    def __init__(self, dsn: str) -> None:
        self.location = _redacted(dsn)
        try:
            import psycopg
        except ImportError as exc:  # an optional dependency: say how to get it
            raise ConfigError('the PostgreSQL store needs psycopg: pip install "unspun[postgres]"') from exc
        try:
            self._conn = psycopg.connect(dsn, autocommit=True)
            self._migrate()
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the PostgreSQL store {self.location}: {exc}") from exc

    def _migrate(self) -> None:
        self._exec("SELECT pg_advisory_lock(?)", (_MIGRATE_LOCK,))
        try:
            self._exec("CREATE TABLE IF NOT EXISTS unspun_schema (version INTEGER NOT NULL)")
            row = self._exec("SELECT max(version) FROM unspun_schema").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            self._upgrade(version, POSTGRES_MIGRATIONS,
                          lambda v: self._exec("INSERT INTO unspun_schema(version) VALUES (?)", (v,)))
        finally:
            self._exec("SELECT pg_advisory_unlock(?)", (_MIGRATE_LOCK,))

    @staticmethod
    def _sql(sql: str) -> str:
        # The shared queries use "?"; psycopg takes "%s".  No query holds a literal "?" or "%".
        return sql.replace("?", "%s")

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return self._conn.execute(self._sql(sql), list(args))

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany(self._sql(sql), [list(r) for r in rows])

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self._conn.transaction():
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        self._exec("SELECT pg_advisory_lock(?)", (_GROUP_LOCK,))
        try:
            yield
        finally:
            self._exec("SELECT pg_advisory_unlock(?)", (_GROUP_LOCK,))

    def _fts_match(self, text: str) -> tuple[str, Any]:
        return ("l.story_id IN (SELECT story_id FROM story_search WHERE doc @@ plainto_tsquery('simple', ?))",
                fold(text))

    def _put_fts(self, story_id: str, headline: str, body: str) -> None:
        self._exec("INSERT INTO story_search(story_id, doc) VALUES (?, to_tsvector('simple', ?)) "
                   "ON CONFLICT(story_id) DO UPDATE SET doc=excluded.doc", (story_id, fold(f"{headline} {body}")))

    def _brief_json(self) -> str:
        return "(o.data::json -> 'brief')::text"

    def close(self) -> None:
        self._conn.close()
