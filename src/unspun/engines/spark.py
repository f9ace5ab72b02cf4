"""The Spark engine: the pipeline over a cluster, with the same results as the local engine.

The run is nine steps, each a Parquet dataset (or a folder of arrays) under the work folder:

``ingested``   every input entry read by a worker (``mapInPandas`` over the entries)
``articles``   the first copy of each article id, through :func:`unspun.steps.process_article`
``pairs``      duplicate pairs: equal exact keys (a group-by), and LSH-band sharers whose MinHash
               estimate reaches the threshold (a self-join per band, then the estimate)
``columns``    the story features as :class:`~unspun.stages.scoring.Columns` (a chunk saved by
               each articles task, joined by one task into arrays each later task maps from
               disk), and ``rows``: every article's row number, in id order
``edges``      candidates scored a block of rows at a time (blocks dealt round-robin to the
               tasks), with each task's spanning forest of the pairs at the merge threshold;
               the tasks write these Parquet files themselves (``kind=0`` and ``kind=1``)
``components`` connected components of those forests and the duplicate pairs (large-star /
               small-star, Kiveris et al. 2014, each round a Parquet dataset so a lost
               executor costs one round)
``links``      per component holding duplicates: its duplicate links
``groups``     average link over each component, a task per share of the components reading
               their edges from the edges step's files (a duplicate pair's score is 1.0)
``stories``    per story: its record and, unless stories only, its provenance, cross-check
               and brief (``kind`` partitions: story, outputs, link)

A step that finished writes a marker holding the fingerprint of the inputs and configuration;
a rerun skips such steps and redoes the first unfinished one from the Parquet before it.  All
ids derive from content, rows are numbered in id order and every group is ordered by id inside
the stage code, so neither the partition count nor the number of executors changes a byte of
the result, and :func:`unspun.pipeline.load_outputs` puts it into a store exactly as a local
run would.  The clustering steps run the local engine's array code
(:mod:`unspun.engines.spark_columns`): no step holds a Python object per candidate pair.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import ConfigError
from ..records import InputError
from ..stages import ingest, scoring
from ..steps import PipelineConfig, settings_of
from . import spark_columns as columns
from . import spark_tasks as tasks

__all__ = ["STEPS", "SparkEngine", "SparkOptions", "SparkResult", "finished", "run_settings"]

STEPS = ("ingested", "articles", "pairs", "columns", "edges", "components", "links", "groups", "stories")


@dataclass(frozen=True, slots=True)
class SparkOptions:
    master: str | None = None  # local[*] when None
    partitions: int | None = None  # the session's default parallelism when None
    work_dir: str = "unspun-spark"
    conf: tuple[tuple[str, str], ...] = ()
    app_name: str = "unspun"


@dataclass(slots=True)
class SparkResult:
    work_dir: str
    fingerprint: str
    counts: dict[str, int] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall seconds of each step run


def _fs(path: str) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    fs, p = url_to_fs(path)
    return fs, p


@functools.lru_cache(maxsize=1)
def _code_hash() -> str:
    """The package's code and data: a changed stage (even unreleased) invalidates old steps."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".json") and p.is_file()):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def finished(work_dir: str) -> bool:
    """Whether ``work_dir`` holds a Spark run whose last step finished (so it can be loaded)."""
    fs, p = _fs(f"{work_dir.rstrip('/')}/_done/{STEPS[-1]}.json")
    return bool(fs.exists(p))


def run_settings(work_dir: str) -> dict[str, str]:
    """The settings a finished Spark run in ``work_dir`` was made with (see
    :func:`~unspun.steps.settings_of`); empty for a run that did not record them."""
    fs, p = _fs(f"{work_dir.rstrip('/')}/_done/{STEPS[-1]}.json")
    if not fs.exists(p):
        return {}
    with fs.open(p, "r") as fh:
        return {str(k): str(v) for k, v in json.load(fh).get("settings", {}).items()}


