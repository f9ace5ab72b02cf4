"""Ingest: encodings, bad input, HTML through trafilatura, JSONL with named fields."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, SEEDS, unspun
from unspun.records import Article, InputError
from unspun.stages.ingest import Skipped, decode_bytes, iter_inputs
from unspun.stages.ingest.html import Extraction, extract_html
from unspun.textutil import words

SEED_003 = SEEDS / "003_e157552f8d2aabdd.txt"


def test_cp1252_and_latin1_articles_decode_to_the_same_text(tmp_path: Path) -> None:
    text = SEED_003.read_text(encoding="utf-8").replace("\u00a0", " ")
    cp = text.encode("cp1252", errors="replace")  # curly quotes live at 0x93/0x94 in cp1252
    assert decode_bytes(cp) == (cp.decode("cp1252"), "cp1252")
    latin = "Caf\u00e9 owners in Zvecan said the se\u00f1ora's shop stayed open.\n".encode("latin-1")
    decoded, enc = decode_bytes(latin)
    assert decoded.startswith("Café owners") and enc in {"cp1252", "latin-1"}
    assert "“unprecedented”" in decode_bytes(cp)[0]


def test_bom_and_crlf_are_normalized() -> None:
    text, enc = decode_bytes(b"\xef\xbb\xbfTitle line\r\n\r\nBody line.\r\n")
    assert enc == "utf-8-sig" and text == "Title line\n\nBody line.\n"


def _bad_corpus(root: Path) -> Path:
    d = root / "in"
    d.mkdir()
    for p in sorted(SEEDS.glob("*.txt"))[:2]:
        (d / p.name).write_bytes(p.read_bytes())
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.txt").write_bytes(b"   \n\n  ")
    (d / "image.txt").write_bytes(bytes(range(256)) * 40)
    seed = SEED_003.read_text(encoding="utf-8").replace("\u00a0", " ")
    (d / "windows.txt").write_bytes(seed.replace("\n", "\r\n").encode("cp1252", errors="replace"))
    (d / "latin.txt").write_bytes(SEEDS.joinpath("004_cdea13cc6bc10654.txt").read_text(encoding="utf-8")
                                  .encode("latin-1", errors="replace"))
    big = (seed + "\n") * (20 * 1024 * 1024 // len(seed.encode()) + 1)
    (d / "huge.txt").write_text(big, encoding="utf-8")
    (d / "dangling.txt").symlink_to(root / "nowhere.txt")
    locked = d / "locked.txt"
    locked.write_text(seed, encoding="utf-8")
    locked.chmod(0)
    return d


def test_bad_input_gets_an_error_record_and_the_rest_completes(tmp_path: Path) -> None:
    d = _bad_corpus(tmp_path)
    db = tmp_path / "x.db"
    proc = unspun("run", str(d), "--db", str(db), "--json", check=False)
    assert proc.returncode == 3, proc.stderr  # partial: finished, some inputs unreadable
    summary = json.loads(proc.stdout)
    reasons = {Path(e["source"]).name: e["reason"] for e in summary["errors"]}
    assert reasons["empty.txt"] == "empty" and reasons["blank.txt"] == "empty"
    assert reasons["image.txt"] == "binary"
    assert reasons["huge.txt"] == "too_large"
    assert reasons["dangling.txt"] == "unreadable"
    running_as_root = os.geteuid() == 0
    if not running_as_root:
        assert reasons["locked.txt"] == "unreadable"
    # the good ones: two seeds, the cp1252 and latin-1 copies (+ the locked one as root)
    assert summary["new_articles"] == 4 + (1 if running_as_root else 0)
    listed = unspun("errors", "--db", str(db), "--json")
    stored = {Path(e["source"]).name for e in json.loads(listed.stdout)}
    assert set(reasons) == stored
    for e in summary["errors"]:
        assert e["detail"]  # a message a person can act on
    assert "huge.txt: too_large" in proc.stderr
    # a second run records nothing twice and adds nothing
    again = json.loads(unspun("run", str(d), "--db", str(db), "--json", check=False).stdout)
    assert again["new_articles"] == 0
    assert len(json.loads(unspun("errors", "--db", str(db), "--json").stdout)) == len(stored)


def test_html_pages_give_main_text_and_metadata(tmp_path: Path) -> None:
    """Real pages from WCXB: title and most of the main text come through."""
    pages = sorted((DATA / "extraction/wcxb-articles/html").glob("*.html.gz"))[:12]
    recalls, titles = [], 0
    for gz in pages:
        html_path = tmp_path / gz.name.removesuffix(".gz")
        html_path.write_bytes(gzip.decompress(gz.read_bytes()))
        truth = json.loads((DATA / "extraction/wcxb-articles/ground-truth" / (gz.name.split(".")[0] + ".json"))
                           .read_text())["ground_truth"]
        (item,) = list(iter_inputs([html_path]))
        if isinstance(item, InputError):
            recalls.append(0.0)
            continue
        assert isinstance(item, Article)
        gold_words = words(truth["main_content"])
        got = set(words(item.text))
        recalls.append(sum(1 for w in gold_words if w in got) / max(1, len(gold_words)))
        titles += int(item.title is not None and words(item.title)[:4] == words(truth["title"])[:4])
    assert sum(recalls) / len(recalls) >= 0.85, recalls
    assert titles >= len(pages) * 0.7, titles


def test_jsonl_named_fields_and_bad_lines(tmp_path: Path) -> None:
    seed = SEED_003.read_text(encoding="utf-8")
    rows = [
        json.dumps({"url": "https://example.org/a", "headline": "Kirby warns", "body": seed, "author": ["A B", "C D"],
                    "date": "2023-09-30", "site": "bne IntelliNews"}),
        "{not json",
        json.dumps({"title": "no text here"}),
        json.dumps(["not", "an", "object"]),
    ]
    f = tmp_path / "feed.jsonl"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    items = list(iter_inputs([f]))
    arts = [i for i in items if isinstance(i, Article)]
    errs = {i.source.rsplit("#", 1)[1]: i.reason for i in items if isinstance(i, InputError)}
    assert len(arts) == 1
    a = arts[0]
    assert (a.title, a.url, a.outlet, a.published_at) == ("Kirby warns", "https://example.org/a", "bne IntelliNews", "2023-09-30")
    assert a.authors == ("A B", "C D") and a.source == "https://example.org/a"
    assert errs == {"L2": "bad_json", "L3": "no_text", "L4": "bad_json"}


def test_non_article_files_are_skipped_not_lost() -> None:
    items = list(iter_inputs([SEEDS]))
    assert [i.source for i in items if isinstance(i, Skipped)] == [str(SEEDS / "gold.json")]
    assert sum(isinstance(i, Article) for i in items) == 5


@pytest.mark.parametrize("order", [0, 1])
def test_ids_depend_on_content_not_on_order(tmp_path: Path, order: int) -> None:
    files = sorted(SEEDS.glob("*.txt"))
    paths = files if order == 0 else list(reversed(files))
    ids = sorted(i.id for i in iter_inputs(paths) if isinstance(i, Article))
    assert ids == sorted(i.id for i in iter_inputs([SEEDS]) if isinstance(i, Article))


def test_a_mistyped_path_is_a_usage_error(tmp_path: Path) -> None:
    proc = unspun("run", str(SEEDS), str(tmp_path / "typo"), "--db", str(tmp_path / "x.db"), check=False)
    assert proc.returncode == 2 and "no such file or directory" in proc.stderr
    assert not (tmp_path / "x.db").exists() or json.loads(
        unspun("stories", "--db", str(tmp_path / "x.db"), "--json").stdout) == []


def test_jsonl_streams_records_in_mixed_encodings(tmp_path: Path) -> None:
    seed = SEED_003.read_text(encoding="utf-8").replace("\u00a0", " ")
    good = json.dumps({"id": "one", "text": seed}, ensure_ascii=False).encode("utf-8")
    legacy = json.dumps({"id": "two", "text": "Caf\u00e9 " + seed[:400]}, ensure_ascii=False).encode("cp1252", errors="replace")
    f = tmp_path / "mixed.jsonl"
    f.write_bytes(good + b"\n\n" + legacy + b"\n")
    arts = [i for i in iter_inputs([f]) if isinstance(i, Article)]
    assert [a.source.rsplit("#", 1)[1] for a in arts] == ["one", "two"]
    assert arts[1].text.startswith("Café ")


def _wcxb_extraction(pid: str) -> tuple[Extraction | None, dict[str, Any]]:
    """What HTML extraction makes of a WCXB page, and the page's gold."""
    root = DATA / "extraction/wcxb-articles"
    truth = json.loads((root / "ground-truth" / f"{pid}.json").read_text())["ground_truth"]
    return extract_html(decode_bytes(gzip.decompress((root / "html" / f"{pid}.html.gz").read_bytes()))[0]), truth


