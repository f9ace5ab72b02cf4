"""The data model: frozen, slotted dataclasses and the one codec that turns them into JSON.

Every derived thing points back into an article through a :class:`Span`; spans index into
``Article.text`` (the decoded input text with newlines normalized to ``\\n``), so a removal,
a fact and a citation all share one coordinate system.  ``Article.clean_text`` is ``text`` with
the removed spans cut out (and blank-line runs collapsed): it is for reading, never for spans.

The codec (:func:`to_json` / :func:`from_json`) and the JSON Schema generator
(:func:`json_schema`) are driven by the type hints, so a field added to a record is encoded,
decoded and described without touching any other code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

__all__ = [
    "RECORD_TYPES",
    "AlignedPair",
    "Article",
    "ArticleHead",
    "Brief",
    "BriefSentence",
    "Derivation",
    "DuplicateLink",
    "Fact",
    "FactCheck",
    "InputError",
    "MetaEvidence",
    "OutletProfile",
    "Removal",
    "Signal",
    "SourceEntry",
    "Span",
    "Story",
    "StoryFeatures",
    "TimelineEntry",
    "content_id",
    "dumps",
    "from_json",
    "json_schema",
    "to_json",
]

Status = Literal["agree", "single-source", "conflict"]
Relation = Literal["derived", "shared_origin", "independent"]
FactKind = Literal["quantity", "quote", "event", "entity", "role"]


def content_id(prefix: str, *parts: str, length: int = 16) -> str:
    """A short, stable id from content: the same parts always give the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{prefix}_{digest[:length]}"


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """Characters ``[start, end)`` of ``Article.text`` of article ``article_id``."""

    article_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Removal:
    """A piece of the input taken out of the body, with the stage and the reason why.

    Metadata lines (title, byline, date) are removals too: they leave the body and become
    fields of the article, so nothing is dropped without a record.
    """

    span: Span
    stage: str
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class MetaEvidence:
    """Where a metadata value came from: the field, its value, the method and the span."""

    name: str
    value: str
    method: str
    confidence: float
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    source: str
    text: str
    title: str | None = None
    outlet: str | None = None
    byline: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None
    language: str | None = None
    url: str | None = None
    encoding: str = "utf-8"
    clean_text: str = ""
    removals: tuple[Removal, ...] = ()
    metadata: tuple[MetaEvidence, ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleHead:
    """What a story record and a duplicate group's choice of canonical read of an article: its
    id, title, date, the first line of its text (up to 120 characters) and the length of its
    clean text.  A view, never stored: an engine can move these instead of whole articles."""

    id: str
    title: str | None
    published_at: str | None
    lead: str
    length: int

    @classmethod
    def of(cls, a: Article | ArticleHead) -> ArticleHead:
        if isinstance(a, ArticleHead):
            return a
        return cls(a.id, a.title, a.published_at, (a.clean_text or a.text).strip().partition("\n")[0][:120],
                   len(a.clean_text))


@dataclass(frozen=True, slots=True)
class InputError:
    """An input that could not be read: kept, counted and reported, never silently skipped."""

    id: str
    source: str
    stage: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class DuplicateLink:
    """``article_id`` duplicates ``canonical_id`` (kind ``exact`` or ``near``)."""

    article_id: str
    canonical_id: str
    kind: Literal["exact", "near"]
    similarity: float


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    title: str
    article_ids: tuple[str, ...]
    first_published: str | None = None
    last_published: str | None = None


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What story clustering knows of one article, derived from it alone (see stages/cluster).

    ``dense`` is the embedding as base64 little-endian float16 ("" without an encoder), the
    vectors map folded words or entity names to unit-normalized weights, ``anchor`` is a date
    (YYYY-MM-DD) or a year, ``parsed`` says whether entities came from a parser run, and
    ``keys`` are the blocking keys the article is filed under.
    """

    dense: str
    terms: dict[str, float]
    names: dict[str, float]
    entities: dict[str, float]
    anchor: str | None
    parsed: bool
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AlignedPair:
    """A passage of the copy and the passage of the origin it was aligned with."""

    copy: Span
    origin: Span
    score: float


@dataclass(frozen=True, slots=True)
class Signal:
    """A content-farm or rewrite signal with the span that shows it (if it has one)."""

    article_id: str
    kind: str
    detail: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Derivation:
    """How ``copy_id`` relates to ``origin_id``; ``pairs`` are the evidence."""

    copy_id: str
    origin_id: str
    relation: Relation
    score: float
    coverage: float
    direction: str
    pairs: tuple[AlignedPair, ...] = ()
    # The arguments for the relation and its direction, in words ("published 3 days later").
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutletProfile:
    """What is observed of one outlet across stories: how often it copies, carries junk, alters quotes."""

    outlet: str
    articles: int
    derived: int
    with_junk: int
    altered_quotes: int
    signals: tuple[str, ...] = ()
    derived_share: float = 0.0
    junk_share: float = 0.0
    altered_quote_share: float = 0.0


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    article_id: str
    kind: FactKind
    span: Span
    text: str
    value: str | None = None
    number: float | None = None
    upper: float | None = None
    unit: str | None = None
    change: str | None = None
    what: str | None = None
    speaker: str | None = None
    cue: str | None = None
    when: str | None = None
    when_text: str | None = None
    unresolved_reason: str | None = None
    sentence: Span | None = None
    # Quotes: who is quoted and with which words, as spans ("Kirby" / "said"); direct is False
    # for reported speech ("Vučić said that ..."), whose words are the reporter's.  Events whose
    # sentence holds several ("resigned on Friday after admitting his role") carry their clause
    # as ``what`` and its range as ``cue_span``.
    source_span: Span | None = None
    cue_span: Span | None = None
    direct: bool | None = None
    # Entities: the key that joins spellings across articles ("vucic", "kfor").
    key: str | None = None


@dataclass(frozen=True, slots=True)
class FactCheck:
    """Facts from the articles of one story that speak about the same thing."""

    id: str
    story_id: str
    kind: FactKind
    key: str
    status: Status
    members: tuple[str, ...]
    spans: tuple[Span, ...]
    articles: tuple[str, ...]
    summary: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BriefSentence:
    text: str
    citations: tuple[Span, ...]
    support: float
    # The citation check's verdict (stages/citecheck): supported, or the reasons it is not.
    supported: bool = False
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    date: str
    text: str
    citations: tuple[Span, ...]
    # "text": a date written in the article; "publication": an undated report dated by when it
    # was published (its lead, from an article that is not a late copy).
    basis: str = "text"


@dataclass(frozen=True, slots=True)
class SourceEntry:
    article_id: str
    source: str
    title: str | None
    outlet: str | None
    byline: str | None
    published_at: str | None
    role: str
    origin_id: str | None = None
    duplicate_of: str | None = None
    signals: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Brief:
    story_id: str
    headline: str
    summary: tuple[BriefSentence, ...]
    timeline: tuple[TimelineEntry, ...]
    facts: tuple[FactCheck, ...]
    sources: tuple[SourceEntry, ...]
    derivations: tuple[Derivation, ...]
    signals: tuple[Signal, ...]
    coverage: float = 0.0
    support: float = 0.0
    supported_share: float = 0.0  # summary sentences the citation check passes


RECORD_TYPES: tuple[type[Any], ...] = (
    Span,
    Removal,
    MetaEvidence,
    Article,
    InputError,
    DuplicateLink,
    Story,
    AlignedPair,
    OutletProfile,
    Signal,
    Derivation,
    Fact,
    FactCheck,
    BriefSentence,
    TimelineEntry,
    SourceEntry,
    Brief,
)

T = TypeVar("T")


# --- the codec -------------------------------------------------------------------------


_NAMES: dict[type[Any], tuple[str, ...]] = {}


def to_json(obj: Any) -> Any:
    """Encode a record (or a tuple/list/dict of them) as plain JSON values."""
    if isinstance(obj, (str, int, float, type(None))):
        return obj
    cls = type(obj)
    names = _NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(obj))
    if names is not None:
        return {n: to_json(getattr(obj, n)) for n in names}
    if isinstance(obj, (tuple, list)):
        return [to_json(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    return obj


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """The canonical text form: sorted keys, no ASCII escaping, so equal records give equal bytes."""
    return json.dumps(to_json(obj), sort_keys=True, ensure_ascii=False, indent=indent)


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _identity(value: Any) -> Any:
    return value


def _float(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


_DECODERS: dict[Any, Callable[[Any], Any]] = {}


def _decoder(tp: Any) -> Callable[[Any], Any]:
    """A decoding function per type hint, built once: reading a store decodes records on
    every page view, and walking the type hints per value was most of that time."""
    if tp in _DECODERS:
        return _DECODERS[tp]
    fn: Callable[[Any], Any]
    origin = get_origin(tp)
    if _is_union(tp):
        inner = _decoder(next(a for a in get_args(tp) if a is not type(None)))

        def fn(value: Any) -> Any:
            return None if value is None else inner(value)
    elif origin is tuple:
        item = _decoder(next(a for a in get_args(tp) if a is not Ellipsis))
        if item is _identity:
            fn = tuple
        else:
            def fn(value: Any) -> Any:
                return tuple(item(v) for v in value)
    elif origin is Literal:
        allowed = get_args(tp)

        def fn(value: Any) -> Any:
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of {allowed}")
            return value
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        cls = tp

        def fn(value: Any) -> Any:
            return from_json(cls, value)
    elif tp is float:
        fn = _float
    else:
        fn = _identity
    _DECODERS[tp] = fn
    return fn


_FIELDS: dict[type[Any], list[tuple[str, Callable[[Any], Any]]]] = {}


def _field_decoders(cls: type[Any]) -> list[tuple[str, Callable[[Any], Any]]]:
    """Each field's name and decoder, resolved once per record class."""
    if cls not in _FIELDS:
        hints = get_type_hints(cls)
        _FIELDS[cls] = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls)]
    return _FIELDS[cls]


