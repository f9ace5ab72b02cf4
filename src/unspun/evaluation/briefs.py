"""Brief citations on ECB+: does every summary sentence carry a citation, and does the
citation check pass it?  And can the check fail: the same sentences with a number changed or
a negation added must be caught.

Stories are ECB+'s gold events (documents reporting one event), so the figure is about the
summary and its check, not about clustering errors.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from ..records import Article, Story, content_id
from ..stages import brief as brief_stage
from ..stages import citecheck
from ..stages.clean import clean_article

__all__ = ["DEFAULT_DATA", "format_table", "run_briefs_eval"]

DEFAULT_DATA = {"ecbplus": "ecbplus/ecbplus-topics-1-35.jsonl"}
_DIGIT = re.compile(r"\d")


def _perturb_number(text: str) -> str | None:
    m = _DIGIT.search(text)
    if m is None:
        return None
    return text[: m.start()] + str((int(m.group()) + 3) % 10) + text[m.end() :]


def _perturb_negation(text: str) -> str | None:
    m = re.search(r"\b(is|was|are|were|has|have|had|will|would|can|could|did|does)\b", text)
    return None if m is None else text[: m.end()] + " not" + text[m.end() :]


def run_briefs_eval(paths: dict[str, Path], limit: int | None = None) -> dict[str, Any]:
    rows = [json.loads(x) for x in paths["ecbplus"].read_text(encoding="utf-8").splitlines() if x.strip()]
    if limit is not None:
        rows = rows[:limit]
    t0 = time.monotonic()
    by_event: dict[str, list[Article]] = {}
    for r in rows:
        a = clean_article(Article(id=str(r["id"]), source=str(paths["ecbplus"]), text=str(r["text"])))
        by_event.setdefault(str(r["event"]), []).append(a)
    stories = sentences = cited = supported = 0
    caught = {"number": [0, 0], "negation": [0, 0]}
    failures: list[dict[str, Any]] = []
    for event, arts in sorted(by_event.items()):
        if len(arts) < 2:
            continue
        stories += 1
        story = Story(id=content_id("s", event), title=event, article_ids=tuple(sorted(a.id for a in arts)))
        brief = brief_stage.make_brief(story, {a.id: a for a in arts}, [], [], [], [], [])
        texts = {a.id: a.text for a in arts}
        for s in brief.summary:
            sentences += 1
            cited += bool(s.citations)
            supported += s.supported
            if not s.supported and len(failures) < 10:
                failures.append({"story": event, "sentence": s.text, "problems": list(s.problems)})
            cites = [texts[c.article_id][c.start : c.end] for c in s.citations]
            for kind, fn in (("number", _perturb_number), ("negation", _perturb_negation)):
                bad = fn(s.text)
                if bad is not None and bad != s.text:
                    caught[kind][1] += 1
                    caught[kind][0] += not citecheck.check(bad, cites).supported
    return {
        "ecbplus": {
            "stories": stories, "sentences": sentences,
            "cited_share": round(cited / sentences, 4) if sentences else 0.0,
            "supported_share": round(supported / sentences, 4) if sentences else 0.0,
            "caught_number_changes": round(caught["number"][0] / caught["number"][1], 4) if caught["number"][1] else None,
            "caught_added_negations": round(caught["negation"][0] / caught["negation"][1], 4) if caught["negation"][1] else None,
            "perturbed": {k: v[1] for k, v in caught.items()},
            "unsupported_examples": failures, "seconds": round(time.monotonic() - t0, 1),
        }
    }


def format_table(result: dict[str, Any]) -> str:
    r = result["ecbplus"]
    lines = [
        "| data | stories | summary sentences | with a citation | supported | number changes caught | negations caught |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| ecbplus | {r['stories']} | {r['sentences']} | {r['cited_share']:.1%} | {r['supported_share']:.1%} | "
        f"{(r['caught_number_changes'] or 0):.1%} of {r['perturbed']['number']} | "
        f"{(r['caught_added_negations'] or 0):.1%} of {r['perturbed']['negation']} |",
    ]
    for f in r["unsupported_examples"]:
        lines.append(f"\nunsupported ({f['story']}): {f['sentence']} -- {'; '.join(f['problems'])}")
    return "\n".join(lines)