# WCXB pages whose author the page shows only in a "Written by" Twitter card pair (4992, 5555),
# in a block whose class names an author ("blog-post-author", "article-meta__author", a <p
# class="author"> under an "Author" heading: 4103, 4129, 5668), or as a CMS user name in the meta
# tag with the person's name in an author block (5682).
@pytest.mark.parametrize("pid", ["4992", "5555", "4103", "4129", "5668", "5682"])
def test_html_author_from_byline_blocks_matches_the_gold(pid: str) -> None:
    ex, truth = _wcxb_extraction(pid)
    assert ex is not None and ex.fields.byline is not None
    assert words(ex.fields.byline) == words(truth["author"]), (ex.fields.byline, truth["author"])
    assert any(ev.name == "byline" and ev.value == ex.fields.byline for ev in ex.fields.evidence)


# WCXB pages that declare no date in markup and print it alone under the headline: "Updated
# November 18, 2025" (4072), "blog | February 01, 2022" (4579), "Created on Jul 11, 2025" (5636).
@pytest.mark.parametrize("pid", ["4072", "4579", "5636"])
def test_html_date_printed_alone_on_the_page_matches_the_gold(pid: str) -> None:
    ex, truth = _wcxb_extraction(pid)
    assert ex is not None and ex.fields.published_at is not None
    assert ex.fields.published_at[:10] == truth["publish_date"][:10]
    ev = next(e for e in ex.fields.evidence if e.name == "published_at" and e.value == ex.fields.published_at)
    assert ev.method == "date_line_element"
