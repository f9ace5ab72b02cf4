"""The whole pipeline at corpus sizes, local engine against Spark with 1 and 2 executor cores.

The corpus is bench_cluster's: every real article in ../shared/data is a base, and copies are
made from the bases in turn (paraphrase, reorder, drop, condense, round numbers, shorten
quotes, inject junk, retitle) until there are N articles, written as 8 JSONL shards.  Each
engine runs the real command line in a fresh process on the fast path (``--no-semantic
--no-parser``: the models' cost is per article and the same on both engines), into its own
SQLite store: ingest, clean, facts, dedup, clustering, provenance, cross-check and briefs.

Reported per run: wall seconds, the peak resident memory of the whole process tree (driver,
JVM and Python workers, sampled every 0.2 s from /proc), and the JSON export's SHA-256, which
must be the same for every engine (the benchmark fails otherwise).  The baseline is the local
engine at the same size in the same invocation; scaling efficiency is t(1 core) / (2 x t(2 cores)).

    .venv/bin/python benchmarks/bench_spark.py [--sizes 2000,10000] [--data ../shared/data] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_cluster import corpus

ROOT = Path(__file__).resolve().parents[1]


def write_shards(data: Path, n: int, where: Path, shards: int = 8) -> list[Path]:
    arts, _ = corpus(data, n)
    paths = [where / f"part-{i:02d}.jsonl" for i in range(shards)]
    files = [p.open("w", encoding="utf-8") for p in paths]
    for k, a in enumerate(arts):
        files[k % shards].write(json.dumps({"id": a.id, "title": a.title, "text": a.text}) + "\n")
    for f in files:
        f.close()
    return paths


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it."""
    from bench_spark_scale import _procs, _tree  # this folder is on the path

    return _tree(root, *_procs())


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak tree memory and output of one command."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, _ = proc.communicate()
    th.join()
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")
    return seconds, peak[0], out


def export_hash(db: Path, where: Path) -> str:
    out = where / f"export-{db.stem}"
    subprocess.run([sys.executable, "-m", "unspun", "export", "--db", str(db), "--format", "json", "--out", str(out)],
                   check=True, capture_output=True)
    h = hashlib.sha256()
    for f in sorted(out.iterdir()):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def run_size(data: Path, n: int, tmp: Path) -> list[dict[str, object]]:
    shards = write_shards(data, n, tmp)
    base = [sys.executable, "-m", "unspun", "run", *map(str, shards), "--no-semantic", "--no-parser", "--quiet",
            "--json"]
    runs = [("local", []), ("spark, 1 core", ["--engine", "spark", "--master", "local[1]"]),
            ("spark, 2 cores", ["--engine", "spark", "--master", "local[2]"])]
    rows: list[dict[str, object]] = []
    for name, extra in runs:
        db = tmp / f"{name.replace(', ', '-').replace(' ', '')}.db"
        seconds, peak, _ = timed([*base, "--db", str(db), *extra])
        rows.append({"articles": n, "engine": name, "seconds": round(seconds, 1), "peak_mb": peak // 2**20,
                     "export": export_hash(db, tmp)})
        print(json.dumps(rows[-1]), flush=True)
    if len({r["export"] for r in rows}) != 1:
        raise SystemExit(f"the engines disagree at {n} articles: {rows}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,10000")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, help="write the Markdown table here too")
    a = ap.parse_args()
    rows: list[dict[str, object]] = []
    for n in (int(x) for x in a.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="unspun-bench-spark-") as tmp:
            rows += run_size(a.data, n, Path(tmp))
    lines = ["| articles | engine | wall s | peak MB (tree) | vs local | export |", "|---:|---|---:|---:|---:|---|"]
    for r in rows:
        local = next(x for x in rows if x["articles"] == r["articles"] and x["engine"] == "local")
        ratio = float(local["seconds"]) / float(r["seconds"])  # type: ignore[arg-type]
        lines.append(f"| {r['articles']} | {r['engine']} | {r['seconds']} | {r['peak_mb']} | {ratio:.2f}x | {r['export']} |")
    for n in sorted({int(r["articles"]) for r in rows}):  # type: ignore[call-overload]
        one = next(float(r["seconds"]) for r in rows if r["articles"] == n and r["engine"] == "spark, 1 core")  # type: ignore[arg-type]
        two = next(float(r["seconds"]) for r in rows if r["articles"] == n and r["engine"] == "spark, 2 cores")  # type: ignore[arg-type]
        lines.append(f"\nScaling efficiency at {n}: t(1 core) / (2 x t(2 cores)) = {one / (2 * two):.2f}")
    table = "\n".join(lines)
    print(table)
    if a.out:
        a.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
