"""The SQLite store: one file, WAL journal, one transaction per logical write.

The queries are ``SQLStore``'s; this module opens the file, migrates it, and gives the
SQLite forms of full-text search (FTS5) and JSON access.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StoreError
from .migrations import MIGRATIONS
from .sql import SQLStore

__all__ = ["SQLiteStore", "fts_query"]


def fts_query(text: str) -> str:
    """User words as an FTS5 query that cannot be malformed: each word a quoted phrase (quotes
    doubled), all required.  Operators typed by the user are matched as words, not obeyed."""
    words = [w.replace('"', '""') for w in text.split()]
    return " ".join(f'"{w}"' for w in words)


class SQLiteStore(SQLStore):
    def __init__(self, path: str | Path) -> None:
        self.location = str(path)
        try:
            if str(path) != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the SQLite store {self.location}: {exc}") from exc

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        self._upgrade(version, MIGRATIONS, lambda v: self._db.execute(f"PRAGMA user_version={v}"))

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return self._db.execute(sql, args)

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        # A lock file beside the database: SQLite's own locks last one transaction, and the
        # corpus stages read, compute and then write.
        if self.location == ":memory:":
            yield
            return
        with open(self.location + ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _fts_match(self, text: str) -> tuple[str, Any]:
        return "l.story_id IN (SELECT story_id FROM story_fts WHERE story_fts MATCH ?)", fts_query(text)

    def _put_fts(self, story_id: str, headline: str, body: str) -> None:
        self._drop_fts([story_id])
        cur = self._exec("INSERT INTO story_fts(story_id, headline, body) VALUES (?,?,?)", (story_id, headline, body))
        self._exec("INSERT INTO story_fts_rows(story_id, fts_rowid) VALUES (?,?)", (story_id, cur.lastrowid))

    def _drop_fts(self, story_ids: Sequence[str]) -> None:
        # By row number (see migration 5): FTS5 cannot look its UNINDEXED story id up.
        for sid in story_ids:
            row = self._exec("SELECT fts_rowid FROM story_fts_rows WHERE story_id=?", (sid,)).fetchone()
            if row is not None:
                self._exec("DELETE FROM story_fts WHERE rowid=?", (row[0],))
                self._exec("DELETE FROM story_fts_rows WHERE story_id=?", (sid,))

    def _brief_json(self) -> str:
        return "json_extract(o.data, '$.brief')"

    def close(self) -> None:
        self._db.close()
