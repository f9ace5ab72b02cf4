"""Brief citations on ECB+ (issue floor: every sentence cited, >= 95% supported), and the
citation check's power to refuse: changed numbers and added negations must be caught."""

from __future__ import annotations

from conftest import DATA
from unspun.evaluation.briefs import run_briefs_eval


def test_ecbplus_briefs_are_cited_and_supported() -> None:
    r = run_briefs_eval({"ecbplus": DATA / "ecbplus" / "ecbplus-topics-1-35.jsonl"})["ecbplus"]
    assert r["stories"] >= 60 and r["sentences"] >= 250
    assert r["cited_share"] == 1.0
    assert r["supported_share"] >= 0.95
    # The same sentences, falsified: the check must refuse most of them.
    assert r["caught_number_changes"] >= 0.9 and r["perturbed"]["number"] >= 100
    assert r["caught_added_negations"] >= 0.75 and r["perturbed"]["negation"] >= 100
