"""``unspun eval facts``: quantities on NewsQuant, attributions on PolNeAR, timelines on
SemEval-2015 Task 4.

* **NewsQuant** (one JSON list of sentences with their quantities): a predicted quantity
  matches a gold one in the same sentence when the values are equal (both ends of a range);
  value+unit also needs the unit: equal after normalization (singular, lower case, symbols
  spelled out), or the same head word for counted nouns ("armed individual" / "individual").
  Greedy one-to-one matching in text order.
* **PolNeAR** (``text/*.txt`` + brat ``attributions/*.ann``; the first annotator's file when
  there are several): source, cue and content spans, each scored as a set per article, exact
  (same offsets) and overlap (any shared character, one-to-one).  The rules propose candidates
  and a linear model keeps some; the model is trained on PolNeAR itself, so the figures are
  cross-validated by article (five folds: every article is scored by a model trained on the
  other four), and the rules alone are shown beside them.
* **TimeLine** (SemEval-2015 Task 4, track A: raw documents, target entities, gold timelines):
  a simplified scorer, *not* the official temporal-awareness one.  For each target entity the
  system lists event mentions (``doc-sentence-word``: the verbs of sentences that name the
  entity) with a date (the sentence's own date, else the document's); event F1 counts mentions in
  the gold timeline, anchored F1 also needs the gold date (``XXXX`` parts match anything).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dates import find_dates, to_date
from ..nlp import parser, parser_status
from ..stages.attribution import Attribution, rules_keep
from ..stages.entities import acronym_of
from ..stages.quantities import find_quantities, normalize_unit
from ..textutil import fold
from . import attribution_training, prf

__all__ = ["DEFAULT_DATA", "format_table", "run_facts_eval", "score_candidates", "score_newsquant", "score_polnear",
           "score_timeline"]

DEFAULT_DATA = {
    "newsquant": "newsquant/newsquant-dev.json",
    "polnear": "polnear",
    "timeline": "timeline/SemEval2015-Task4-TimeLine/SemEval_Task4_data",
}


@dataclass
class _PRF:
    tp: int = 0
    pred: int = 0
    gold: int = 0

    def as_dict(self) -> dict[str, float | int]:
        p, r, f = prf(self.tp, self.pred - self.tp, self.gold - self.tp)
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": self.tp,
                "predicted": self.pred, "gold": self.gold}


def _gold_value(v: str) -> tuple[float, float | None] | None:
    m = re.fullmatch(r"\s*(-?[\d.]+(?:E-?\d+)?)\s*(?:-\s*(-?[\d.]+(?:E-?\d+)?))?\s*", v, re.I)
    if not m:
        return None
    return float(m.group(1)), float(m.group(2)) if m.group(2) else None


def _same(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-6 * max(1.0, abs(x), abs(y))


def _unit_match(pred: str | None, gold: str) -> bool:
    g = gold.strip().lower()
    if pred is None:
        return g in ("-", "")
    p = normalize_unit(pred)
    if p == g:
        return True
    if " per " in p or " per " in g:
        return False
    return p.split()[-1] == g.split()[-1] if p and g else False


def score_newsquant(path: Path, limit: int | None = None) -> dict[str, Any]:
    rows = json.loads(path.read_text(encoding="utf-8"))[:limit]
    value, unit = _PRF(), _PRF()
    for row in rows:
        preds = list(find_quantities(row["text"]))
        golds = [(_gold_value(q["value"]), q) for q in row["quantities"]]
        value.pred += len(preds)
        unit.pred += len(preds)
        value.gold += len(golds)
        unit.gold += len(golds)
        used: set[int] = set()
        for p in preds:
            for i, (gv, q) in enumerate(golds):
                if i in used or gv is None:
                    continue
                if _same(gv[0], p.number) and (
                    (gv[1] is None and p.upper is None) or (gv[1] is not None and p.upper is not None and _same(gv[1], p.upper))
                ):
                    used.add(i)
                    value.tp += 1
                    unit.tp += _unit_match(p.unit, q["normalized_unit"])
                    break
    return {"sentences": len(rows), "value": value.as_dict(), "value+unit": unit.as_dict()}


def _match(pred: Iterable[tuple[int, int]], gold: Iterable[tuple[int, int]], exact: bool) -> int:
    golds = sorted(set(gold))
    used: set[int] = set()
    n = 0
    for p in sorted(set(pred)):
        for i, g in enumerate(golds):
            if i not in used and (p == g if exact else p[0] < g[1] and g[0] < p[1]):
                used.add(i)
                n += 1
                break
    return n


def _score_attributions(gold: list[list[dict[str, tuple[int, int]]]],
                        preds: list[list[Attribution]]) -> dict[str, dict[str, float | int]]:
    tallies = {f"{role} {mode}": _PRF() for role in ("source", "cue", "content") for mode in ("exact", "overlap")}
    for g_rel, p_att in zip(gold, preds, strict=True):
        for role in ("source", "cue", "content"):
            g = {x[role.capitalize()] for x in g_rel if role.capitalize() in x}
            p = {getattr(a, role) for a in p_att if getattr(a, role) is not None}
            for mode in ("exact", "overlap"):
                t = tallies[f"{role} {mode}"]
                t.tp += _match(p, g, mode == "exact")
                t.pred += len(p)
                t.gold += len(g)
    return {k: v.as_dict() for k, v in tallies.items()}


def score_polnear(folder: Path, limit: int | None = None, folds: int = 5) -> dict[str, Any]:
    """Attribution spans, cross-validated by article: each article is scored by a model trained
    on the other folds (see ``attribution_training``); ``rules`` holds the figures of the
    hand-written rules alone on the same articles, for comparison."""
    if parser() is None:
        return {"error": parser_status()}
    return score_candidates(attribution_training.load_polnear(folder, limit), folds)


def score_candidates(data: attribution_training.Candidates, folds: int = 5) -> dict[str, Any]:
    rules = [[a for a, f in c if rules_keep(f)] for c in data.cands]
    return {"articles": len(data.gold), "parser": parser_status(), "folds": folds,
            **_score_attributions(data.gold, attribution_training.cross_validated(data, folds)),
            "rules": _score_attributions(data.gold, rules)}


@dataclass
class _TimelineDoc:
    doc_id: str
    dct: str
    sentences: list[list[str]] = field(default_factory=list)


def _read_cat(path: Path) -> _TimelineDoc:
    root = ET.parse(path).getroot()
    dct = ""
    for t in root.iter("TIMEX3"):
        if t.get("functionInDocument") == "CREATION_TIME":
            dct = t.get("value") or ""
    doc = _TimelineDoc(root.get("doc_id") or path.name.split("_")[0], dct)
    for tok in root.iter("token"):
        s = int(tok.get("sentence") or 0)
        while len(doc.sentences) <= s:
            doc.sentences.append([])
        doc.sentences[s].append(tok.text or "")
    return doc


def _mentions(entity: str, words: list[str]) -> bool:
    """The sentence names the entity: its full name, its last word (a surname or a model
    number: "Dreamliner", "A380"), or an acronym of it."""
    text = " ".join(words)
    low = fold(text)
    name = fold(entity)
    if name in low:
        return True
    last = name.split()[-1]
    if len(name.split()) > 1 and len(last) > 3 and re.search(r"\b" + re.escape(last) + r"\b", low):
        return True
    return any(w.isupper() and len(w) > 1 and acronym_of(w, entity) for w in words)


def score_timeline(folder: Path, limit: int | None = None) -> dict[str, Any]:
    nlp = parser()
    if nlp is None:
        return {"error": parser_status()}
    from spacy.tokens import Doc

    events, anchored = _PRF(), _PRF()
    corpora = sorted(p for p in folder.iterdir() if p.is_dir())[:limit]
    entities_n = 0
    for corpus in corpora:
        docs = [_read_cat(p) for p in sorted((corpus / "corpus_trackA_CAT").glob("*.xml"))]
        targets = [line.strip() for line in next(corpus.glob("list_target_entities_*.txt")).read_text().splitlines()
                   if line.strip()]
        parsed: dict[tuple[str, int], Any] = {}
        for d in docs:
            for i, words in enumerate(d.sentences):
                parsed[(d.doc_id, i)] = nlp(Doc(nlp.vocab, words=words))
        for entity in targets:
            gold_file = corpus / "TimeLines_Gold_Standard" / (re.sub(r"\W+", "_", entity.lower()).strip("_") + ".txt")
            if not gold_file.exists():
                continue
            entities_n += 1
            gold: dict[str, str] = {}
            for line in gold_file.read_text(encoding="utf-8").splitlines():
                parts = line.split("\t")
                if len(parts) >= 3:
                    for ev in parts[2:]:
                        doc_id, sent_no, word = ev.split("-", 2)
                        gold[f"{doc_id}-{sent_no}-{word.lower()}"] = parts[1]
            pred: dict[str, str] = {}
            for d in docs:
                base = to_date(d.dct)
                for i, words in enumerate(d.sentences):
                    if i < 2 or not _mentions(entity, words):
                        continue  # sentences 0 and 1 are the headline and the dateline
                    sent = parsed[(d.doc_id, i)]
                    dates = [m for m in find_dates(" ".join(words), base) if m.value]
                    when = dates[0].value if dates else (d.dct[:10] if d.dct else "XXXX-XX-XX")
                    for tok in sent:
                        if tok.pos_ == "VERB" and tok.dep_ in ("ROOT", "conj", "ccomp", "xcomp", "advcl", "relcl"):
                            pred[f"{d.doc_id}-{i}-{tok.text.lower()}"] = str(when)
            events.pred += len(pred)
            events.gold += len(gold)
            anchored.pred += len(pred)
            anchored.gold += len(gold)
            for k, when in pred.items():
                if k in gold:
                    events.tp += 1
                    g = gold[k]
                    anchored.tp += all(a == b or b == "X" for a, b in zip(when.ljust(10, "X")[:10], g[:10], strict=False))
    return {"corpora": len(corpora), "entities": entities_n, "scorer": "simplified (not the official one)",
            "events": events.as_dict(), "anchored events": anchored.as_dict()}


def run_facts_eval(paths: dict[str, Path], limit: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "newsquant" in paths:
        out["newsquant"] = score_newsquant(paths["newsquant"], limit)
    if "polnear" in paths:
        out["polnear"] = score_polnear(paths["polnear"], limit)
    if "timeline" in paths:
        out["timeline"] = score_timeline(paths["timeline"], limit)
    return out


def format_table(result: dict[str, Any]) -> str:
    lines = ["| data | measure | precision | recall | F1 | n (gold) |", "|---|---|---:|---:|---:|---:|"]
    for data, block in result.items():
        if "error" in block:
            lines.append(f"| {data} | not scored: {block['error']} | | | | |")
            continue
        for measure, v in block.items():
            if isinstance(v, dict) and "f1" in v:
                lines.append(f"| {data} | {measure} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['gold']} |")
            elif measure == "rules":
                for m in ("source overlap", "cue overlap", "content overlap"):
                    r = v[m]
                    lines.append(f"| {data} | {m}, rules alone | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} "
                                 f"| {r['gold']} |")
    notes = []
    if "newsquant" in result:
        notes.append(f"NewsQuant: {result['newsquant'].get('sentences')} sentences (dev half).")
    if "polnear" in result and "articles" in result["polnear"]:
        pn = result["polnear"]
        notes.append(f"PolNeAR: {pn['articles']} articles, {pn['folds']}-fold cross-validated by article; {pn['parser']}.")
    if "timeline" in result and "entities" in result["timeline"]:
        notes.append(f"TimeLine: {result['timeline']['entities']} target entities in {result['timeline']['corpora']} "
                     "corpora; simplified scorer, not the official temporal-awareness one.")
    return "\n".join([*lines, "", *notes])
