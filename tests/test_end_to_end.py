"""The whole pipeline through the real command line: stories, export contract, resume after
SIGKILL, and byte-identical output whatever the input order or batching."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from conftest import DATA, EXAMPLES, ROOT, SEEDS, unspun

SCHEMAS = ROOT / "src/unspun/schemas"
EXPORT_FILES = ("stories.json", "articles.jsonl", "facts.jsonl", "briefs.jsonl", "duplicates.json", "errors.jsonl")


def _run(*args: str, cwd: Path) -> None:
    unspun("run", *args, "-q", cwd=cwd)


def _export(db: Path, out: Path) -> dict[str, bytes]:
    unspun("export", "--format", "json", "--out", str(out), "--db", str(db))
    return {name: (out / name).read_bytes() for name in EXPORT_FILES}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Seeds plus ECB+ topics 1-12 as JSONL (about 270 real articles), in two orders.

    Runs use the relative name ``ecb.jsonl`` from the folder that holds it, so the source
    paths (part of the export) are the same whichever copy is read."""
    root = tmp_path_factory.mktemp("corpus")
    rows = [json.loads(line) for line in (DATA / "ecbplus/ecbplus-topics-1-35.jsonl").open(encoding="utf-8")]
    rows = [r for r in rows if r["topic"] <= 12]
    a, b = root / "a", root / "b"
    a.mkdir()
    b.mkdir()
    (a / "ecb.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    (b / "ecb.jsonl").write_text("".join(json.dumps(r) + "\n" for r in shuffled), encoding="utf-8")
    return {"ordered": a / "ecb.jsonl", "shuffled": b / "ecb.jsonl", "n": Path(str(len(rows)))}


@pytest.fixture(scope="module")
def reference(corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("ref")
    _run(str(SEEDS), "ecb.jsonl", "--db", str(root / "ref.db"), cwd=corpus["ordered"].parent)
    return _export(root / "ref.db", root / "out")


def test_seeds_make_exactly_one_story_of_five(tmp_path: Path) -> None:
    db = tmp_path / "seeds.db"
    proc = unspun("run", str(SEEDS), "--db", str(db))
    assert "5 new article(s)" in proc.stdout and "1 story" in proc.stdout
    out = _export(db, tmp_path / "out")
    stories = json.loads(out["stories.json"])
    assert len(stories) == 1 and len(stories[0]["articles"]) == 5
    articles = [json.loads(line) for line in out["articles.jsonl"].decode().splitlines()]
    assert sorted(stories[0]["articles"]) == sorted(a["id"] for a in articles)
    assert sorted(Path(a["source"]).name for a in articles) == sorted(p.name for p in SEEDS.glob("*.txt"))
    story_schema = json.loads((SCHEMAS / "export-story.schema.json").read_text())
    article_schema = json.loads((SCHEMAS / "export-article.schema.json").read_text())
    for s in stories:
        jsonschema.validate(s, story_schema)
    for a in articles:
        jsonschema.validate(a, article_schema)
        for r in a["removals"]:
            assert a["text"][r["start"] : r["end"]] == r["text"]
    md = unspun("show", stories[0]["id"][:6], "--db", str(db)).stdout
    assert md.startswith("# ") and "## Summary" in md and "## Sources" in md


def test_a_second_run_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    unspun("run", str(SEEDS), str(EXAMPLES), "--db", str(db), "-q")
    first = _export(db, tmp_path / "one")
    again = json.loads(unspun("run", str(SEEDS), str(EXAMPLES), "--db", str(db), "--json").stdout)
    assert again["new_articles"] == 0 and again["stories_updated"] == 0 and again["already_stored"] == 28
    assert _export(db, tmp_path / "two") == first


def test_a_store_refuses_a_run_with_other_settings(tmp_path: Path) -> None:
    """The store records the settings it was built with: a later run with another duplicate
    threshold or without the parser is refused (exit 2, the differences named) and adds
    nothing; the same settings go on adding; the web API's posts use the stored settings."""
    db = tmp_path / "set.db"
    seeds = sorted(str(p) for p in SEEDS.glob("00*.txt"))
    unspun("run", *seeds[:3], "--db", str(db), "--no-semantic", "--no-parser", "--dup-threshold", "0.7", "-q")
    for other in (["--no-semantic", "--no-parser", "--dup-threshold", "0.8"], ["--no-semantic", "--dup-threshold", "0.7"]):
        refused = unspun("run", *seeds[3:], "--db", str(db), *other, "-q", check=False)
        assert refused.returncode == 2, refused.stderr
        assert "other settings" in refused.stderr
        assert ("dedup.threshold: 0.7 in the store, 0.8 now" in refused.stderr) == ("0.8" in other)
        assert ("parser: false in the store, true now" in refused.stderr) == ("--no-parser" not in other)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
    same = json.loads(unspun("run", *seeds[3:], "--db", str(db), "--no-semantic", "--no-parser",
                             "--dup-threshold", "0.7", "--json").stdout)
    assert same["new_articles"] == 2


def test_story_settings_from_the_command_line(tmp_path: Path) -> None:
    """The clustering settings reach the stories: at the default bar the five seeds are one
    story; with a bar no pair of them reaches, each is its own.  Out-of-range values exit 2."""
    def stories(db: Path, *opts: str) -> list[list[str]]:
        unspun("run", str(SEEDS), "--db", str(db), "--no-semantic", "--no-parser", *opts, "-q")
        return [s["articles"] for s in json.loads(unspun("stories", "--db", str(db), "--json").stdout)]

    assert [len(s) for s in stories(tmp_path / "a.db")] == [5]
    assert sorted(len(s) for s in stories(tmp_path / "b.db", "--story-threshold", "0.99", "--max-block", "50",
                                          "--min-shared-keys", "2")) == [1] * 5
    with sqlite3.connect(tmp_path / "b.db") as con:
        cluster = json.loads(con.execute("SELECT value FROM settings WHERE name='cluster'").fetchone()[0])
    assert (cluster["threshold"], cluster["max_block"], cluster["min_shared_keys"]) == (0.99, 50, 2)
    for bad in (["--story-threshold", "0"], ["--min-shared-keys", "0"], ["--max-block", "1"], ["--dup-threshold", "1.5"]):
        proc = unspun("run", str(SEEDS), "--db", str(tmp_path / "c.db"), *bad, check=False)
        assert proc.returncode == 2 and "must be" in proc.stderr, (bad, proc.stderr)


def test_input_order_does_not_change_the_export(corpus: dict[str, Path], reference: dict[str, bytes], tmp_path: Path) -> None:
    db = tmp_path / "rev.db"
    _run("ecb.jsonl", str(SEEDS), "--db", str(db), cwd=corpus["shuffled"].parent)
    assert _export(db, tmp_path / "out") == reference


def test_incremental_batches_equal_one_run(corpus: dict[str, Path], reference: dict[str, bytes], tmp_path: Path) -> None:
    rows = corpus["ordered"].read_text(encoding="utf-8").splitlines(keepends=True)
    feed = tmp_path / "ecb.jsonl"
    feed.write_text("".join(rows[::2]), encoding="utf-8")  # the feed as it stood yesterday
    db = tmp_path / "inc.db"
    _run("ecb.jsonl", "--db", str(db), cwd=tmp_path)
    _run(str(SEEDS), "--db", str(db), cwd=tmp_path)
    feed.write_text("".join(rows), encoding="utf-8")  # today: the rest has arrived
    _run("ecb.jsonl", "--db", str(db), cwd=tmp_path)
    assert _export(db, tmp_path / "out") == reference


def _count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("kill_after", [40, 150, -1])  # -1: once every article is in (grouping)
def test_sigkill_part_way_then_resume_equals_one_run(
    corpus: dict[str, Path], reference: dict[str, bytes], tmp_path: Path, kill_after: int
) -> None:
    db = tmp_path / "killed.db"
    total = int(str(corpus["n"])) + 5
    kill_after = total if kill_after < 0 else kill_after
    cwd = corpus["ordered"].parent
    proc = subprocess.Popen([sys.executable, "-m", "unspun", "run", str(SEEDS), "ecb.jsonl", "--db", str(db), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    deadline = time.monotonic() + 300
    while _count(db) < kill_after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be killed: use a bigger corpus"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = _count(db)
    assert kill_after <= stored <= total
    _run(str(SEEDS), "ecb.jsonl", "--db", str(db), cwd=cwd)
    assert _export(db, tmp_path / "out") == reference


def test_help_everywhere_and_meaningful_exit_codes(tmp_path: Path) -> None:
    for cmd in ([], ["run"], ["stories"], ["show"], ["export"], ["errors"], ["schema"]):
        proc = unspun(*cmd, "--help")
        assert proc.returncode == 0 and "usage: unspun" in proc.stdout
    assert unspun("frobnicate", check=False).returncode == 2
    assert unspun("run", "--db", str(tmp_path / "x.db"), check=False).returncode == 2  # no PATH
    missing = unspun("stories", "--db", str(tmp_path / "none.db"), check=False)
    assert missing.returncode == 2 and "no store at" in missing.stderr
    db = tmp_path / "s.db"
    unspun("run", str(SEEDS), "--db", str(db), "-q")
    assert unspun("show", "s_doesnotexist", "--db", str(db), check=False).returncode == 2
    bad_store = tmp_path / "bad.db"
    bad_store.write_bytes(b"not sqlite" * 200)
    fatal = unspun("run", str(SEEDS), "--db", str(bad_store), check=False)
    assert fatal.returncode == 1 and "cannot open the SQLite store" in fatal.stderr
    schema = json.loads(unspun("schema", "Article").stdout)
    assert schema["title"] == "Article"
