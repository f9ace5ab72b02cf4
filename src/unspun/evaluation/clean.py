"""``unspun eval clean``: main-text extraction and junk-line removal against gold, side by side.

Three data sets, each swappable for another of the same format with ``--data NAME=PATH``:

* ``wcxb``: a folder with ``html/<id>.html.gz`` and ``ground-truth/<id>.json``
  (``ground_truth.main_content`` is the gold text);
* ``l3s``: an L3S-GN1 folder with ``original/<id>.html`` and ``annotated/<id>.html``; the gold
  text is every span of class ``x-nc-sel2`` (full text) in the annotated page;
* ``seeds``: a folder of text files with ``gold.json`` (``junk_lines`` per file).

Extraction is scored on bags of lower-cased word tokens per page (precision = shared tokens /
extracted tokens, recall = shared tokens / gold tokens), averaged over pages, so a page that
comes out empty costs as much as any other page.  Junk lines are scored per line.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..records import Article
from ..stages import clean
from ..stages.ingest.common import article_from_text, decode_bytes
from ..stages.ingest.html import extract_html, parse_html, readability_text

__all__ = [
    "DEFAULT_DATA",
    "Score",
    "extract_and_clean",
    "extraction_systems",
    "l3s_page",
    "load_l3s",
    "load_wcxb",
    "run_clean_eval",
    "score_seeds",
    "score_wcxb_metadata",
    "token_prf",
]

DEFAULT_DATA = {
    "wcxb": "extraction/wcxb-articles",
    "l3s": "extraction/l3s-gn1",
    "seeds": "../seeds",
}

_TOKEN = re.compile(r"\w+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    f1: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "n": self.n}


def _tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def token_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 of one page."""
    p, g = _tokens(predicted), _tokens(gold)
    shared = sum((p & g).values())
    prec = shared / sum(p.values()) if p else (1.0 if not g else 0.0)
    rec = shared / sum(g.values()) if g else 1.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def _average(rows: list[tuple[float, float, float]]) -> Score:
    n = len(rows)
    if n == 0:
        return Score(0.0, 0.0, 0.0, 0)
    return Score(sum(r[0] for r in rows) / n, sum(r[1] for r in rows) / n, sum(r[2] for r in rows) / n, n)


def _decode_page(data: bytes) -> str:
    m = _CHARSET.search(data[:4096])
    return decode_bytes(data, m.group(1).decode("ascii", "replace") if m else None)[0]


