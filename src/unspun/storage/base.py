"""The store interface every backend implements (SQLite and PostgreSQL).

The contract suite in ``tests/test_store_contract.py`` is parameterized by backend; a new
backend is done when it passes it.  Writes that belong together go through one method, and
each such method is one transaction, so a run killed at any point leaves either all of a step
or none of it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from ..records import (
    Article,
    Brief,
    Derivation,
    DuplicateLink,
    Fact,
    FactCheck,
    InputError,
    Signal,
    Story,
    StoryFeatures,
    dumps,
    from_json,
)

__all__ = ["ArticleIndex", "Store", "StoryFilter", "StoryListing", "StoryOutputs", "outputs_from_json", "outputs_to_json"]


@dataclass(frozen=True, slots=True)
class ArticleIndex:
    """What the corpus-wide stages need of an article, stored beside it."""

    exact_key: str
    signature: tuple[int, ...]
    band_keys: tuple[str, ...]
    features: StoryFeatures


@dataclass(frozen=True, slots=True)
class StoryOutputs:
    derivations: tuple[Derivation, ...]
    signals: tuple[Signal, ...]
    checks: tuple[FactCheck, ...]
    brief: Brief


def outputs_to_json(outputs: StoryOutputs) -> str:
    """One story's outputs as the JSON every store and the Spark engine's Parquet hold."""
    return json.dumps({
        "derivations": json.loads(dumps(outputs.derivations)), "signals": json.loads(dumps(outputs.signals)),
        "checks": json.loads(dumps(outputs.checks)), "brief": json.loads(dumps(outputs.brief)),
    }, sort_keys=True, ensure_ascii=False)


def outputs_from_json(text: str) -> StoryOutputs:
    d = json.loads(text)
    return StoryOutputs(
        derivations=tuple(from_json(Derivation, x) for x in d["derivations"]),
        signals=tuple(from_json(Signal, x) for x in d["signals"]),
        checks=tuple(from_json(FactCheck, x) for x in d["checks"]),
        brief=from_json(Brief, d["brief"]),
    )


@dataclass(frozen=True, slots=True)
class StoryListing:
    """A story as the story list shows it: filled from the brief when the brief is stored."""

    story_id: str
    headline: str
    first_published: str | None
    last_published: str | None
    sources: int
    conflicts: int
    outlets: tuple[str, ...]

    @property
    def sort_key(self) -> tuple[str, str]:
        """Newest first; the key a cursor resumes after."""
        return (self.last_published or "", self.story_id)


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """What the story list is narrowed by.  ``text`` matches words of the headline and summary
    (all of them, any order); dates compare as ISO strings, so ``2023-09`` is a valid bound."""

    text: str = ""
    outlet: str | None = None
    conflicts_only: bool = False
    since: str | None = None
    until: str | None = None
    min_sources: int = 0


class Store(ABC):
    """Articles, their facts and index data, stories and what is derived from them."""

    location: str

    # --- lifecycle
    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def exclusive(self) -> AbstractContextManager[None]:
        """Held while one process runs the corpus stages (read pending articles and stories,
        compute, write them back), so two runs writing into one store at once take turns there
        instead of overwriting each other's stories."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- articles
    @abstractmethod
    def has_article(self, article_id: str) -> bool: ...

    @abstractmethod
    def add_article(self, article: Article, facts: Sequence[Fact], index: ArticleIndex) -> bool:
        """Store a new article with its facts and index data, marked pending; False if present."""

    @abstractmethod
    def get_article(self, article_id: str) -> Article | None: ...

    @abstractmethod
    def articles(self, ids: Iterable[str] | None = None) -> dict[str, Article]: ...

    @abstractmethod
    def article_count(self) -> int: ...

    @abstractmethod
    def facts(self, article_ids: Iterable[str]) -> list[Fact]: ...

    # --- errors
    @abstractmethod
    def put_error(self, error: InputError) -> None: ...

    @abstractmethod
    def errors(self) -> list[InputError]: ...

    # --- corpus stages
    @abstractmethod
    def pending_ids(self) -> list[str]:
        """Articles stored but not yet deduplicated and clustered."""

    @abstractmethod
    def index(self, article_id: str) -> ArticleIndex | None: ...

    @abstractmethod
    def ids_with_exact_key(self, key: str) -> list[str]: ...

    @abstractmethod
    def ids_with_band_keys(self, keys: Sequence[str]) -> list[str]: ...

    @abstractmethod
    def ids_with_band_scheme_other_than(self, scheme: str) -> list[str]:
        """Articles with an LSH band key not of the form ``scheme:...`` (signed another way)."""

    @abstractmethod
    def replace_signature(self, article_id: str, signature: Sequence[int], band_keys: Sequence[str]) -> None:
        """Swap an article's MinHash signature and band keys (its dedup pairs stay)."""

    @abstractmethod
    def ids_with_story_keys(self, keys: Sequence[str]) -> list[str]:
        """Articles filed under any of these clustering blocking keys."""

    @abstractmethod
    def story_key_counts(self, keys: Sequence[str]) -> dict[str, int]:
        """How many articles each of these blocking keys is filed under (absent: none)."""

    @abstractmethod
    def story_features(self, ids: Iterable[str]) -> dict[str, StoryFeatures]: ...

    @abstractmethod
    def edges_touching(self, ids: Iterable[str], at_least: float | None = None) -> list[tuple[str, str, float]]:
        """Stored clustering edges with either end in ``ids`` (and a score of at least
        ``at_least``, if given), sorted."""

    @abstractmethod
    def feature_page(self, after: str, limit: int) -> list[tuple[str, StoryFeatures]]:
        """Up to ``limit`` indexed articles' story features with ids above ``after``, in id
        order: the whole corpus a page at a time, never all of it as records at once."""

    @abstractmethod
    def exact_key_groups(self) -> list[list[str]]:
        """Ids of the articles that share a normalized-text hash, one sorted list a hash."""

    @abstractmethod
    def band_sharing_pairs(self) -> list[tuple[str, str]]:
        """Pairs ``(a, b)``, ``a < b``, that share an LSH band key, each once, sorted."""

    @abstractmethod
    def signatures(self, ids: Iterable[str]) -> dict[str, tuple[int, ...]]:
        """The MinHash signatures of these articles."""

    @abstractmethod
    def duplicate_pairs(self) -> list[tuple[str, str, str, float]]: ...

    @abstractmethod
    def edges(self) -> list[tuple[str, str, float]]: ...

    @abstractmethod
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
        """In one transaction: add pairs and edges, remove ``dropped_edges``, replace stories
        and duplicate links, clear ``done`` from pending, and mark new or changed stories
        dirty.  Returns those ids.  With ``replace`` the pairs and edges given are all there
        are: the stored ones go first (a regrouping of the whole corpus)."""

    # --- stories
    @abstractmethod
    def dirty_story_ids(self) -> list[str]: ...

    @abstractmethod
    def put_story_outputs(self, story_id: str, outputs: StoryOutputs) -> None:
        """Store a story's derived outputs and clear its dirty mark, in one transaction."""

    @abstractmethod
    def stories(self) -> list[Story]: ...

    @abstractmethod
    def story(self, story_id: str) -> Story | None: ...

    @abstractmethod
    def story_outputs(self, story_id: str) -> StoryOutputs | None: ...

    @abstractmethod
    def duplicate_links(self) -> list[DuplicateLink]: ...

    # --- reading, for the web UI and the API (keyset pages: a page resumes after a key, so
    # paging through a store that grows never skips or repeats a row)
    @abstractmethod
    def list_stories(self, filt: StoryFilter, after: tuple[str, str] | None, limit: int) -> list[StoryListing]:
        """Stories matching ``filt``, newest first, strictly after the ``sort_key`` ``after``."""

    @abstractmethod
    def story_count(self) -> int: ...

    @abstractmethod
    def story_page_json(self, story_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]] | None:
        """A story, its brief and its articles as stored JSON (no record decoding): what a
        story page shows, read in one go because it is the most requested page."""

    @abstractmethod
    def articles_after(self, after: str | None, limit: int, outlet: str | None = None) -> list[Article]:
        """Articles by id, strictly after ``after``; only one outlet's when given."""

    @abstractmethod
    def story_ids_after(self, after: str | None, limit: int) -> list[str]: ...

    @abstractmethod
    def story_of(self, article_id: str) -> str | None: ...

    @abstractmethod
    def outlets(self) -> list[tuple[str, int]]:
        """Each outlet with its article count, by name."""

    # --- runs
    @abstractmethod
    def record_run(self, started_at: str, finished_at: str, summary: str) -> None: ...

    @abstractmethod
    def settings(self) -> dict[str, str]:
        """The settings the store's results were computed with, by name (empty if none yet)."""

    @abstractmethod
    def keep_settings(self, values: Mapping[str, str]) -> dict[str, str]:
        """Record the ``values`` the store has no value for yet; return all stored settings.
        Two runs starting at once both record theirs: the first write of a name wins."""
