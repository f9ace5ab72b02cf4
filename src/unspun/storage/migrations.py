"""Versioned schema migrations.  Each entry upgrades the schema by one version; a store
records its version and applies only what it lacks, in order, each in its own transaction.
Never edit a released migration: add the next one.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

MIGRATIONS: list[str] = [
    # 1: the spine
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        published_at TEXT,
        exact_key TEXT NOT NULL,
        pending INTEGER NOT NULL DEFAULT 1,
        data TEXT NOT NULL
    );
    CREATE INDEX articles_exact ON articles(exact_key);
    CREATE INDEX articles_pending ON articles(pending);
    CREATE TABLE article_index (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        signature TEXT NOT NULL,
        features TEXT NOT NULL
    );
    CREATE TABLE lsh_bands (
        band_key TEXT NOT NULL,
        article_id TEXT NOT NULL REFERENCES articles(id),
        PRIMARY KEY (band_key, article_id)
    );
    CREATE TABLE facts (
        id TEXT PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles(id),
        data TEXT NOT NULL
    );
    CREATE INDEX facts_article ON facts(article_id);
    CREATE TABLE input_errors (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE duplicate_pairs (
        a TEXT NOT NULL, b TEXT NOT NULL, kind TEXT NOT NULL, similarity REAL NOT NULL,
        PRIMARY KEY (a, b)
    );
    CREATE TABLE edges (
        a TEXT NOT NULL, b TEXT NOT NULL, score REAL NOT NULL,
        PRIMARY KEY (a, b)
    );
    CREATE TABLE duplicate_links (
        article_id TEXT PRIMARY KEY,
        canonical_id TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE stories (
        id TEXT PRIMARY KEY,
        members TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE story_articles (
        article_id TEXT PRIMARY KEY,
        story_id TEXT NOT NULL
    );
    CREATE INDEX story_articles_story ON story_articles(story_id);
    CREATE TABLE story_outputs (
        story_id TEXT PRIMARY KEY,
        dirty INTEGER NOT NULL DEFAULT 1,
        data TEXT
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    """,
    # 2: story clustering v2 -- blocking keys per article; features are StoryFeatures records,
    # so stores made before this version must be rebuilt (their feature rows do not decode).
    """
    CREATE TABLE story_keys (
        key TEXT NOT NULL,
        article_id TEXT NOT NULL REFERENCES articles(id),
        PRIMARY KEY (key, article_id)
    );
    CREATE INDEX edges_b ON edges(b);
    """,
    # 3: what the web UI and the API read -- one listing row per story (filled beside its
    # outputs), the outlets of each story, full-text search over headline and summary, and the
    # outlet of each article.  Existing stores are backfilled from their stored JSON.
    """
    ALTER TABLE articles ADD COLUMN outlet TEXT;
    UPDATE articles SET outlet = json_extract(data, '$.outlet');
    CREATE INDEX articles_outlet ON articles(outlet, id);
    CREATE TABLE story_listing (
        story_id TEXT PRIMARY KEY,
        headline TEXT NOT NULL,
        sort_key TEXT NOT NULL,
        first_published TEXT,
        last_published TEXT,
        sources INTEGER NOT NULL,
        conflicts INTEGER NOT NULL,
        outlets TEXT NOT NULL
    );
    CREATE INDEX story_listing_sort ON story_listing(sort_key, story_id);
    CREATE TABLE story_outlets (
        outlet TEXT NOT NULL,
        story_id TEXT NOT NULL,
        PRIMARY KEY (outlet, story_id)
    );
    CREATE INDEX story_outlets_story ON story_outlets(story_id);
    CREATE VIRTUAL TABLE story_fts USING fts5(story_id UNINDEXED, headline, body);
    INSERT INTO story_listing
        SELECT o.story_id, json_extract(o.data, '$.brief.headline'),
               coalesce(json_extract(s.data, '$.last_published'), ''),
               json_extract(s.data, '$.first_published'), json_extract(s.data, '$.last_published'),
               json_array_length(o.data, '$.brief.sources'),
               (SELECT count(*) FROM json_each(o.data, '$.brief.facts') f
                WHERE json_extract(f.value, '$.status') = 'conflict'),
               coalesce((SELECT group_concat(DISTINCT json_extract(x.value, '$.outlet')) FROM json_each(o.data, '$.brief.sources') x
                         WHERE json_extract(x.value, '$.outlet') IS NOT NULL), '')
        FROM story_outputs o JOIN stories s ON s.id = o.story_id WHERE o.data IS NOT NULL;
    INSERT OR IGNORE INTO story_outlets
        SELECT DISTINCT json_extract(x.value, '$.outlet'), o.story_id
        FROM story_outputs o, json_each(o.data, '$.brief.sources') x
        WHERE o.data IS NOT NULL AND json_extract(x.value, '$.outlet') IS NOT NULL;
    INSERT INTO story_fts(story_id, headline, body)
        SELECT o.story_id, json_extract(o.data, '$.brief.headline'),
               coalesce((SELECT group_concat(json_extract(x.value, '$.text'), ' ') FROM json_each(o.data, '$.brief.summary') x), '')
        FROM story_outputs o WHERE o.data IS NOT NULL;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
