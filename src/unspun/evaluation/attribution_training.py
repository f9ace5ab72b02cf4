"""Training the attribution model on PolNeAR-format data, and scoring it honestly.

One place for what ``scripts/train_attribution.py`` (which writes the shipped model) and
``unspun eval facts`` (which reports cross-validated figures) both do: parse the articles, let
the rules propose candidates, label each candidate by the gold annotation, fit a logistic
regression.  A candidate is labelled an attribution when its source overlaps a gold source (or,
without a source, when its cue overlaps a gold cue) -- the same overlap the evaluation scores.

Cross-validation is by article (fold = article index mod k), so no article is ever scored by a
model that saw it; the figures ``unspun eval facts`` prints for PolNeAR are these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..nlp import parser, parser_status
from ..stages.attribution import Attribution, candidate_attributions
from ..stages.attribution_model import AttributionModel

__all__ = ["Candidates", "cross_validated", "fit", "load_polnear", "read_brat"]

Span = tuple[int, int]
# Inverse regularization strength; figures barely move between 0.3 and 3 (checked by cross-validation).
C = 1.0
THRESHOLD = 0.4


def read_brat(path: Path) -> list[dict[str, Span]]:
    """Attribution relations of a brat ``.ann`` file: role -> (start, end) (discontinuous spans
    are read from their first start to their last end)."""
    spans: dict[str, Span] = {}
    out: list[dict[str, Span]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if parts[0].startswith("T") and len(parts) >= 3:
            offs = parts[1].split(" ", 1)[1]
            frags = [tuple(int(x) for x in f.split()) for f in offs.split(";")]
            spans[parts[0]] = (frags[0][0], frags[-1][1])
        elif parts[0].startswith("E") and len(parts) >= 2:
            args = dict(a.split(":", 1) for a in parts[1].split())
            out.append({role: spans[t] for role, t in args.items() if t in spans})
    return out


@dataclass(frozen=True, slots=True)
class Candidates:
    """Per article: its gold relations and the rules' candidates with their features."""

    gold: list[list[dict[str, Span]]]
    cands: list[list[tuple[Attribution, list[str]]]]

    def labels(self, i: int) -> list[bool]:
        sources = [g["Source"] for g in self.gold[i] if "Source" in g]
        cues = [g["Cue"] for g in self.gold[i] if "Cue" in g]
        return [_overlaps(a.source, sources) if a.source is not None else _overlaps(a.cue, cues)
                for a, _ in self.cands[i]]


def _overlaps(span: Span, spans: Iterable[Span]) -> bool:
    return any(s[0] < span[1] and span[0] < s[1] for s in spans)


def load_polnear(folder: Path, limit: int | None = None) -> Candidates:
    nlp = parser()
    if nlp is None:
        raise RuntimeError(parser_status())
    by_file: dict[str, Path] = {}
    for ann in sorted((folder / "attributions").glob("*.ann")):
        by_file.setdefault(ann.name.rsplit("_", 1)[0], ann)
    names = [n for n in sorted(by_file) if (folder / "text" / f"{n}.txt").exists()][:limit]
    texts = [(folder / "text" / f"{n}.txt").read_text(encoding="utf-8") for n in names]
    gold = [read_brat(by_file[n]) for n in names]
    cands = [candidate_attributions(doc) for doc in nlp.pipe(texts, batch_size=16)]
    return Candidates(gold, cands)


def fit(data: Candidates, articles: Sequence[int], about: dict[str, Any] | None = None) -> AttributionModel:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    feats: list[dict[str, int]] = []
    ys: list[bool] = []
    for i in articles:
        feats += [dict.fromkeys(f, 1) for _, f in data.cands[i]]
        ys += data.labels(i)
    vec = DictVectorizer()
    x = vec.fit_transform(feats)
    reg = LogisticRegression(C=C, max_iter=3000).fit(x, ys)
    weights = {name: float(w) for name, w in zip(vec.get_feature_names_out(), reg.coef_[0], strict=True)}
    return AttributionModel(weights, float(reg.intercept_[0]), THRESHOLD, about or {})


def cross_validated(data: Candidates, folds: int = 5) -> list[list[Attribution]]:
    """Each article's kept attributions, decided by a model trained on the other folds."""
    n = len(data.cands)
    out: list[list[Attribution]] = [[] for _ in range(n)]
    for k in range(folds):
        test = [i for i in range(n) if i % folds == k]
        if not test:
            continue
        model = fit(data, [i for i in range(n) if i % folds != k])
        for i in test:
            out[i] = [a for a, f in data.cands[i] if model.keeps(f)]
    return out
