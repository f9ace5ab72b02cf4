"""``unspun eval provenance``: the synthetic derivation benchmark and paraphrase alignment on MRPC.

Derivation figures (SYNTHETIC copies of real articles, see :mod:`.derivation`):

* **parent accuracy**: share of copies whose predicted parent is their true parent;
* **derived vs independent**: precision, recall and F1 of calling an article derived
  (copies are derived; real articles, originals and distractors alike, are not);
* **direction accuracy**: of the true copy-parent pairs that were linked either way, the share
  linked in the right direction.

With several generator seeds the copies are drawn again from the same real articles and the
figures pooled, each seed's parent accuracy kept beside them: one draw of about a hundred
copies moves parent accuracy by several points.

MRPC: the aligner's sentence test (lexical or semantic match, the thresholds the provenance
stage uses) as a paraphrase classifier, next to word Jaccard with its best threshold chosen
on the first half and scored on the second half of the same file.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from ..models import Encoder, encoder_status, sentence_encoder
from ..stages import provenance
from ..stages.align import AlignConfig, containment, content_terms, trigrams
from ..textutil import words
from . import prf
from .derivation import SyntheticStory, ecbplus_stories, semeval_stories

__all__ = ["DEFAULT_DATA", "format_table", "run_provenance_eval", "score_derivations", "score_mrpc"]

DEFAULT_DATA = {
    "ecbplus": "ecbplus/ecbplus-topics-1-35.jsonl",
    "semeval": "semeval2022-t8/pairs-dev.csv",
    "mrpc": "mrpc/msr_paraphrase_train.txt",
}


@dataclass(frozen=True, slots=True)
class _Tally:
    """What one synthetic story scored; tallies add up over a set of stories."""

    articles: int = 0
    copies: int = 0
    right_parent: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    linked: int = 0
    right_dir: int = 0
    errors: tuple[str, ...] = ()

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(*(x + y for x, y in zip(astuple(self), astuple(other), strict=True)))


def _tally(story: SyntheticStory, encoder: Encoder | None, cfg: provenance.ProvenanceConfig | None) -> _Tally:
    derivations, _ = provenance.trace_story([c.article for c in story.cases], cfg, encoder)
    parent = {d.copy_id: d.origin_id for d in derivations if d.relation == "derived"}
    pairs = {(d.copy_id, d.origin_id) for d in derivations}
    t = {k: 0 for k in ("copies", "right_parent", "tp", "fp", "fn", "linked", "right_dir")}
    errors = []
    for c in story.cases:
        aid, truth = c.article.id, c.parent
        got = parent.get(aid)
        if truth is not None:
            t["copies"] += 1
            t["right_parent"] += got == truth
            if got != truth:
                errors.append(f"{c.article.source}: parent {got} (truth {truth}) {'+'.join(c.recipe)}")
            t["linked"] += (aid, truth) in pairs or (truth, aid) in pairs
            t["right_dir"] += (aid, truth) in pairs
        elif got is not None:
            errors.append(f"{c.article.source}: called a copy of {got}, but it is a real article")
        t["tp"] += truth is not None and got is not None
        t["fp"] += truth is None and got is not None
        t["fn"] += truth is not None and got is None
    return _Tally(articles=len(story.cases), errors=tuple(errors), **t)


def _figures(tallies: list[_Tally]) -> dict[str, Any]:
    t = sum(tallies, _Tally())
    p, r, f = prf(t.tp, t.fp, t.fn)
    return {
        "stories": len(tallies), "articles": t.articles, "copies": t.copies,
        "parent_accuracy": round(t.right_parent / t.copies, 4) if t.copies else 0.0,
        "derived_precision": round(p, 4), "derived_recall": round(r, 4), "derived_f1": round(f, 4),
        "direction_accuracy": round(t.right_dir / t.linked, 4) if t.linked else 0.0, "linked": t.linked,
        "errors": list(t.errors[:20]),
    }


def score_derivations(stories: Iterable[SyntheticStory], encoder: Encoder | None,
                      cfg: provenance.ProvenanceConfig | None = None) -> dict[str, Any]:
    """Parent accuracy, derived-vs-independent P/R/F1 and direction accuracy over ``stories``."""
    return _figures([_tally(s, encoder, cfg) for s in stories])


def score_mrpc(path: Path, encoder: Encoder | None, cfg: AlignConfig | None = None,
               limit: int | None = None) -> dict[str, Any]:
    """Paraphrase F1 of the aligner's sentence test and of tuned word Jaccard on MRPC."""
    cfg = cfg or AlignConfig()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    rows = [r for r in rows if len(r) == 5][:limit]
    labels = [r[0] == "1" for r in rows]
    s1, s2 = [r[3] for r in rows], [r[4] for r in rows]
    if encoder is not None:
        v1, v2 = encoder.encode(s1), encoder.encode(s2)
        cos = [float(x @ y) for x, y in zip(v1, v2, strict=True)]
    else:
        cos = [0.0] * len(rows)
    lexical, terms, jac = [], [], []
    for a, b in zip(s1, s2, strict=True):
        ta, tb = words(a), words(b)
        lexical.append(containment(trigrams(ta), trigrams(tb)) >= cfg.lexical)
        terms.append(containment(content_terms(ta), content_terms(tb)) >= cfg.semantic_terms)
        wa, wb = set(ta), set(tb)
        jac.append(len(wa & wb) / len(wa | wb) if wa | wb else 0.0)
    half = len(rows) // 2

    def aligner(threshold: float) -> list[bool]:
        return [lx or (c >= threshold and t) for lx, c, t in zip(lexical, cos, terms, strict=True)]

    def f1(pred: list[bool], gold: list[bool]) -> float:
        tp = sum(p and g for p, g in zip(pred, gold, strict=True))
        fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
        fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
        return prf(tp, fp, fn)[2]

    # Both systems get their threshold from the first half and are scored on the second.
    grid = [t / 100 for t in range(5, 96)]
    best_j = max((f1([j >= t for j in jac[:half]], labels[:half]), t) for t in grid)[1]
    best_s = max((f1(aligner(t)[:half], labels[:half]), t) for t in grid)[1]
    return {
        "pairs": len(rows) - half, "positives": sum(labels[half:]),
        "aligner_f1": round(f1(aligner(best_s)[half:], labels[half:]), 4), "aligner_threshold": best_s,
        "aligner_f1_provenance": round(f1(aligner(cfg.semantic)[half:], labels[half:]), 4),
        "jaccard_f1": round(f1([j >= best_j for j in jac[half:]], labels[half:]), 4), "jaccard_threshold": best_j,
        "all_yes_f1": round(f1([True] * (len(rows) - half), labels[half:]), 4),
    }


