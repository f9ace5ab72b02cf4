"""A linear model over attribution candidates: which proposed (source, cue, content) triples are
attributions.

The rules in ``attribution`` propose candidates generously (every verb of saying, thinking,
showing or wanting with a subject or a complement) and describe each by binary features: the
cue's lemma and sense group, what its subject is (a name, a pronoun, "it", inherited from the
clause it continues), its complement, modality and negation, whether it sits inside or next to
a quotation.  A logistic regression over those features, trained on PolNeAR
(``scripts/train_attribution.py``), decides.  It runs without scikit-learn: a dot product over
the features present and a sigmoid.

The threshold is below one half on purpose: keeping a candidate raises F1 whenever its chance
of being right exceeds half the current F1 (about 0.37 here), so a calibrated model should keep
candidates from a probability of about that.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["AttributionModel", "default_model"]

_RESOURCE = "attribution.json"


@dataclass(frozen=True, slots=True)
class AttributionModel:
    weights: dict[str, float]
    bias: float
    threshold: float = 0.37
    about: dict[str, Any] = field(default_factory=dict)

    def probability(self, features: list[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in set(features))
        return 1.0 / (1.0 + math.exp(-z))

    def keeps(self, features: list[str]) -> bool:
        return self.probability(features) >= self.threshold

    def to_json(self) -> str:
        # Sorted keys and rounded weights: the file diffs cleanly and reloads to the same model.
        return json.dumps({"about": self.about, "bias": round(self.bias, 6), "threshold": self.threshold,
                           "weights": {k: round(v, 6) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-6}},
                          indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AttributionModel:
        d = json.loads(text)
        return cls({str(k): float(v) for k, v in d["weights"].items()}, float(d["bias"]), float(d["threshold"]),
                   dict(d.get("about", {})))


@lru_cache(maxsize=1)
def default_model() -> AttributionModel | None:
    """The model shipped with unspun, or None (the hand-written rules decide) when the file is
    absent, as in a source tree before ``scripts/train_attribution.py`` has run."""
    ref = resources.files("unspun").joinpath("data", _RESOURCE)
    if not ref.is_file():
        return None
    return AttributionModel.from_json(ref.read_text(encoding="utf-8"))
