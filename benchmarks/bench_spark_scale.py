"""A million articles through ingest, clean, dedup and clustering: Spark with one and with two
executors, against the local engine where it finishes.

The corpus is ``bench_million``'s (``bench_cluster``'s real articles from ../shared/data,
content-farm copies of them, and past 10,000 articles generations with other names, rare words
and years), written once as 25,000-article JSONL shards (untimed; ``--shards DIR`` keeps them).
Each run is the real command line in a fresh process, on the path built for scale::

    unspun run SHARDS --no-semantic --no-parser --story-model static --min-shared-keys 2 --stories-only

(the static model distilled from MiniLM for the dense channel, no parser, candidates sharing two
rare words, no facts or briefs).  Spark runs on a standalone cluster started on this machine
(:class:`unspun.engines.spark_standalone.Standalone`), ``--executors 1,2`` executors of one
core each, with ``--no-load``: the outputs stay as Parquet (a million articles' 200 M edges are
not what a SQLite file is for).  The local engine runs into SQLite up to ``--local-max``.

Reported per run: wall seconds; peak resident memory of each executor (its JVM and its Python
workers, sampled every 0.5 s from /proc), of the driver (the command and its JVM) and of all
processes; the stories.  The baseline is the first run at each size in the same invocation;
scaling efficiency is t(1 executor) / (2 x t(2 executors)).  The runs must find the same
stories (their membership, hashed), or the benchmark fails.

    .venv/bin/python benchmarks/bench_spark_scale.py [--sizes 100000,1000000] [--executors 1,2]
        [--local-max 100000] [--executor-memory 3g] [--shards DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_million import shards  # this folder is on the path

from unspun.engines.spark_standalone import Standalone
from unspun.records import Story, from_json
from unspun.storage import open_store

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-semantic", "--no-parser", "--story-model", "static", "--min-shared-keys", "2", "--stories-only",
         "--quiet", "--json"]


def _procs() -> tuple[dict[int, list[int]], dict[int, int]]:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            status = Path(f"/proc/{d}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(d)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    return children, rss


def _tree(root: int, children: dict[int, list[int]], rss: dict[int, int]) -> int:
    total, stack = 0, [root]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack += children.get(p, [])
    return total


def _executors() -> list[int]:
    """The executor JVMs (not the shell a worker may start them through)."""
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                argv = Path(f"/proc/{d}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"java") and b"org.apache.spark.executor.CoarseGrainedExecutorBackend" in argv:
                found.append(int(d))
    return found


class Sampler:
    """Peak memory of the driver tree, of each executor tree and of the cluster's daemons."""

    def __init__(self, driver: int, daemons: list[int]) -> None:
        self.driver, self.daemons = driver, daemons
        self.peak_driver = self.peak_executor = self.peak_all = 0
        self.executors_seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            children, rss = _procs()
            drv = _tree(self.driver, children, rss)
            execs = {e: _tree(e, children, rss) for e in _executors()}
            self.executors_seen |= execs.keys()
            self.peak_driver = max(self.peak_driver, drv)
            self.peak_executor = max([self.peak_executor, *execs.values()])
            self.peak_all = max(self.peak_all, drv + sum(_tree(d, children, rss) for d in self.daemons))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(cmd: list[str], daemons: list[int], env: dict[str, str]) -> tuple[float, Sampler, str]:
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with Sampler(proc.pid, daemons) as sampler:
        out, err = proc.communicate()
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-4000:]}")
    return seconds, sampler, out


def _digest(stories: list[tuple[str, tuple[str, ...]]]) -> str:
    h = hashlib.sha256()
    for sid, members in sorted(stories):
        h.update(f"{sid}\t{','.join(members)}\n".encode())
    return h.hexdigest()[:16]


def spark_stories(work: Path) -> list[tuple[str, tuple[str, ...]]]:
    import pyarrow.dataset as ds

    data = ds.dataset(str(work / "stories"), format="parquet", partitioning="hive")
    out = []
    for batch in data.to_batches(columns=["kind", "data"]):
        for kind, blob in zip(batch["kind"].to_pylist(), batch["data"].to_pylist(), strict=True):
            if kind == "story":
                s = from_json(Story, json.loads(blob))
                out.append((s.id, s.article_ids))
    return out


def local_stories(db: Path) -> list[tuple[str, tuple[str, ...]]]:
    with open_store(str(db)) as store:
        return [(s.id, s.article_ids) for s in store.stories()]


def run_size(n: int, args: argparse.Namespace, where: Path) -> list[dict[str, Any]]:
    folder = Path(shards(Path(args.data), n, where, 2)[0]).parent
    base = [sys.executable, "-m", "unspun", "run", str(folder), *FLAGS]
    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="unspun-scale-", dir=args.tmp))
    try:
        if n <= args.local_max:
            db = tmp / "local.db"
            seconds, mem, _ = timed([*base, "--db", str(db)], [], dict(os.environ))
            rows.append({"articles": n, "engine": "local", "seconds": round(seconds, 1), "executor_peak_mb": None,
                         "driver_peak_mb": mem.peak_driver // 2**20, "all_peak_mb": mem.peak_all // 2**20,
                         "stories": len(st := local_stories(db)), "digest": _digest(st)})
            print(json.dumps(rows[-1]), flush=True)
        for k in (int(x) for x in args.executors.split(",")):
            with Standalone(workers=k, cores=1, memory=args.worker_memory, where=tmp / f"cluster-{k}") as cluster:
                work = tmp / f"work-{k}"
                cmd = [*base, "--db", str(tmp / "unused.db"), "--engine", "spark", "--master", cluster.url, "--no-load",
                       "--work", str(work), "--spark-conf", f"spark.executor.memory={args.executor_memory}",
                       "--spark-conf", "spark.executor.cores=1", "--spark-conf", "spark.driver.host=127.0.0.1",
                       "--spark-conf", f"spark.driver.memory={args.driver_memory}",
                       "--spark-conf", f"spark.local.dir={tmp / 'spark-local'}"]
                seconds, mem, out = timed(cmd, [d.pid for d in cluster.daemons], cluster.env)
            st = spark_stories(work)
            rows.append({"articles": n, "engine": f"spark, {k} executor{'s' if k > 1 else ''}",
                         "seconds": round(seconds, 1), "executor_peak_mb": mem.peak_executor // 2**20,
                         "driver_peak_mb": mem.peak_driver // 2**20, "all_peak_mb": mem.peak_all // 2**20,
                         "stories": len(st), "digest": _digest(st), "executors": len(mem.executors_seen),
                         "counts": json.loads(out)["counts"], "step_seconds": json.loads(out)["seconds"]})
            print(json.dumps(rows[-1]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if len({r["digest"] for r in rows}) != 1:
        raise SystemExit(f"the runs disagree at {n} articles: {rows}")
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| articles | engine | wall s | vs first | peak MB per executor | driver peak MB | all processes MB "
             "| stories | stories digest |", "|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        first = next(x for x in rows if x["articles"] == r["articles"])
        ex = "" if r["executor_peak_mb"] is None else str(r["executor_peak_mb"])
        lines.append(f"| {r['articles']:,} | {r['engine']} | {r['seconds']} | {first['seconds'] / r['seconds']:.2f}x | "
                     f"{ex} | {r['driver_peak_mb']} | {r['all_peak_mb']} | {r['stories']:,} | {r['digest']} |")
    for n in sorted({r["articles"] for r in rows}):
        one = [r["seconds"] for r in rows if r["articles"] == n and r["engine"] == "spark, 1 executor"]
        two = [r["seconds"] for r in rows if r["articles"] == n and r["engine"] == "spark, 2 executors"]
        if one and two:
            lines.append(f"\nScaling efficiency at {n:,}: t(1 executor) / (2 x t(2 executors)) = {one[0] / (2 * two[0]):.2f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--executors", default="1,2", help="executor counts to run, one core each")
    ap.add_argument("--local-max", type=int, default=100_000, help="largest size the local engine runs")
    ap.add_argument("--executor-memory", default="3g", help="each executor's JVM heap")
    ap.add_argument("--worker-memory", default="4g", help="what each standalone worker offers its executor")
    ap.add_argument("--driver-memory", default="2g")
    ap.add_argument("--shards", help="keep the corpus shards here (default: a temporary folder)")
    ap.add_argument("--tmp", help="where runs write (work folders, stores); default: the system's")
    ap.add_argument("--keep", action="store_true", help="keep the runs' folders (logs, work, stores) for a look")
    ap.add_argument("--out", type=Path, help="write the Markdown table here too")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        where = Path(args.shards) if args.shards else Path(tmp)
        for n in (int(x) for x in args.sizes.split(",")):
            rows += run_size(n, args, where)
    text = table(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
