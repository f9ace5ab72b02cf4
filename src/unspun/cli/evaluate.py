"""``unspun eval``: quality figures against labelled data, one table per command."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from ..errors import EXIT_OK, ConfigError, NotFoundError

__all__ = ["add_eval_parser", "cmd_eval", "shared_data_dir"]


def shared_data_dir() -> Path:
    """``$UNSPUN_DATA``, else ``../shared/data`` from the working directory or the checkout."""
    env = os.environ.get("UNSPUN_DATA")
    if env:
        return Path(env)
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = base.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return Path("../shared/data")


def add_eval_parser(sub: Any) -> None:
    p = sub.add_parser("eval", help="measure quality against labelled data",
                       description="Score a stage against labelled data and print one table.  Data sets are "
                                   "read from $UNSPUN_DATA or ../shared/data unless --data names another path.")
    ev = p.add_subparsers(dest="suite", required=True, metavar="SUITE")
    c = ev.add_parser("clean", help="main-text extraction and junk removal",
                      description="Token precision/recall/F1 of the main text for unspun, trafilatura and "
                                  "readability-lxml on WCXB and L3S-GN1, and junk-line precision/recall on "
                                  "the seeds.")
    _data_options(c, "folder", "wcxb, l3s, seeds", "pages")

    v = ev.add_parser("provenance", help="who-copied-whom on a synthetic derivation benchmark; MRPC paraphrase",
                      description="SYNTHETIC benchmark: content-farm copies made from real ECB+ and SemEval-2022 "
                                  "articles, mixed with real reports of the same event.  Prints parent accuracy, "
                                  "derived-vs-independent precision/recall/F1 and direction accuracy, and the "
                                  "sentence aligner's paraphrase F1 on MRPC next to word Jaccard.")
    _data_options(v, "file", "ecbplus, semeval, mrpc", "stories / pairs")
    v.add_argument("--seeds", default="13", metavar="N[,N...]",
                   help="generator seeds, comma-separated (default 13): each draws other copies from the same "
                        "articles; figures are pooled, with each seed's parent accuracy beside them")

    f = ev.add_parser("facts", help="quantities (NewsQuant), attributions (PolNeAR), timelines (SemEval-2015 T4)",
                      description="NewsQuant value and value+unit F1; PolNeAR source, cue and content span F1, "
                                  "exact and overlap; SemEval-2015 TimeLine event and anchored-event F1 with a "
                                  "simplified scorer.  PolNeAR and TimeLine need the spaCy model.")
    _data_options(f, "file or folder", "newsquant, polnear, timeline", "sentences / articles / corpora")

    k = ev.add_parser("cluster", help="story clustering (ECB+) and pair similarity (SemEval-2022 Task 8)",
                      description="B3 precision/recall/F1 and adjusted Rand index on ECB+ against the gold event "
                                  "(tuned on topics 1-25, validated on 26-35) for unspun, its fast path, a TF-IDF "
                                  "average-link baseline and BERTopic; Pearson r with SemEval-2022 Task 8 Overall "
                                  "per language pair.")
    _data_options(k, "file", "ecbplus, semeval", "articles / pairs")

    b = ev.add_parser("briefs", help="brief citations on ECB+ events: cited and supported sentences",
                      description="Briefs of ECB+ gold events: share of summary sentences with a citation and "
                                  "passing the citation check, and the check's catch rate on the same sentences "
                                  "with a number changed or a negation added.")
    _data_options(b, "file", "ecbplus", "articles")


def _data_options(p: Any, kind: str, names: str, items: str) -> None:
    """The options every suite shares: swap, pick and cut the data sets; JSON output."""
    p.add_argument("--data", action="append", default=[], metavar="NAME=PATH",
                   help=f"use another {kind} for a data set ({names}); repeatable")
    p.add_argument("--only", action="append", default=[], metavar="NAME", help="score only these data sets")
    p.add_argument("--limit", type=int, default=None, help=f"use only the first N {items} of each set")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")


def _seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(dict.fromkeys(int(x) for x in text.split(",") if x.strip()))
    except ValueError:
        raise ConfigError(f"--seeds wants whole numbers separated by commas, got {text!r}") from None
    if not seeds:
        raise ConfigError("--seeds names no seed")
    return seeds


def _paths(defaults: dict[str, str], overrides: list[str], only: list[str]) -> dict[str, Path]:
    base = shared_data_dir()
    paths = {name: (base / rel).resolve() for name, rel in defaults.items()}
    for item in overrides:
        name, sep, path = item.partition("=")
        if not sep or name not in defaults:
            raise ConfigError(f"--data wants NAME=PATH with NAME one of {', '.join(defaults)}, got {item!r}")
        paths[name] = Path(path)
    if only:
        unknown = set(only) - set(defaults)
        if unknown:
            raise ConfigError(f"--only: unknown data set {', '.join(sorted(unknown))}")
        paths = {k: v for k, v in paths.items() if k in only}
    missing = [f"{k} ({v})" for k, v in paths.items() if not v.exists()]
    if missing:
        raise NotFoundError(f"data not found: {', '.join(missing)}; set $UNSPUN_DATA or pass --data NAME=PATH")
    return paths


def cmd_eval(a: argparse.Namespace) -> int:
    from ..evaluation import briefs as briefs_eval
    from ..evaluation import clean as clean_eval
    from ..evaluation import cluster as cluster_eval
    from ..evaluation import facts as facts_eval
    from ..evaluation import provenance as provenance_eval

    if a.suite == "clean":
        paths = _paths(clean_eval.DEFAULT_DATA, a.data, a.only)
        result = clean_eval.run_clean_eval(paths, limit=a.limit)
        print(json.dumps(result, indent=2, sort_keys=True) if a.json else clean_eval.format_table(result))
    elif a.suite == "provenance":
        paths = _paths(provenance_eval.DEFAULT_DATA, a.data, a.only)
        result = provenance_eval.run_provenance_eval(paths, limit=a.limit, seeds=_seeds(a.seeds))
        print(json.dumps(result, indent=2, sort_keys=True) if a.json else provenance_eval.format_table(result))
    elif a.suite == "facts":
        paths = _paths(facts_eval.DEFAULT_DATA, a.data, a.only)
        result = facts_eval.run_facts_eval(paths, limit=a.limit)
        print(json.dumps(result, indent=2, sort_keys=True) if a.json else facts_eval.format_table(result))
    elif a.suite == "cluster":
        paths = _paths(cluster_eval.DEFAULT_DATA, a.data, a.only)
        result = cluster_eval.run_cluster_eval(paths, limit=a.limit)
        print(json.dumps(result, indent=2, sort_keys=True) if a.json else cluster_eval.format_table(result))
    elif a.suite == "briefs":
        paths = _paths(briefs_eval.DEFAULT_DATA, a.data, a.only)
        result = briefs_eval.run_briefs_eval(paths, limit=a.limit)
        print(json.dumps(result, indent=2, sort_keys=True) if a.json else briefs_eval.format_table(result))
    return EXIT_OK
