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
]

SCHEMA_VERSION = len(MIGRATIONS)
