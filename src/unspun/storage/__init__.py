"""Stores behind the :class:`Store` interface: SQLite (a file, the default) and PostgreSQL
(a server many people share)."""

from __future__ import annotations

from .base import ArticleIndex, Store, StoryOutputs
from .postgres import PostgresStore
from .sqlite import SQLiteStore

__all__ = ["ArticleIndex", "PostgresStore", "SQLiteStore", "Store", "StoryOutputs", "open_store"]


def open_store(location: str) -> Store:
    """A store from ``--db``: a file path or ``sqlite:///path``, or a PostgreSQL connection
    URL (``postgresql://user@host:5432/dbname``, or ``postgresql:///dbname?host=/run/socket``)."""
    if location.startswith(("postgres://", "postgresql://")):
        return PostgresStore(location)
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///"):]
    return SQLiteStore(location)
