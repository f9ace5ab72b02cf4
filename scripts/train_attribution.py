"""Train the attribution model shipped in ``src/unspun/data/attribution.json``.

    .venv/bin/python scripts/train_attribution.py [--data ../shared/data/polnear]

Trains on every article of the PolNeAR folder (the figures ``unspun eval facts`` reports are
cross-validated, never scored by this model on its own training data) and prints the
cross-validated source-overlap F1 it expects.  Deterministic: the same data gives the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from unspun.evaluation import attribution_training as training
from unspun.evaluation.facts import score_candidates
from unspun.nlp import parser_status

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "polnear")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "unspun" / "data" / "attribution.json")
    args = ap.parse_args()
    data = training.load_polnear(args.data)
    n = len(data.cands)
    about = {"data": "PolNeAR train split (Newell et al. 2018), every article", "articles": n,
             "candidates": sum(len(c) for c in data.cands), "C": training.C, "parser": parser_status(),
             "trained_by": "scripts/train_attribution.py"}
    model = training.fit(data, range(n), about)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(model.to_json(), encoding="utf-8")
    print(f"wrote {args.out} ({len(model.weights)} weights from {about['candidates']} candidates in {n} articles)")
    cv = score_candidates(data)
    print(f"cross-validated source overlap F1: {cv['source overlap']['f1']:.3f} "
          f"(rules alone {cv['rules']['source overlap']['f1']:.3f})")


if __name__ == "__main__":
    main()