def from_json(cls: type[T], data: Any) -> T:
    """Decode what :func:`to_json` produced back into a record of type ``cls``."""
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} needs a JSON object, got {type(data).__name__}")
    return cls(**{name: dec(data[name]) for name, dec in _field_decoders(cls) if name in data})


# --- JSON Schema -----------------------------------------------------------------------


def _schema_for(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if _is_union(tp):
        return {"anyOf": [_schema_for(a, defs) for a in get_args(tp)]}
    if tp is type(None):
        return {"type": "null"}
    origin = get_origin(tp)
    if origin is tuple:
        (item,) = [a for a in get_args(tp) if a is not Ellipsis]
        return {"type": "array", "items": _schema_for(item, defs)}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            defs[name] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _object_schema(cls: Any, defs: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(cls)
    fields = dataclasses.fields(cls)
    return {
        "type": "object",
        "properties": {f.name: _schema_for(hints[f.name], defs) for f in fields},
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }


def json_schema(cls: type[Any]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of what :func:`to_json` makes of a ``cls`` record."""
    defs: dict[str, Any] = {}
    top = _object_schema(cls, defs)
    defs.pop(cls.__name__, None)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://unspun.dev/schemas/{cls.__name__}.json",
        "title": cls.__name__,
        **top,
    }
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema

