"""The pipeline, the command line and the web server on a real PostgreSQL server (started by
the tests, see ``pgserver``), including two runs writing into one database at the same time."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import DATA, SEEDS
from pgserver import PostgresServer
from unspun.pipeline import PipelineConfig, run
from unspun.records import Article
from unspun.stages.ingest import iter_inputs
from unspun.storage import PostgresStore, SQLiteStore, Store
from webserver import Server

ECB = DATA / "ecbplus" / "ecbplus-topics-1-35.jsonl"


def _topics(path: Path, topics: range) -> Path:
    rows = [line for line in ECB.read_text(encoding="utf-8").splitlines() if json.loads(line)["topic"] in topics]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _ids(*paths: Path) -> set[str]:
    return {a.id for a in iter_inputs(list(paths)) if isinstance(a, Article)}


def _partition(store: Store) -> list[tuple[str, ...]]:
    return sorted(s.article_ids for s in store.stories())


def test_two_runs_writing_into_one_database_at_once(postgres: PostgresServer, tmp_path: Path) -> None:
    # Overlapping inputs (ECB+ topic 2 and the seeds in both), started together.
    first, second = _topics(tmp_path / "a.jsonl", range(1, 3)), _topics(tmp_path / "b.jsonl", range(2, 4))
    dsn = postgres.new_database()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "unspun", "run", str(p), str(SEEDS), "--db", dsn, "--json", "-q"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for p in (first, second)]
    outs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    summaries = [json.loads(o[0]) for o in outs]
    expected = _ids(first, SEEDS) | _ids(second, SEEDS)

    with PostgresStore(dsn) as store:
        # No article lost or stored twice; each counted new by exactly one of the runs.
        assert set(store.articles()) == expected and store.article_count() == len(expected)
        assert sum(s["new_articles"] for s in summaries) == len(expected)
        assert store.pending_ids() == [] and store.dirty_story_ids() == []
        # Every article in exactly one story, every story with its brief over its members.
        members = [a for s in store.stories() for a in s.article_ids]
        assert sorted(members) == sorted(expected)
        for s in store.stories():
            out = store.story_outputs(s.id)
            assert out is not None and sorted(x.article_id for x in out.brief.sources) == sorted(s.article_ids)
        together = _partition(store)

    # The same stories as one run over both inputs, one after the other, into SQLite.
    with SQLiteStore(tmp_path / "one.db") as one:
        run([first, SEEDS], one)
        run([second, SEEDS], one)
        assert _partition(one) == together


def test_cli_and_web_server_on_postgres(postgres: PostgresServer) -> None:
    dsn = postgres.new_database()
    with PostgresStore(dsn) as store:
        summary = run([SEEDS], store, PipelineConfig(semantic=False, parser=False))
        assert summary.new_articles == 5
        listed = store.story_count()
    proc = subprocess.run([sys.executable, "-m", "unspun", "stories", "--db", dsn, "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == listed
    server = Server(dsn, None)
    try:
        stories = server.json("/?format=json")["stories"]
        assert len(stories) == listed
        sid = stories[0]["id"]
        page = server.json(f"/stories/{sid}?format=json")
        assert page["story"]["id"] == sid and page["brief"]["story_id"] == sid
        status, headers, body = server.get(f"/stories/{sid}")
        assert status == 200 and {k.lower(): v for k, v in headers.items()}["content-type"].startswith("text/html")
        assert html.escape(page["brief"]["headline"], quote=False).encode() in body
        assert server.json("/?format=json&q=Kosovo")["stories"]
    finally:
        server.stop()
