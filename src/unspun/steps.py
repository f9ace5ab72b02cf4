"""The stages composed into the units of work every engine runs.

An engine decides where and in what order work happens; what happens is decided here, once:
:func:`process_article` is everything done to one article, :func:`group_component` turns one
connected component of the candidate graph into stories and duplicate links, and
:func:`story_outputs` is provenance, cross-check and brief for one story.  The local pipeline
and the Spark engine both call these functions on the same records, which is why their
results are the same byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

from .models import Encoder, sentence_encoder, static_encoder
from .nlp import entities, parser
from .records import Article, DuplicateLink, Fact, Story
from .stages import brief as brief_stage
from .stages import clean, cluster, crosscheck, dedup, facts, ingest, provenance
from .storage.base import ArticleIndex, StoryOutputs

__all__ = [
    "STORY_MODELS", "PipelineConfig", "config_from_settings", "group_component", "process_article", "settings_of",
    "story_encoder", "story_outputs",
]


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    ingest: ingest.IngestOptions = field(default_factory=ingest.IngestOptions)
    dedup: dedup.DedupConfig = field(default_factory=dedup.DedupConfig)
    cluster: cluster.ClusterConfig = field(default_factory=cluster.ClusterConfig)
    provenance: provenance.ProvenanceConfig = field(default_factory=provenance.ProvenanceConfig)
    crosscheck: crosscheck.CrossCheckConfig = field(default_factory=crosscheck.CrossCheckConfig)
    brief: brief_stage.BriefConfig = field(default_factory=brief_stage.BriefConfig)
    # MiniLM: semantic sentence alignment in provenance and the dense channel of clustering; off,
    # or with the model missing, only verbatim and lightly edited copies are found and stories
    # are grouped on words, names and time.
    semantic: bool = True
    # spaCy: reported speech, speakers, and the named entities clustering uses; off, or with the
    # model missing, quotes come from quotation marks and cue patterns only.
    parser: bool = True
    # The dense channel of story clustering: "minilm" (the sentence encoder, when ``semantic``
    # is on) or "static" (a model2vec distillation of MiniLM, see models.static_encoder:
    # thousands of articles a second on one core against about 40, the path that takes a
    # million articles to stories in minutes, at some accuracy: benchmarks/results/million.md).
    story_model: str = "minilm"
    # Off: stories only -- ingest, clean, dedup and clustering, with no facts, provenance,
    # cross-check or brief (for building or deduplicating a corpus at scale).
    briefs: bool = True


STORY_MODELS = ("minilm", "static")


def story_encoder(cfg: PipelineConfig) -> Encoder | None:
    """The encoder of the dense story channel ``cfg`` asks for; None when it is off or cannot
    be loaded (the channel is then left out of the mix)."""
    if cfg.story_model == "static":
        return static_encoder()
    return sentence_encoder() if cfg.semantic else None


def process_article(article: Article, cfg: PipelineConfig) -> tuple[Article, list[Fact], ArticleIndex]:
    """Every per-article stage: the same function whichever engine runs it."""
    cleaned = clean.clean_article(article)
    nlp = parser() if cfg.parser else None
    found = facts.extract_facts(cleaned, nlp) if cfg.briefs else []
    sig = dedup.signature(cleaned, cfg.dedup)
    bands, rows = dedup.lsh_params(cfg.dedup.threshold, cfg.dedup.num_perm)
    encoder = story_encoder(cfg)
    dense = encoder.encode([cluster.embed_text(cleaned)])[0] if encoder is not None else None
    found_ents = entities([cleaned.clean_text or cleaned.text]) if nlp is not None else None
    index = ArticleIndex(
        exact_key=dedup.exact_key(cleaned), signature=sig, band_keys=tuple(dedup.band_keys(sig, bands, rows)),
        features=cluster.features(cleaned, dense, found_ents[0] if found_ents else None, cfg.cluster),
    )
    return cleaned, found, index


def group_component(
    ids: Sequence[str],
    edges: Sequence[tuple[str, str, float]],
    pairs: Sequence[tuple[str, str, str, float]],
    articles: Mapping[str, Article],
    cfg: PipelineConfig,
) -> tuple[list[Story], list[DuplicateLink]]:
    """Stories and duplicate links of one connected component of the edge graph.

    Components are independent: clustering never crosses one (see stages/cluster), and every
    duplicate pair is also an edge, so a duplicate group lies inside a single component.
    """
    groups = cluster.cluster_edges(sorted(ids), sorted(edges), cfg.cluster)
    stories = cluster.make_stories(groups, articles)
    links = dedup.duplicate_links(dict(articles), sorted(pairs))
    return stories, links


def story_outputs(
    story: Story,
    arts: Mapping[str, Article],
    found: Sequence[Fact],
    links: Sequence[DuplicateLink],
    cfg: PipelineConfig,
    encoder: Encoder | None,
) -> StoryOutputs:
    """Provenance, cross-check and brief of one story.  ``arts`` are its articles in id order,
    ``found`` their facts in id order, ``links`` any duplicate links (others are ignored)."""
    arts = dict(arts)
    story_links = [link for link in links if link.article_id in arts]
    dup_of = {link.article_id: link.canonical_id for link in story_links}
    originals = [a for a in arts.values() if a.id not in dup_of]
    derivations, signals = provenance.trace_story(originals, cfg.provenance, encoder)
    checks = crosscheck.crosscheck_story(story.id, arts, list(found), dup_of, cfg.crosscheck)
    brief = brief_stage.make_brief(story, arts, list(found), checks, derivations, signals, story_links, cfg.brief)
    return StoryOutputs(tuple(derivations), tuple(signals), tuple(checks), brief)


# The stage configurations a store records (ingest's only decides what is read).
_STAGE_SETTINGS = ("dedup", "cluster", "provenance", "crosscheck", "brief")


def settings_of(cfg: PipelineConfig) -> dict[str, str]:
    """The settings that shape what a run stores, as the store records them: the models used,
    and every stage's configuration but ingest's (which only decides what is read)."""
    out = {"semantic": json.dumps(cfg.semantic), "parser": json.dumps(cfg.parser),
           "story_model": json.dumps(cfg.story_model), "briefs": json.dumps(cfg.briefs)}
    for name in _STAGE_SETTINGS:
        out[name] = json.dumps(asdict(getattr(cfg, name)), sort_keys=True)
    return out


def config_from_settings(settings: Mapping[str, str], base: PipelineConfig | None = None) -> PipelineConfig:
    """``base`` (defaults if None) with the recorded ``settings`` (see :func:`settings_of`)."""
    cfg = base or PipelineConfig()
    changes: dict[str, Any] = {}
    for name in ("semantic", "parser", "briefs"):
        if name in settings:
            changes[name] = bool(json.loads(settings[name]))
    if "story_model" in settings:
        changes["story_model"] = str(json.loads(settings["story_model"]))
    for name in _STAGE_SETTINGS:
        if name in settings:
            changes[name] = _rebuild(getattr(cfg, name), json.loads(settings[name]))
    return replace(cfg, **changes)


def _rebuild(current: Any, data: dict[str, Any]) -> Any:
    """``current`` (a config dataclass) with the values of ``data``, its JSON form."""
    changes = {}
    for f in fields(current):
        if f.name not in data:
            continue
        value, now = data[f.name], getattr(current, f.name)
        if is_dataclass(now) and isinstance(value, dict):
            value = _rebuild(now, value)
        elif isinstance(now, tuple) and isinstance(value, list):
            value = tuple(value)
        changes[f.name] = value
    return replace(current, **changes)