def _wcxb_pages(folder: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(page id, HTML, ``ground_truth`` object) for each page of a WCXB-format folder."""
    for page in sorted((folder / "html").glob("*.html*")):
        pid = page.name.split(".")[0]
        truth = folder / "ground-truth" / f"{pid}.json"
        if not truth.exists():
            continue
        raw = gzip.decompress(page.read_bytes()) if page.suffix == ".gz" else page.read_bytes()
        gold = json.loads(truth.read_text(encoding="utf-8")).get("ground_truth", {})
        yield pid, _decode_page(raw), gold


def load_wcxb(folder: Path) -> Iterator[tuple[str, str, str]]:
    """(page id, HTML, gold main text) for each page of a WCXB-format folder."""
    for pid, html, gold in _wcxb_pages(folder):
        yield pid, html, gold.get("main_content") or ""


def load_l3s(folder: Path) -> Iterator[tuple[str, str, str]]:
    """(page id, original HTML, gold full text) for each page of an L3S-GN1-format folder."""
    roots = [folder] if (folder / "annotated").is_dir() else sorted(p for p in folder.iterdir() if p.is_dir())
    for root in roots:
        for ann in sorted((root / "annotated").glob("*.html")):
            if (root / "original" / ann.name).exists():
                yield ann.stem, *l3s_page(ann)


def l3s_page(annotated: Path) -> tuple[str, str]:
    """(original HTML, gold full text) of one L3S-GN1 page, given its ``annotated/<id>.html``."""
    tree = parse_html(_decode_page(annotated.read_bytes()))
    spans = tree.xpath('//span[contains(concat(" ", @class, " "), " x-nc-sel2 ")]') if tree is not None else []
    gold = "\n".join(" ".join(s.text_content().split()) for s in spans)
    return _decode_page((annotated.parent.parent / "original" / annotated.name).read_bytes()), gold


def extract_and_clean(html: str) -> Article | None:
    """What unspun makes of a page before the later stages: extraction, then the clean stage."""
    ex = extract_html(html)
    if ex is None:
        return None
    return clean.clean_article(article_from_text("page", ex.text + "\n", fields=ex.fields))


def _unspun(html: str) -> str:
    article = extract_and_clean(html)
    return article.clean_text if article is not None else ""


def _trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def _trafilatura_no_comments(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def extraction_systems() -> dict[str, Callable[[str], str]]:
    """The systems compared, by the name the table shows.

    ``trafilatura`` is trafilatura 2.x with its defaults (``extract``), the usual way it is
    called; ``trafilatura-no-comments`` is the stronger setting unspun itself passes, shown so
    the gain from cleaning can be told apart from the gain from leaving comments out.
    """
    return {
        "unspun": _unspun,
        "trafilatura": _trafilatura,
        "trafilatura-no-comments": _trafilatura_no_comments,
        "readability-lxml": readability_text,
    }


def score_extraction(pages: Iterator[tuple[str, str, str]],
                     systems: dict[str, Callable[[str], str]]) -> dict[str, Score]:
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in systems}
    for _pid, html, gold in pages:
        for name, fn in systems.items():
            rows[name].append(token_prf(fn(html), gold))
    return {name: _average(r) for name, r in rows.items()}


def _norm_words(value: str | None) -> str:
    return " ".join(_TOKEN.findall((value or "").lower()))


def score_wcxb_metadata(folder: Path, limit: int | None = None) -> dict[str, dict[str, float | int]]:
    """Share of pages whose title, author and date match WCXB's gold, for unspun and trafilatura.

    Titles and authors match when their lower-cased words are equal; dates when the calendar
    day is.  Pages without a gold value for a field do not count for that field.
    """
    import trafilatura

    hits = {"unspun": Counter[str](), "trafilatura": Counter[str]()}
    totals: Counter[str] = Counter()
    for i, (_pid, html, gold) in enumerate(_wcxb_pages(folder)):
        if limit is not None and i >= limit:
            break
        ex = extract_html(html)
        doc = trafilatura.bare_extraction(html, with_metadata=True)
        ours = {"title": ex.fields.title, "author": ex.fields.byline, "date": ex.fields.published_at} if ex else {}
        theirs = {"title": getattr(doc, "title", None), "author": getattr(doc, "author", None),
                  "date": getattr(doc, "date", None)} if doc is not None else {}
        for field, key in (("title", "title"), ("author", "author"), ("date", "publish_date")):
            want = gold.get(key)
            if not want:
                continue
            totals[field] += 1
            for system, got in (("unspun", ours.get(field)), ("trafilatura", theirs.get(field))):
                if field == "date":
                    hits[system][field] += bool(got) and str(got)[:10] == str(want)[:10]
                else:
                    hits[system][field] += _norm_words(got) == _norm_words(want) != ""
    return {system: {**{f: round(h[f] / totals[f], 4) if totals[f] else 0.0 for f in ("title", "author", "date")},
                     "n": totals["title"]} for system, h in hits.items()}


def score_seeds(folder: Path) -> Score:
    """Line-level precision and recall of junk removal against ``gold.json``'s ``junk_lines``.

    A predicted junk line is a line with a removal whose reason is not a metadata kind (title,
    byline, dateline, credit, date prefix); those lines leave the body too but are metadata.
    """
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    tp = fp = fn = 0
    for name, g in sorted(gold["files"].items()):
        text = decode_bytes((folder / name).read_bytes())[0]
        article = clean.clean_article(article_from_text(str(folder / name), text))
        predicted = {text.count("\n", 0, r.span.start) + 1 for r in article.removals
                     if r.reason not in clean.METADATA_REASONS}
        truth = {j["line"] for j in g["junk_lines"]}
        tp += len(predicted & truth)
        fp += len(predicted - truth)
        fn += len(truth - predicted)
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    return Score(prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0, tp + fn)


def run_clean_eval(paths: dict[str, Path], limit: int | None = None) -> dict[str, Any]:
    """Every figure of the table, as a JSON-ready dict."""
    systems = extraction_systems()
    out: dict[str, Any] = {"metric": "token bag-of-words P/R/F1 per page, averaged; seeds: junk lines",
                           "extraction": {}, "seeds": None}
    loaders = {"wcxb": load_wcxb, "l3s": load_l3s}
    for name, loader in loaders.items():
        if name not in paths:
            continue
        pages = loader(paths[name])
        if limit is not None:
            pages = (p for i, p in enumerate(pages) if i < limit)
        scores = score_extraction(pages, systems)
        out["extraction"][name] = {system: s.as_dict() for system, s in scores.items()}
    if "wcxb" in paths:
        out["metadata_wcxb"] = score_wcxb_metadata(paths["wcxb"], limit)
    if "seeds" in paths:
        out["seeds"] = score_seeds(paths["seeds"]).as_dict()
    return out


def format_table(result: dict[str, Any]) -> str:
    """The result as one Markdown table (extraction) plus the seeds line."""
    sets = list(result["extraction"])
    head = "| system | " + " | ".join(f"{s} P | {s} R | {s} F1" for s in sets) + " |"
    rule = "|---|" + "---:|" * (3 * len(sets))
    lines = [head, rule] if sets else []
    systems = list(next(iter(result["extraction"].values()))) if sets else []
    for system in systems:
        cells = []
        for s in sets:
            sc = result["extraction"][s][system]
            cells += [f"{sc['precision']:.4f}", f"{sc['recall']:.4f}", f"{sc['f1']:.4f}"]
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    if sets:
        lines.append("")
        lines.append("pages: " + ", ".join(f"{s} {result['extraction'][s]['unspun']['n']}" for s in sets))
    if result.get("metadata_wcxb"):
        lines += ["", "| metadata on wcxb (share of pages matching gold) | title | author | date |", "|---|---:|---:|---:|"]
        for system, m in result["metadata_wcxb"].items():
            lines.append(f"| {system} | {m['title']:.4f} | {m['author']:.4f} | {m['date']:.4f} |")
    if result.get("seeds"):
        sd = result["seeds"]
        if lines:
            lines.append("")
        lines.append(f"seeds junk lines: precision {sd['precision']:.4f}  recall {sd['recall']:.4f}  "
                     f"({sd['n']} gold junk lines)")
    return "\n".join(lines)
