"""Stores: SQLite (default) behind the :class:`Store` interface."""

from __future__ import annotations

from ..errors import ConfigError
from .base import ArticleIndex, Store, StoryOutputs
from .sqlite import SQLiteStore

__all__ = ["ArticleIndex", "SQLiteStore", "Store", "StoryOutputs", "open_store"]


def open_store(location: str) -> Store:
    """A store from ``--db``: a file path or ``sqlite:///path`` (PostgreSQL comes with its issue)."""
    if location.startswith(("postgres://", "postgresql://")):
        raise ConfigError("the PostgreSQL store is not available in this version; use a SQLite file path")
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///"):]
    return SQLiteStore(location)
