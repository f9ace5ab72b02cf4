"""Versioned schema migrations, SQLite's and PostgreSQL's.  Each entry upgrades the schema by one version; a store
records its version and applies only what it lacks, in order, each in its own transaction.
Never edit a released migration: add the next one.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "POSTGRES_MIGRATIONS", "POSTGRES_SCHEMA_VERSION", "SCHEMA_VERSION"]

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
    # 4: the settings a store's results were computed with (see pipeline.check_settings).
    # Stores made before this version record the settings of their next run.
    """
    CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 5: lookups a growing store makes for every new article and story.  An article's band
    # keys by article (the primary key starts with the band key, so this read every band of the
    # corpus: 50 ms an article at 100k).  And each story's row in the search index: its story
    # id is UNINDEXED in FTS5, so replacing a story's entry scanned the whole index (19 ms a
    # story at 28k stories); the row number is kept beside it instead.
    """
    CREATE INDEX lsh_bands_article ON lsh_bands(article_id);
    CREATE TABLE story_fts_rows (
        story_id TEXT PRIMARY KEY,
        fts_rowid INTEGER NOT NULL
    );
    INSERT OR REPLACE INTO story_fts_rows(story_id, fts_rowid) SELECT story_id, rowid FROM story_fts;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# PostgreSQL: the same tables and columns as SQLite's, so the queries are shared.
# Keys and sort columns use the "C" collation -- byte order, like SQLite's -- so ordering and
# keyset paging do not change with the server's locale.  Numbers that must round-trip exactly
# are DOUBLE PRECISION (PostgreSQL's REAL is 4 bytes).  Search is a tsvector of the folded
# (lowercased, diacritics stripped) headline and summary, as SQLite's FTS5 tokenizer does.
POSTGRES_MIGRATIONS: list[str] = [
    """
    CREATE TABLE articles (
        id TEXT COLLATE "C" PRIMARY KEY,
        source TEXT NOT NULL,
        published_at TEXT COLLATE "C",
        exact_key TEXT COLLATE "C" NOT NULL,
        pending INTEGER NOT NULL DEFAULT 1,
        data TEXT NOT NULL,
        outlet TEXT COLLATE "C"
    );
    CREATE INDEX articles_exact ON articles(exact_key);
    CREATE INDEX articles_pending ON articles(pending);
    CREATE INDEX articles_outlet ON articles(outlet, id);
    CREATE TABLE article_index (
        article_id TEXT COLLATE "C" PRIMARY KEY REFERENCES articles(id),
        signature TEXT NOT NULL,
        features TEXT NOT NULL
    );
    CREATE TABLE lsh_bands (
        band_key TEXT COLLATE "C" NOT NULL,
        article_id TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
        PRIMARY KEY (band_key, article_id)
    );
    CREATE TABLE story_keys (
        key TEXT COLLATE "C" NOT NULL,
        article_id TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
        PRIMARY KEY (key, article_id)
    );
    CREATE TABLE facts (
        id TEXT COLLATE "C" PRIMARY KEY,
        article_id TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
        data TEXT NOT NULL
    );
    CREATE INDEX facts_article ON facts(article_id);
    CREATE TABLE input_errors (
        id TEXT COLLATE "C" PRIMARY KEY,
        source TEXT COLLATE "C" NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE duplicate_pairs (
        a TEXT COLLATE "C" NOT NULL, b TEXT COLLATE "C" NOT NULL, kind TEXT NOT NULL,
        similarity DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (a, b)
    );
    CREATE TABLE edges (
        a TEXT COLLATE "C" NOT NULL, b TEXT COLLATE "C" NOT NULL, score DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (a, b)
    );
    CREATE INDEX edges_b ON edges(b);
    CREATE TABLE duplicate_links (
        article_id TEXT COLLATE "C" PRIMARY KEY,
        canonical_id TEXT COLLATE "C" NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE stories (
        id TEXT COLLATE "C" PRIMARY KEY,
        members TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE story_articles (
        article_id TEXT COLLATE "C" PRIMARY KEY,
        story_id TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX story_articles_story ON story_articles(story_id);
    CREATE TABLE story_outputs (
        story_id TEXT COLLATE "C" PRIMARY KEY,
        dirty INTEGER NOT NULL DEFAULT 1,
        data TEXT
    );
    CREATE TABLE runs (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    CREATE TABLE story_listing (
        story_id TEXT COLLATE "C" PRIMARY KEY,
        headline TEXT NOT NULL,
        sort_key TEXT COLLATE "C" NOT NULL,
        first_published TEXT COLLATE "C",
        last_published TEXT COLLATE "C",
        sources INTEGER NOT NULL,
        conflicts INTEGER NOT NULL,
        outlets TEXT NOT NULL
    );
    CREATE INDEX story_listing_sort ON story_listing(sort_key, story_id);
    CREATE TABLE story_outlets (
        outlet TEXT COLLATE "C" NOT NULL,
        story_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (outlet, story_id)
    );
    CREATE INDEX story_outlets_story ON story_outlets(story_id);
    CREATE TABLE story_search (
        story_id TEXT COLLATE "C" PRIMARY KEY,
        doc TSVECTOR NOT NULL
    );
    CREATE INDEX story_search_doc ON story_search USING GIN (doc);
    """,
    # 2: the settings a store's results were computed with (SQLite's version 4).
    """
    CREATE TABLE settings (
        name TEXT COLLATE "C" PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 3: an article's band keys by article (SQLite's version 5).
    """
    CREATE INDEX lsh_bands_article ON lsh_bands(article_id);
    """,
]

POSTGRES_SCHEMA_VERSION = len(POSTGRES_MIGRATIONS)