def run_provenance_eval(paths: dict[str, Path], limit: int | None = None,
                        seeds: Sequence[int] = (13,)) -> dict[str, Any]:
    """Every figure of ``unspun eval provenance``, one run.

    Each seed draws another set of copies (and of copy dates) from the same real articles.  The
    figures are pooled over the seeds; ``parent_accuracy_by_seed`` gives each seed's own, since
    one draw of about a hundred copies moves by several points from seed to seed.
    """
    encoder = sentence_encoder()
    out: dict[str, Any] = {"encoder": encoder_status(), "synthetic": True, "seeds": list(seeds)}
    if "ecbplus" in paths:
        # Each story is traced once; the tuning and validation rows are subsets of the same tallies.
        tallied = [(seed, _topic(s), _tally(s, encoder, None)) for seed in seeds
                   for s in itertools.islice(ecbplus_stories(paths["ecbplus"], seed=seed), limit)]
        for key, keep in (("ecbplus", range(1, 36)), ("ecbplus_tune_1_25", range(1, 26)),
                          ("ecbplus_validation_26_35", range(26, 36))):
            out[key] = _by_seed([(seed, t) for seed, topic, t in tallied if topic in keep], seeds)
    if "semeval" in paths:
        out["semeval"] = _by_seed([(seed, _tally(s, encoder, None)) for seed in seeds
                                   for s in semeval_stories(paths["semeval"], seed=seed, limit=limit)], seeds)
    if "mrpc" in paths:
        out["mrpc"] = score_mrpc(paths["mrpc"], encoder, limit=limit)
    return out


def _by_seed(tallied: list[tuple[int, _Tally]], seeds: Sequence[int]) -> dict[str, Any]:
    """Figures pooled over the seeds, with each seed's parent accuracy."""
    out = _figures([t for _, t in tallied])
    out["parent_accuracy_by_seed"] = {str(seed): _figures([t for s, t in tallied if s == seed])["parent_accuracy"]
                                      for seed in seeds}
    return out


def _topic(story: SyntheticStory) -> int:
    return int(story.name.split("/")[1].split("ecb")[0])


def format_table(result: dict[str, Any]) -> str:
    seeds = result.get("seeds", [13])
    many = len(seeds) > 1  # pooled figures, with a column of each seed's parent accuracy
    lines = [f"Derivation benchmark — SYNTHETIC copies of real articles; encoder: {result['encoder']}",
             f"Generator seed{'s' if many else ''}: {', '.join(map(str, seeds))}"
             + (" (figures pooled over the seeds; the last column is each seed's parent accuracy)" if many else ""),
             "", "| set | stories | articles | copies | parent acc | derived P | derived R | derived F1 | direction acc |"
             + (" parent acc by seed |" if many else ""),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---|" if many else "")]
    for key, label in (("ecbplus", "ECB+ topics 1-35"), ("ecbplus_tune_1_25", "  ECB+ 1-25 (tuning)"),
                       ("ecbplus_validation_26_35", "  ECB+ 26-35 (validation)"), ("semeval", "SemEval-22 en-en")):
        r = result.get(key)
        if r:
            by_seed = " " + " ".join(f"{v:.3f}" for v in r.get("parent_accuracy_by_seed", {}).values()) + " |" if many else ""
            lines.append(f"| {label} | {r['stories']} | {r['articles']} | {r['copies']} | {r['parent_accuracy']:.4f} | "
                         f"{r['derived_precision']:.4f} | {r['derived_recall']:.4f} | {r['derived_f1']:.4f} | "
                         f"{r['direction_accuracy']:.4f} |" + by_seed)
    m = result.get("mrpc")
    if m:
        lines += ["", f"MRPC paraphrase F1 (second half, {m['pairs']} pairs, {m['positives']} paraphrases)", "",
                  "| system | F1 |", "|---|---:|",
                  f"| unspun sentence aligner, cosine >= {m['aligner_threshold']:.2f} (tuned on first half) | {m['aligner_f1']:.4f} |",
                  f"| unspun sentence aligner at the provenance threshold ({AlignConfig().semantic:.2f}) | {m['aligner_f1_provenance']:.4f} |",
                  f"| word Jaccard >= {m['jaccard_threshold']:.2f} (tuned on first half) | {m['jaccard_f1']:.4f} |",
                  f"| every pair a paraphrase | {m['all_yes_f1']:.4f} |"]
    return "\n".join(lines)
