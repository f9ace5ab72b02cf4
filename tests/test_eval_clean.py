"""``unspun eval clean``: the F1 floors of issue 3, pinned, on the full WCXB and L3S-GN1 sets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import DATA, SEEDS, unspun

# Floors a little under the committed run (benchmarks/results/clean.md: WCXB 0.9547,
# L3S-GN1 0.8494), so a change that loses quality fails here.
WCXB_F1_FLOOR = 0.950
L3S_F1_FLOOR = 0.840
MARGIN_OVER_TRAFILATURA = 0.01
ENV = {"UNSPUN_DATA": str(DATA)}


def test_full_eval_meets_the_floors_and_beats_trafilatura() -> None:
    proc = unspun("eval", "clean", "--json", env_extra=ENV)
    result = json.loads(proc.stdout)
    ext = result["extraction"]
    assert ext["wcxb"]["unspun"]["n"] == 257 and ext["l3s"]["unspun"]["n"] == 621
    assert ext["wcxb"]["unspun"]["f1"] >= WCXB_F1_FLOOR
    assert ext["l3s"]["unspun"]["f1"] >= L3S_F1_FLOOR
    for name in ("wcxb", "l3s"):
        assert ext[name]["unspun"]["f1"] >= ext[name]["trafilatura"]["f1"] + MARGIN_OVER_TRAFILATURA, name
        # and not only by leaving comments out: at least level with trafilatura set up the same way
        assert ext[name]["unspun"]["f1"] >= ext[name]["trafilatura-no-comments"]["f1"], name
    seeds = result["seeds"]
    assert seeds["precision"] == 1.0 and seeds["recall"] >= 0.95 and seeds["n"] == 19
    meta = result["metadata_wcxb"]
    assert meta["unspun"]["title"] > meta["trafilatura"]["title"]
    # authors: 0.7500 against trafilatura's 0.6630 in the committed run (0.6033 before the
    # "Written by" card pair and author-class blocks were read)
    assert meta["unspun"]["author"] >= meta["trafilatura"]["author"] + 0.03
    # dates: 0.8761 (trafilatura 0.8716; 0.8486 before the date printed alone was read)
    assert meta["unspun"]["date"] >= 0.87


def test_data_sets_can_be_swapped_and_the_table_names_them(tmp_path: Path) -> None:
    src = DATA / "extraction" / "wcxb-articles"
    small = tmp_path / "wcxb-small"
    (small / "html").mkdir(parents=True)
    (small / "ground-truth").mkdir()
    for page in sorted((src / "html").glob("*.html.gz"))[:3]:
        pid = page.name.split(".")[0]
        shutil.copy(page, small / "html" / page.name)
        shutil.copy(src / "ground-truth" / f"{pid}.json", small / "ground-truth" / f"{pid}.json")
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    proc = unspun("eval", "clean", "--only", "wcxb", "--only", "seeds", "--data", f"wcxb={small}",
                  "--data", f"seeds={seeds}", env_extra=ENV)
    assert "| unspun |" in proc.stdout and "| trafilatura |" in proc.stdout and "| readability-lxml |" in proc.stdout
    assert "pages: wcxb 3" in proc.stdout and "seeds junk lines: precision 1.0000" in proc.stdout
    assert "l3s" not in proc.stdout
    bad = unspun("eval", "clean", "--data", "nosuch=/tmp", check=False, env_extra=ENV)
    assert bad.returncode == 2 and "NAME=PATH" in bad.stderr
    missing = unspun("eval", "clean", "--data", f"wcxb={tmp_path / 'absent'}", check=False, env_extra=ENV)
    assert missing.returncode == 2 and "data not found" in missing.stderr