class SparkEngine:
    """Runs the pipeline's per-article and corpus-wide steps on Spark (``local[*]`` or a cluster)."""

    name = "spark"

    def __init__(self, opts: SparkOptions | None = None, spark: Any | None = None) -> None:
        self.opts = opts or SparkOptions()
        self._spark = spark

    # --- session -----------------------------------------------------------------------
    def session(self) -> Any:
        if self._spark is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise ConfigError("the Spark engine needs PySpark: pip install 'unspun[spark]'") from None
            # Workers must run this environment's Python, where unspun and its models live.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
            b = SparkSession.builder.master(self.opts.master or "local[*]").appName(self.opts.app_name)
            b = b.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            b = b.config("spark.sql.session.timeZone", "UTC")
            b = b.config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
            for k, v in self.opts.conf:
                b = b.config(k, v)
            self._spark = b.getOrCreate()
            self._spark.sparkContext.setLogLevel("ERROR")
        return self._spark

    def partitions(self) -> int:
        return self.opts.partitions or int(self.session().sparkContext.defaultParallelism)

    # --- bookkeeping ---------------------------------------------------------------------
    def _path(self, step: str) -> str:
        return f"{self.opts.work_dir.rstrip('/')}/{step}"

    def _marker(self, step: str) -> str:
        return f"{self.opts.work_dir.rstrip('/')}/_done/{step}.json"

    def _done(self, step: str, fingerprint: str) -> dict[str, int] | None:
        fs, p = _fs(self._marker(step))
        if not fs.exists(p):
            return None
        with fs.open(p, "r") as fh:
            mark = json.load(fh)
        return dict(mark["counts"]) if mark.get("fingerprint") == fingerprint else None

    def _finish(self, step: str, fingerprint: str, counts: dict[str, int], settings: dict[str, str]) -> None:
        fs, p = _fs(self._marker(step))
        fs.makedirs(p.rsplit("/", 1)[0], exist_ok=True)
        with fs.open(p, "w") as fh:
            json.dump({"fingerprint": fingerprint, "counts": counts, "settings": settings}, fh, sort_keys=True)

    @staticmethod
    def fingerprint(entries: Sequence[Path | str | object], cfg: PipelineConfig) -> str:
        """What the outputs depend on: the entries (local files with size and mtime), the
        configuration and the unspun version; never the partition count or the cluster."""
        h = hashlib.sha256(f"unspun {__version__} {_code_hash()}\n{cfg!r}\n".encode())
        for e in entries:
            if isinstance(e, Path):
                try:
                    st = e.stat()
                    h.update(f"{e}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
                except OSError:
                    h.update(f"{e}\t-\n".encode())
            else:
                h.update(f"{e!r}\n".encode())
        return h.hexdigest()[:24]

    # --- the run -------------------------------------------------------------------------
    def run(self, paths: Sequence[str | Path], cfg: PipelineConfig) -> SparkResult:
        entries = ingest.expand_inputs(paths)
        fp = self.fingerprint(entries, cfg)
        result = SparkResult(self.opts.work_dir, fp)
        steps: dict[str, Callable[[], dict[str, int]]] = {
            "ingested": lambda: self._ingest(entries, cfg),
            "articles": lambda: self._articles(cfg),
            "pairs": lambda: self._pairs(cfg),
            "columns": lambda: self._columns(cfg),
            "edges": lambda: self._edges(cfg, fp),
            "components": lambda: self._components(),
            "links": lambda: self._links(),
            "groups": lambda: self._groups(cfg),
            "stories": lambda: self._stories(cfg),
        }
        for step in STEPS:
            counts = self._done(step, fp)
            if counts is None:
                t0 = time.monotonic()
                counts = steps[step]()
                result.seconds[step] = round(time.monotonic() - t0, 1)
                self._finish(step, fp, counts, settings_of(cfg))
                result.ran.append(step)
            else:
                result.skipped.append(step)
            result.counts.update(counts)
        return result

    def _read(self, step: str) -> Any:
        return self.session().read.parquet(self._path(step))

    def _write(self, df: Any, step: str, partition_by: str | None = None) -> None:
        w = df.write.mode("overwrite")
        if partition_by:
            w = w.partitionBy(partition_by)
        w.parquet(self._path(step))

    def _ingest(self, entries: Sequence[Path | str | InputError], cfg: PipelineConfig) -> dict[str, int]:
        import pandas as pd

        spark = self.session()
        rows = [tasks.entry_row(i, e) for i, e in enumerate(entries)]
        pdf = pd.DataFrame(rows, columns=["ord", "kind", "value"])
        df = spark.createDataFrame(pdf, "ord long, kind string, value string")
        # One entry per task where possible: a file is the unit of reading.
        df = df.repartition(max(1, min(len(rows), self.partitions() * 4)), "ord")
        self._write(df.mapInPandas(tasks.ingest_task(cfg), tasks.INGEST_SCHEMA), "ingested")
        got = {r["kind"]: int(r["n"]) for r in self._read("ingested").groupBy("kind").count()
               .withColumnRenamed("count", "n").collect()}
        return {"entries": len(rows), "items": sum(got.values()), "read_articles": got.get("article", 0),
                "errors": got.get("error", 0), "skipped": got.get("skipped", 0)}

    def _articles(self, cfg: PipelineConfig) -> dict[str, int]:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        items = self._read("ingested").where(F.col("kind") == "article")
        # The first copy of an id in reading order, as the local engine keeps it.
        first = Window.partitionBy("id").orderBy("file_ord", "item_ord")
        items = items.withColumn("_n", F.row_number().over(first)).where(F.col("_n") == 1).drop("_n")
        # Several tasks a core: a lost task costs less, and each holds fewer columns.
        # Each task then takes its articles in reading order. A shard's neighbours share words
        # (one crawl day, one story; in the benchmark corpus, one generation), which keeps the
        # word memos warm; in the order the shuffle by id deals them, a worker that has seen
        # a few hundred thousand articles misses its memos most of the time (3.8 ms an article
        # instead of 2.9 at 100k, one process). The order changes no output.
        items = items.repartition(4 * self.partitions(), "id").sortWithinPartitions("file_ord", "item_ord")
        chunks = self._path("articles-columns")
        fs, p = _fs(chunks)
        if fs.exists(p):  # chunks of an attempt with other partitions would linger
            fs.rm(p, recursive=True)
        task = tasks.process_task(cfg, chunks)
        self._write(items.select("file_ord", "item_ord", "data").mapInPandas(task, tasks.ARTICLE_SCHEMA), "articles")
        return {"articles": int(self._read("articles").count())}

    def _pairs(self, cfg: PipelineConfig) -> dict[str, int]:
        from pyspark.sql import functions as F

        arts = self._read("articles")
        keys = arts.select("id", "exact_key")
        exact = (keys.alias("x").join(keys.alias("y"), F.col("x.exact_key") == F.col("y.exact_key"))
                 .where(F.col("x.id") < F.col("y.id"))
                 .select(F.col("x.id").alias("a"), F.col("y.id").alias("b"))
                 .withColumn("kind", F.lit("exact")).withColumn("score", F.lit(1.0)))
        bands = arts.select("id", F.explode("band_keys").alias("band"))
        cand = (bands.alias("x").join(bands.alias("y"), "band").where(F.col("x.id") < F.col("y.id"))
                .select(F.col("x.id").alias("a"), F.col("y.id").alias("b")).distinct()
                .join(exact.select("a", "b"), ["a", "b"], "left_anti"))
        sig = arts.select("id", "signature")
        cand = (cand.join(sig.withColumnRenamed("id", "a").withColumnRenamed("signature", "sig_a"), "a")
                .join(sig.withColumnRenamed("id", "b").withColumnRenamed("signature", "sig_b"), "b")
                .select("a", "b", "sig_a", "sig_b"))
        near = cand.mapInPandas(tasks.near_task(cfg), "a string, b string, kind string, score double")
        self._write(exact.unionByName(near), "pairs")
        return {"duplicate_pairs": int(self._read("pairs").count())}

    def _columns(self, cfg: PipelineConfig) -> dict[str, int]:
        """Story features as columns: the chunks the articles step's tasks saved, joined by one
        task into the corpus's columns, which numbers the rows (in id order)."""
        spark = self.session()
        root = self._path("columns")
        fs, p = _fs(root)
        if fs.exists(p):
            fs.rm(p, recursive=True)
        cfs, cp = _fs(self._path("articles-columns"))
        found = sorted(str(d).rstrip("/") for d in cfs.ls(cp, detail=False)) if cfs.exists(cp) else []
        prefix = self._path("articles-columns").rstrip("/")
        chunks = [f"{prefix}/{d.rsplit('/', 1)[1]}" for d in found if cfs.exists(f"{d}/meta.json")]
        one = spark.sparkContext.parallelize([0], 1).map(lambda k: (k,)).toDF("k int")
        rows = one.mapInPandas(columns.join_task(chunks, f"{root}/corpus"), columns.ROW_SCHEMA) if chunks else \
            spark.createDataFrame([], columns.ROW_SCHEMA)
        rows.write.mode("overwrite").parquet(f"{root}/rows")
        return {"rows": int(spark.read.parquet(f"{root}/rows").count())}

    def _rows(self) -> Any:
        return self.session().read.parquet(self._path("columns") + "/rows")

    def _dup_rows(self) -> Any:
        """The duplicate pairs as row numbers ``(x, y)``, ``x < y`` (rows are in id order)."""
        from pyspark.sql import functions as F

        rows = F.broadcast(self._rows())
        pairs = self._read("pairs").select("a", "b")
        return (pairs.join(rows.select(F.col("id").alias("a"), F.col("row").alias("x")), "a")
                .join(rows.select(F.col("id").alias("b"), F.col("row").alias("y")), "b").select("x", "y"))

    def _edges(self, cfg: PipelineConfig, fingerprint: str) -> dict[str, int]:
        """Candidates scored a block of rows at a time, blocks dealt round-robin to the tasks
        (a block's pairs run from its rows to every later row, so early blocks cost more)."""
        spark = self.session()
        fs, p = _fs(self._path("edges"))
        if fs.exists(p):  # files of an attempt with another task count would linger
            fs.rm(p, recursive=True)
        n = int(self._rows().count())
        size = scoring.CANDIDATE_BLOCK
        blocks = [(lo, min(n, lo + size)) for lo in range(0, n, size)]
        ntasks = max(1, min(len(blocks), 2 * self.partitions()))
        dealt = [[(t, lo, hi) for lo, hi in blocks[t::ntasks]] for t in range(ntasks)]
        df = (spark.sparkContext.parallelize(range(ntasks), ntasks).flatMap(lambda t: dealt[t])
              .toDF("task int, lo int, hi int") if blocks else spark.createDataFrame([], "task int, lo int, hi int"))
        task = columns.edges_task(cfg, self._path("columns") + "/corpus", fingerprint, self._path("edges"))
        got = df.mapInPandas(task, columns.EDGE_SCHEMA).collect()
        if not got:  # no article: an empty dataset, so later steps read no edge
            for kind in (0, 1):
                spark.createDataFrame([], "x int, y int, m int").write.mode("overwrite").parquet(
                    f"{self._path('edges')}/kind={kind}")
        return {"edges": sum(int(r["edges"]) for r in got), "forest_edges": sum(int(r["forest"]) for r in got)}

    def _components(self) -> dict[str, int]:
        from pyspark.sql import functions as F

        forest = self._read("edges").where(F.col("kind") == 1).select(F.col("x").alias("u"), F.col("y").alias("v"))
        dups = self._dup_rows().select(F.col("x").alias("u"), F.col("y").alias("v"))
        edges = forest.unionByName(dups).where(F.col("u") != F.col("v")).distinct()
        rounds = 0
        while True:
            rounds += 1
            edges = self._star_round(edges, rounds)
            if self._is_star_forest(edges):
                break
        leaf = edges.select(F.col("u").alias("row"), F.col("v").alias("comp"))
        comps = self._rows().select("row").join(leaf, "row", "left").select("row", F.coalesce("comp", "row").alias("comp"))
        self._write(comps, "components")
        n = int(self._read("components").select("comp").distinct().count())
        return {"components": n, "component_rounds": rounds}
    def _star_round(self, edges: Any, n: int) -> Any:
        """One large-star then one small-star pass, written to Parquet (so the lineage stays
        short and a lost executor costs this round only).  Edges point from a node to a
        smaller one once the small star has run."""
        from pyspark.sql import functions as F

        u, v = F.col("u"), F.col("v")
        both = edges.unionByName(edges.select(v.alias("u"), u.alias("v")))
        # Large star: every neighbour larger than u hangs on the least of u and its neighbours.
        m = both.groupBy("u").agg(F.min("v").alias("m")).withColumn("m", F.least("m", "u"))
        large = both.join(m, "u").where(v > u).select(v.alias("u"), F.col("m").alias("v")).distinct()
        # Small star: u and its smaller neighbours hang on the least of them.
        low = large.select(F.greatest(u, v).alias("u"), F.least(u, v).alias("v")).where(u != v).distinct()
        m2 = low.groupBy("u").agg(F.min("v").alias("m"))
        small = (low.join(m2, "u").select(v.alias("u"), F.col("m").alias("v"))
                 .unionByName(m2.select("u", F.col("m").alias("v")))
                 .where(u != v).distinct())
        path = self._path(f"_cc/round-{n}")
        small.write.mode("overwrite").parquet(path)
        return self.session().read.parquet(path)

    @staticmethod
    def _is_star_forest(edges: Any) -> bool:
        """Every node hangs on one centre, and no centre hangs on anything: each component is
        a star around its least id."""
        from pyspark.sql import functions as F

        centres = edges.select(F.col("v").alias("u")).distinct()
        if edges.join(centres, "u").limit(1).count():
            return False
        return not edges.groupBy("u").count().where(F.col("count") > 1).limit(1).count()

    def _heads(self, *extra: str) -> Any:
        """Each article's row, id, what its story record reads (title, date, lead, length)
        and the ``extra`` columns of the articles step."""
        return self._read("articles").select("id", "title", "published_at", "lead", "length", *extra).join(
            self._rows(), "id")

    def _links(self) -> dict[str, int]:
        """Duplicate links: per component holding duplicate pairs, its duplicate groups'
        canonicals (earliest, then most complete) from the members' heads."""
        from pyspark.sql import functions as F

        comps = F.broadcast(self._read("components"))
        rows = F.broadcast(self._rows())
        pairs = (self._read("pairs").join(rows.select(F.col("id").alias("a"), "row"), "a").join(comps, "row")
                 .select("comp", "a", "b", "kind", "score"))
        members = pairs.select(F.col("a").alias("id")).unionByName(pairs.select(F.col("b").alias("id"))).distinct()
        heads = self._heads().join(members, "id", "left_semi").join(comps, "row")
        out = heads.groupBy("comp").cogroup(pairs.groupBy("comp")).applyInPandas(tasks.links_task(), tasks.OUTPUT_SCHEMA)
        self._write(out, "links")
        return {"duplicates": int(self._read("links").count())}

    def _groups(self, cfg: PipelineConfig) -> dict[str, int]:
        """Average link per component, a task per share of the components: each reads the
        components, the duplicate pairs (as rows, written here) and the edges step's files
        itself (see :func:`~unspun.engines.spark_columns.groups_task`)."""
        spark = self.session()
        root = self._path("groups")
        self._dup_rows().write.mode("overwrite").parquet(f"{root}/dups")
        n = int(self._rows().count())
        ntasks = self.partitions()
        tasks_df = spark.sparkContext.parallelize(range(ntasks), ntasks).map(lambda t: (t,)).toDF("task int")
        labels = tasks_df.mapInPandas(columns.groups_task(cfg, self.opts.work_dir, n, ntasks), columns.GROUP_SCHEMA)
        labels.write.mode("overwrite").parquet(f"{root}/labels")
        got = spark.read.parquet(f"{root}/labels")
        return {"grouped_articles": int(got.count()), "multi_stories": int(got.select("label").distinct().count())}

    def _stories(self, cfg: PipelineConfig) -> dict[str, int]:
        """A story per label (an article in no multi-article story is its own): its record,
        and unless stories only its provenance, cross-check and brief."""
        from pyspark.sql import functions as F

        labels = self.session().read.parquet(self._path("groups") + "/labels")
        links = self._read("links")
        df = self._heads(*(("article", "facts") if cfg.briefs else ())).join(labels, "row", "left")
        df = df.withColumn("label", F.coalesce("label", "row"))
        if cfg.briefs:
            df = df.join(links.select("id", F.col("data").alias("link")), "id", "left")
        df = df.repartition(self.partitions(), "label").sortWithinPartitions("label", "id")
        out = df.mapInPandas(tasks.stories_task(cfg), tasks.OUTPUT_SCHEMA).unionByName(links)
        self._write(out, "stories", partition_by="kind")
        got = {r["kind"]: int(r["count"]) for r in self._read("stories").groupBy("kind").count().collect()}
        return {"stories": got.get("story", 0), "duplicates": got.get("link", 0)}
