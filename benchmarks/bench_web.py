"""Load benchmark of the web UI: story pages of a 100k-article store under 50 connections.

    python benchmarks/bench_web.py [--articles 100000] [--workers 2] [--seconds 30] [--out FILE]

1. Builds the store once (kept at ``--db``): the seeds and the ECB+ articles from
   ``../shared/data`` go through the pipeline (fast path: no MiniLM, no parser, so the build
   takes minutes, not hours), then every story is replicated with fresh ids -- articles,
   facts, index rows, story and brief rewritten id for id -- until the store holds
   ``--articles`` articles.  Pages are real briefs of real text; only their number is made.
2. Starts ``unspun serve`` on 127.0.0.1 and drives it with wrk (Debian package), every request
   a story page picked at random from all stories (seeded, so runs repeat), 50 connections.
3. Baseline, same server, same run: ``/healthz``, the framework's floor.  The ratio says
   how much of the latency is the page's own work.

Prints one table and writes it to ``--out`` (default ``benchmarks/results/web.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("UNSPUN_SHARED", ROOT.parent / "shared"))
LUA = ROOT / "benchmarks" / "wrk_paths.lua"


def build_store(db: Path, target: int) -> None:
    from unspun.pipeline import PipelineConfig, run
    from unspun.records import (
        Article,
        Brief,
        Derivation,
        Fact,
        FactCheck,
        Signal,
        Story,
        StoryFeatures,
        content_id,
        dumps,
        from_json,
    )
    from unspun.storage import open_store
    from unspun.storage.base import ArticleIndex, StoryOutputs

    base_db = db.with_suffix(".base.db")
    if not base_db.exists():
        with open_store(str(base_db)) as store:
            run([SHARED / "seeds", SHARED / "data" / "ecbplus" / "ecbplus-topics-1-35.jsonl"], store,
                PipelineConfig(semantic=False, parser=False))
    with open_store(str(base_db)) as base, open_store(str(db)) as out:
        stories = base.stories()
        n_base = base.article_count()
        copies = -(-target // n_base)
        print(f"base store: {n_base} articles, {len(stories)} stories; {copies} copies of each", file=sys.stderr)
        all_stories: list[Story] = []
        outputs: list[tuple[str, str]] = []
        ids = [i for s in stories for i in s.article_ids]
        arts = base.articles(ids)
        facts_by: dict[str, list[Fact]] = {}
        for f in base.facts(ids):
            facts_by.setdefault(f.article_id, []).append(f)
        index = {i: base.index(i) for i in ids}
        raw_out = {s.id: base.story_outputs(s.id) for s in stories}
        for k in range(copies):
            for s in stories:
                new = {i: content_id("a", i, str(k)) for i in s.article_ids}
                new[s.id] = content_id("s", s.id, str(k))
                pattern = re.compile("|".join(re.escape(i) for i in new))

                def swap(text: str, mapping: dict[str, str] = new, pat: re.Pattern[str] = pattern) -> str:
                    return pat.sub(lambda m: mapping[m.group()], text)

                for i in s.article_ids:
                    a = from_json(Article, json.loads(swap(dumps(arts[i]))))
                    fs = [from_json(Fact, json.loads(swap(dumps(f)))) for f in facts_by.get(i, [])]
                    idx = index[i]
                    assert idx is not None
                    feats = from_json(StoryFeatures, json.loads(swap(dumps(idx.features))))
                    out.add_article(a, fs, ArticleIndex(idx.exact_key + str(k), idx.signature, (), feats))
                all_stories.append(from_json(Story, json.loads(swap(dumps(s)))))
                o = raw_out[s.id]
                if o is not None:
                    outputs.append((new[s.id], swap(dumps(o))))
            print(f"  copy {k + 1}/{copies}", file=sys.stderr, end="\r")
        out.commit_grouping(out.pending_ids(), [], [], all_stories, [])
        for sid, text in outputs:
            d = json.loads(text)
            out.put_story_outputs(sid, StoryOutputs(
                derivations=tuple(from_json(Derivation, x) for x in d["derivations"]),
                signals=tuple(from_json(Signal, x) for x in d["signals"]),
                checks=tuple(from_json(FactCheck, x) for x in d["checks"]),
                brief=from_json(Brief, d["brief"])))
        print(f"\nstore: {out.article_count()} articles, {out.story_count()} stories", file=sys.stderr)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, paths: Path, seconds: int, connections: int) -> dict[str, float]:
    env = {**os.environ, "WRK_PATHS": str(paths)}
    proc = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(LUA), url],
                          capture_output=True, text=True, env=env, check=True)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "unspun-bench-web.db"))
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "web.md"))
    a = ap.parse_args()
    db = Path(a.db)
    if not db.exists():
        build_store(db, a.articles)
    from unspun.storage import open_store

    with open_store(str(db)) as store:
        n_articles, n_stories = store.article_count(), store.story_count()
        story_ids = []
        after: str | None = None
        while batch := store.story_ids_after(after, 5000):
            story_ids += batch
            after = batch[-1]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "unspun", "serve", "--db", str(db), "--port", str(port),
                               "--workers", str(a.workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with tempfile.TemporaryDirectory() as tmp:
            story_paths = Path(tmp) / "stories.txt"
            story_paths.write_text("".join(f"/stories/{s}\n" for s in story_ids))
            health_paths = Path(tmp) / "health.txt"
            health_paths.write_text("/healthz\n")
            wrk(base, story_paths, 3, a.connections)  # warm-up: imports, first connections
            floor = wrk(base, health_paths, a.seconds, a.connections)
            pages = wrk(base, story_paths, a.seconds, a.connections)
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = sum(int(pages[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "non_2xx"))
    rows = [
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in (("/healthz (baseline)", floor), ("story page", pages)):
        errs = sum(int(r[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "non_2xx"))
        rows.append(f"| {name} | {int(r['requests'])} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                    f"{r['p99_ms']:.1f} | {errs} |")
    verdict = "met" if pages["p95_ms"] < 100 and errors == 0 else "NOT met"
    text = "\n".join([
        "# Web load benchmark", "",
        f"Command: `python benchmarks/bench_web.py --workers {a.workers} --seconds {a.seconds}` (wrk, "
        f"{a.connections} connections, 1 thread, on the same 2-core machine as the server).",
        f"Store: {n_articles} articles, {n_stories} stories (seeds + ECB+ through the pipeline, replicated with "
        "fresh ids; see the script's docstring). Every request is a story page of a story picked at random.", "",
        *rows, "",
        f"Story page p95 / baseline p95: {pages['p95_ms'] / max(floor['p95_ms'], 0.01):.1f}x; "
        f"throughput ratio {pages['rps'] / max(floor['rps'], 0.01):.2f}x. "
        f"Target (p95 < 100 ms at {a.connections} connections, no errors): **{verdict}**.", ""])
    print(text)
    Path(a.out).write_text(text, encoding="utf-8")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
