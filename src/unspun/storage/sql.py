"""What the SQL stores share: every query of the store contract, written once in the SQL that
SQLite and PostgreSQL both speak (``?`` placeholders, ``ON CONFLICT`` upserts).

A backend supplies the connection, transactions, its migrations and the two things the
dialects do differently: full-text search over story summaries and reading one member of a
stored JSON document.  Records are stored as their canonical JSON (``records.dumps``) beside
the few columns that are queried, so the schema changes only when a query needs a new column.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from ..errors import StoreError
from ..records import (
    Article,
    DuplicateLink,
    Fact,
    InputError,
    Story,
    StoryFeatures,
    dumps,
    from_json,
)
from .base import ArticleIndex, Store, StoryFilter, StoryListing, StoryOutputs, outputs_from_json, outputs_to_json

__all__ = ["SQLStore"]


class SQLStore(Store):
    """The store contract over a DB-API connection; subclasses give the dialect."""

    # --- what a backend provides
    @abstractmethod
    def _exec(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """Run one statement (``?`` placeholders); returns a cursor."""

    @abstractmethod
    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _tx(self) -> AbstractContextManager[None]:
        """One transaction: committed on exit, rolled back on an exception."""

    @abstractmethod
    def _fts_match(self, text: str) -> tuple[str, Any]:
        """A condition on ``l.story_id`` for stories whose headline or summary has all of the
        user's words, and its argument."""

    @abstractmethod
    def _put_fts(self, story_id: str, headline: str, body: str) -> None: ...

    def _drop_fts(self, story_ids: Sequence[str]) -> None:
        self._many(f"DELETE FROM {self._FTS_TABLE} WHERE story_id=?", [(sid,) for sid in story_ids])

    @abstractmethod
    def _brief_json(self) -> str:
        """An expression for the brief inside ``o.data``, as JSON text."""

    _FTS_TABLE = "story_fts"

    def _upgrade(self, version: int, migrations: Sequence[str], mark: Callable[[int], object]) -> None:
        """Apply the migrations after ``version``, each in its own transaction with ``mark``
        recording the version reached; refuse a store made by a newer unspun."""
        if version > len(migrations):
            raise StoreError(f"{self.location} has schema version {version}; this unspun knows up to "
                             f"{len(migrations)}: upgrade unspun")
        for number in range(version, len(migrations)):
            with self._tx():
                for statement in migrations[number].split(";"):
                    if statement.strip():
                        self._exec(statement)
                mark(number + 1)

    # --- articles
    def has_article(self, article_id: str) -> bool:
        return self._exec("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone() is not None

    def add_article(self, article: Article, facts: Sequence[Fact], index: ArticleIndex) -> bool:
        with self._tx():
            cur = self._exec(
                "INSERT INTO articles(id, source, published_at, exact_key, pending, data, outlet) "
                "VALUES (?,?,?,?,1,?,?) ON CONFLICT DO NOTHING",
                (article.id, article.source, article.published_at, index.exact_key, dumps(article), article.outlet),
            )
            if cur.rowcount == 0:
                return False
            self._exec("INSERT INTO article_index(article_id, signature, features) VALUES (?,?,?)",
                       (article.id, json.dumps(list(index.signature)), dumps(index.features)))
            self._many("INSERT INTO story_keys(key, article_id) VALUES (?,?) ON CONFLICT DO NOTHING",
                       [(k, article.id) for k in index.features.keys])
            self._many("INSERT INTO lsh_bands(band_key, article_id) VALUES (?,?) ON CONFLICT DO NOTHING",
                       [(k, article.id) for k in index.band_keys])
            self._many("INSERT INTO facts(id, article_id, data) VALUES (?,?,?) "
                       "ON CONFLICT(id) DO UPDATE SET article_id=excluded.article_id, data=excluded.data",
                       [(f.id, f.article_id, dumps(f)) for f in facts])
        return True

    def get_article(self, article_id: str) -> Article | None:
        row = self._exec("SELECT data FROM articles WHERE id=?", (article_id,)).fetchone()
        return from_json(Article, json.loads(row[0])) if row else None

    def articles(self, ids: Iterable[str] | None = None) -> dict[str, Article]:
        if ids is None:
            rows = self._exec("SELECT data FROM articles ORDER BY id").fetchall()
        else:
            rows = self._chunked("SELECT data FROM articles WHERE id IN (?) ORDER BY id", ids)
        arts = (from_json(Article, json.loads(r[0])) for r in rows)
        return {a.id: a for a in arts}

    def article_count(self) -> int:
        return int(self._exec("SELECT COUNT(*) FROM articles").fetchone()[0])

    def facts(self, article_ids: Iterable[str]) -> list[Fact]:
        rows = self._chunked("SELECT id, data FROM facts WHERE article_id IN (?)", article_ids)
        return [from_json(Fact, json.loads(r[1])) for r in sorted(rows)]

    # --- errors
    def put_error(self, error: InputError) -> None:
        with self._tx():
            self._exec("INSERT INTO input_errors(id, source, data) VALUES (?,?,?) "
                       "ON CONFLICT(id) DO UPDATE SET source=excluded.source, data=excluded.data",
                       (error.id, error.source, dumps(error)))

    def errors(self) -> list[InputError]:
        rows = self._exec("SELECT source, id, data FROM input_errors").fetchall()
        return [from_json(InputError, json.loads(r[2])) for r in sorted(rows)]

    # --- corpus stages
    def pending_ids(self) -> list[str]:
        return sorted(r[0] for r in self._exec("SELECT id FROM articles WHERE pending=1").fetchall())

    def index(self, article_id: str) -> ArticleIndex | None:
        row = self._exec(
            "SELECT a.exact_key, i.signature, i.features FROM articles a JOIN article_index i ON i.article_id=a.id "
            "WHERE a.id=?", (article_id,)).fetchone()
        if row is None:
            return None
        keys = tuple(sorted(r[0] for r in self._exec(
            "SELECT band_key FROM lsh_bands WHERE article_id=?", (article_id,)).fetchall()))
        return ArticleIndex(row[0], tuple(json.loads(row[1])), keys, from_json(StoryFeatures, json.loads(row[2])))

    def ids_with_exact_key(self, key: str) -> list[str]:
        return sorted(r[0] for r in self._exec("SELECT id FROM articles WHERE exact_key=?", (key,)).fetchall())

    def ids_with_band_keys(self, keys: Sequence[str]) -> list[str]:
        return sorted({r[0] for r in self._chunked("SELECT article_id FROM lsh_bands WHERE band_key IN (?)", keys)})

    def ids_with_band_scheme_other_than(self, scheme: str) -> list[str]:
        # Keys outside the range [scheme + ":", scheme + ";") -- ";" follows ":" in byte order --
        # so the primary-key index answers without reading every band of a current store.
        rows = self._exec("SELECT DISTINCT article_id FROM lsh_bands WHERE band_key < ? OR band_key >= ?",
                          (scheme + ":", scheme + ";")).fetchall()
        return sorted(r[0] for r in rows)

    def replace_signature(self, article_id: str, signature: Sequence[int], band_keys: Sequence[str]) -> None:
        with self._tx():
            self._exec("UPDATE article_index SET signature=? WHERE article_id=?", (json.dumps(list(signature)), article_id))
            self._exec("DELETE FROM lsh_bands WHERE article_id=?", (article_id,))
            self._many("INSERT INTO lsh_bands(band_key, article_id) VALUES (?,?) ON CONFLICT DO NOTHING",
                       [(k, article_id) for k in band_keys])

    def _chunked(self, sql: str, ids: Iterable[str]) -> list[Any]:
        """Rows of ``sql`` whose ``IN (?)`` takes the sorted ids, 500 at a time (SQLite caps
        bound parameters)."""
        wanted = sorted(set(ids))
        rows: list[Any] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows += self._exec(sql.replace("(?)", f"({','.join('?' * len(chunk))})"), chunk).fetchall()
        return rows

    def ids_with_story_keys(self, keys: Sequence[str]) -> list[str]:
        return sorted({r[0] for r in self._chunked("SELECT article_id FROM story_keys WHERE key IN (?)", keys)})

    def story_key_counts(self, keys: Sequence[str]) -> dict[str, int]:
        rows = self._chunked("SELECT key, COUNT(*) FROM story_keys WHERE key IN (?) GROUP BY key", keys)
        return {str(r[0]): int(r[1]) for r in rows}

    def story_features(self, ids: Iterable[str]) -> dict[str, StoryFeatures]:
        rows = self._chunked("SELECT article_id, features FROM article_index WHERE article_id IN (?)", ids)
        return {r[0]: from_json(StoryFeatures, json.loads(r[1])) for r in sorted(rows)}

    def edges_touching(self, ids: Iterable[str], at_least: float | None = None) -> list[tuple[str, str, float]]:
        ids = list(ids)
        floor = "" if at_least is None else f" AND score >= {float(at_least)!r}"
        rows = self._chunked(f"SELECT a, b, score FROM edges WHERE a IN (?){floor}", ids)
        rows += self._chunked(f"SELECT a, b, score FROM edges WHERE b IN (?){floor}", ids)
        return sorted({(r[0], r[1], float(r[2])) for r in rows})

    def feature_page(self, after: str, limit: int) -> list[tuple[str, StoryFeatures]]:
        rows = self._exec("SELECT article_id, features FROM article_index WHERE article_id > ? "
                          "ORDER BY article_id LIMIT ?", (after, limit)).fetchall()
        return [(r[0], from_json(StoryFeatures, json.loads(r[1]))) for r in rows]

    def exact_key_groups(self) -> list[list[str]]:
        rows = self._exec("SELECT exact_key, id FROM articles WHERE exact_key IN "
                          "(SELECT exact_key FROM articles GROUP BY exact_key HAVING COUNT(*) > 1)").fetchall()
        groups: dict[str, list[str]] = {}
        for key, aid in sorted(rows):
            groups.setdefault(key, []).append(aid)
        return [groups[k] for k in sorted(groups)]

    def band_sharing_pairs(self) -> list[tuple[str, str]]:
        rows = self._exec("SELECT DISTINCT x.article_id, y.article_id FROM lsh_bands x JOIN lsh_bands y "
                          "ON y.band_key = x.band_key AND y.article_id > x.article_id").fetchall()
        return sorted((r[0], r[1]) for r in rows)

    def signatures(self, ids: Iterable[str]) -> dict[str, tuple[int, ...]]:
        rows = self._chunked("SELECT article_id, signature FROM article_index WHERE article_id IN (?)", ids)
        return {r[0]: tuple(json.loads(r[1])) for r in rows}

    def duplicate_pairs(self) -> list[tuple[str, str, str, float]]:
        return sorted((r[0], r[1], r[2], float(r[3])) for r in self._exec(
            "SELECT a, b, kind, similarity FROM duplicate_pairs").fetchall())

    def edges(self) -> list[tuple[str, str, float]]:
        return sorted((r[0], r[1], float(r[2])) for r in self._exec("SELECT a, b, score FROM edges").fetchall())

    def commit_grouping(
        self,
        done: Sequence[str],
        new_pairs: Sequence[tuple[str, str, str, float]],
        new_edges: Sequence[tuple[str, str, float]],
        stories: Sequence[Story],
        links: Sequence[DuplicateLink],
        dropped_edges: Sequence[tuple[str, str]] = (),
        replace: bool = False,
    ) -> list[str]:
        with self._tx():
            if replace:
                self._exec("DELETE FROM edges")
                self._exec("DELETE FROM duplicate_pairs")
            self._many("DELETE FROM edges WHERE a=? AND b=?", list(dropped_edges))
            self._many("INSERT INTO duplicate_pairs(a, b, kind, similarity) VALUES (?,?,?,?) "
                       "ON CONFLICT(a, b) DO UPDATE SET kind=excluded.kind, similarity=excluded.similarity", new_pairs)
            self._many("INSERT INTO edges(a, b, score) VALUES (?,?,?) "
                       "ON CONFLICT(a, b) DO UPDATE SET score=excluded.score", new_edges)
            old = {r[0]: r[1] for r in self._exec("SELECT id, members FROM stories").fetchall()}
            new = {s.id: ",".join(s.article_ids) for s in stories}
            changed = sorted(sid for sid, members in new.items() if old.get(sid) != members)
            gone = sorted(sid for sid in old if sid not in new)
            self._many("DELETE FROM stories WHERE id=?", [(sid,) for sid in gone])
            for table in ("story_outputs", "story_listing", "story_outlets"):
                self._many(f"DELETE FROM {table} WHERE story_id=?", [(sid,) for sid in gone])
            self._drop_fts(gone)
            self._many("INSERT INTO stories(id, members, data) VALUES (?,?,?) "
                       "ON CONFLICT(id) DO UPDATE SET members=excluded.members, data=excluded.data",
                       [(s.id, new[s.id], dumps(s)) for s in stories if s.id in changed])
            self._exec("DELETE FROM story_articles")
            self._many("INSERT INTO story_articles(article_id, story_id) VALUES (?,?)",
                       [(a, s.id) for s in stories for a in s.article_ids])
            self._many("INSERT INTO story_outputs(story_id, dirty) VALUES (?,1) "
                       "ON CONFLICT(story_id) DO UPDATE SET dirty=1", [(sid,) for sid in changed])
            self._exec("DELETE FROM duplicate_links")
            self._many("INSERT INTO duplicate_links(article_id, canonical_id, data) VALUES (?,?,?)",
                       [(link.article_id, link.canonical_id, dumps(link)) for link in links])
            self._many("UPDATE articles SET pending=0 WHERE id=?", [(i,) for i in done])
        return changed

    # --- stories
    def dirty_story_ids(self) -> list[str]:
        return sorted(r[0] for r in self._exec("SELECT story_id FROM story_outputs WHERE dirty=1").fetchall())

    def put_story_outputs(self, story_id: str, outputs: StoryOutputs) -> None:
        data = outputs_to_json(outputs)
        brief = outputs.brief
        outlets = sorted({s.outlet for s in brief.sources if s.outlet})
        conflicts = sum(f.status == "conflict" for f in brief.facts)
        with self._tx():
            self._exec("INSERT INTO story_outputs(story_id, dirty, data) VALUES (?,0,?) "
                       "ON CONFLICT(story_id) DO UPDATE SET dirty=0, data=excluded.data", (story_id, data))
            row = self._exec("SELECT data FROM stories WHERE id=?", (story_id,)).fetchone()
            story = from_json(Story, json.loads(row[0])) if row else None
            first = story.first_published if story else None
            last = story.last_published if story else None
            self._exec("INSERT INTO story_listing(story_id, headline, sort_key, first_published, last_published, "
                       "sources, conflicts, outlets) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(story_id) DO UPDATE SET "
                       "headline=excluded.headline, sort_key=excluded.sort_key, first_published=excluded.first_published, "
                       "last_published=excluded.last_published, sources=excluded.sources, conflicts=excluded.conflicts, "
                       "outlets=excluded.outlets",
                       (story_id, brief.headline, last or "", first, last, len(brief.sources), conflicts,
                        ",".join(outlets)))
            self._exec("DELETE FROM story_outlets WHERE story_id=?", (story_id,))
            self._many("INSERT INTO story_outlets(outlet, story_id) VALUES (?,?)", [(o, story_id) for o in outlets])
            self._put_fts(story_id, brief.headline, " ".join(s.text for s in brief.summary))

    def stories(self) -> list[Story]:
        return [from_json(Story, json.loads(r[1])) for r in sorted(self._exec("SELECT id, data FROM stories").fetchall())]

    def story(self, story_id: str) -> Story | None:
        row = self._exec("SELECT data FROM stories WHERE id=?", (story_id,)).fetchone()
        return from_json(Story, json.loads(row[0])) if row else None

    def story_outputs(self, story_id: str) -> StoryOutputs | None:
        row = self._exec("SELECT data FROM story_outputs WHERE story_id=? AND data IS NOT NULL", (story_id,)).fetchone()
        if row is None:
            return None
        return outputs_from_json(row[0])

    def duplicate_links(self) -> list[DuplicateLink]:
        rows = sorted(self._exec("SELECT article_id, data FROM duplicate_links").fetchall())
        return [from_json(DuplicateLink, json.loads(r[1])) for r in rows]

    # --- reading
    def list_stories(self, filt: StoryFilter, after: tuple[str, str] | None, limit: int) -> list[StoryListing]:
        where = ["l.sources >= ?"]
        args: list[Any] = [filt.min_sources]
        if filt.text.strip():
            cond, arg = self._fts_match(filt.text)
            where.append(cond)
            args.append(arg)
        if filt.outlet:
            where.append("l.story_id IN (SELECT story_id FROM story_outlets WHERE outlet = ?)")
            args.append(filt.outlet)
        if filt.conflicts_only:
            where.append("l.conflicts > 0")
        if filt.since:
            where.append("l.sort_key >= ?")
            args.append(filt.since)
        if filt.until:
            # A bound like 2023-09 must keep 2023-09-30T12:00: compare against its last moment.
            where.append("coalesce(l.first_published, '') <= ?")
            args.append(filt.until + "\uffff")
        if after is not None:
            where.append("(l.sort_key < ? OR (l.sort_key = ? AND l.story_id < ?))")
            args += [after[0], after[0], after[1]]
        sql = ("SELECT story_id, headline, first_published, last_published, sources, conflicts, outlets "
               f"FROM story_listing l WHERE {' AND '.join(where)} ORDER BY l.sort_key DESC, l.story_id DESC LIMIT ?")
        rows = self._exec(sql, [*args, limit]).fetchall()
        return [StoryListing(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), tuple(o for o in r[6].split(",") if o))
                for r in rows]

    def story_page_json(self, story_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]] | None:
        row = self._exec(
            f"SELECT s.data, {self._brief_json()} FROM stories s JOIN story_outputs o ON o.story_id = s.id "
            "WHERE s.id = ? AND o.data IS NOT NULL", (story_id,)).fetchone()
        if row is None:
            return None
        story = json.loads(row[0])
        rows = self._exec("SELECT a.id, a.data FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
                          "WHERE sa.story_id = ?", (story_id,)).fetchall()
        return story, json.loads(row[1]), {r[0]: json.loads(r[1]) for r in rows}

    def story_count(self) -> int:
        return int(self._exec("SELECT COUNT(*) FROM stories").fetchone()[0])

    def articles_after(self, after: str | None, limit: int, outlet: str | None = None) -> list[Article]:
        where, args = ["id > ?"], [after or ""]
        if outlet is not None:
            where.append("outlet = ?")
            args.append(outlet)
        rows = self._exec(f"SELECT data FROM articles WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
                          [*args, limit]).fetchall()
        return [from_json(Article, json.loads(r[0])) for r in rows]

    def story_ids_after(self, after: str | None, limit: int) -> list[str]:
        return [r[0] for r in self._exec("SELECT id FROM stories WHERE id > ? ORDER BY id LIMIT ?",
                                         (after or "", limit)).fetchall()]

    def story_of(self, article_id: str) -> str | None:
        row = self._exec("SELECT story_id FROM story_articles WHERE article_id=?", (article_id,)).fetchone()
        return str(row[0]) if row else None

    def outlets(self) -> list[tuple[str, int]]:
        return [(r[0], int(r[1])) for r in self._exec(
            "SELECT outlet, COUNT(*) FROM articles WHERE outlet IS NOT NULL GROUP BY outlet ORDER BY outlet").fetchall()]

    # --- runs
    def record_run(self, started_at: str, finished_at: str, summary: str) -> None:
        with self._tx():
            self._exec("INSERT INTO runs(started_at, finished_at, summary) VALUES (?,?,?)",
                       (started_at, finished_at, summary))

    def settings(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._exec("SELECT name, value FROM settings ORDER BY name").fetchall()}

    def keep_settings(self, values: Mapping[str, str]) -> dict[str, str]:
        with self._tx():
            self._many("INSERT INTO settings(name, value) VALUES (?,?) ON CONFLICT DO NOTHING", sorted(values.items()))
        return self.settings()
