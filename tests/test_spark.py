"""The Spark engine against the local one: same exports byte for byte, whatever the partition
count, executor count or interruptions.  One ``local[2]`` session serves the in-process tests;
the cluster test starts a real standalone master and two workers on 127.0.0.1 and kills one."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, SEEDS, unspun
from unspun.engines.spark import SparkEngine, SparkOptions
from unspun.engines.spark_columns import spanning_forest
from unspun.engines.spark_standalone import Standalone
from unspun.export import export
from unspun.pipeline import PipelineConfig, load_outputs, run, settings_of
from unspun.stages.cluster import ClusterConfig
from unspun.storage import open_store

FAST = PipelineConfig(semantic=False, parser=False)
CORPUS = [SEEDS, DATA / "ecbplus"]


def exported(db: Path, out: Path) -> dict[str, bytes]:
    with open_store(str(db)) as store:
        files = export(store, "json", out)
    return {f.name: f.read_bytes() for f in files}


def local_run(paths: list[Path], cfg: PipelineConfig, where: Path) -> dict[str, bytes]:
    with open_store(str(where / "local.db")) as store:
        run(paths, store, cfg)
    return exported(where / "local.db", where / "local-export")


def spark_run(spark: Any, paths: list[Path], cfg: PipelineConfig, where: Path, partitions: int) -> dict[str, bytes]:
    work = where / f"work-{partitions}"
    SparkEngine(SparkOptions(partitions=partitions, work_dir=str(work)), spark=spark).run(paths, cfg)
    db = where / f"spark-{partitions}.db"
    with open_store(str(db)) as store:
        load_outputs(str(work), store, cfg)
    return exported(db, where / f"spark-export-{partitions}")


def assert_same(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], f"{name} differs"


@pytest.fixture(scope="module")
def local_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The seeds and every ECB+ article through the local engine (fast path)."""
    return local_run(CORPUS, FAST, tmp_path_factory.mktemp("local"))


def test_seeds_with_every_model_match_local(spark: Any, tmp_path: Path) -> None:
    cfg = PipelineConfig()
    local = local_run([SEEDS], cfg, tmp_path)
    assert local["articles.jsonl"].count(b"\n") == 5 and local["briefs.jsonl"].count(b"\n") >= 1
    for partitions in (1, 3):
        assert_same(local, spark_run(spark, [SEEDS], cfg, tmp_path, partitions))


@pytest.mark.parametrize("partitions", [2, 7])
def test_seeds_and_ecbplus_match_local_at_any_partition_count(
    spark: Any, local_corpus: dict[str, bytes], tmp_path: Path, partitions: int
) -> None:
    got = spark_run(spark, CORPUS, FAST, tmp_path, partitions)
    assert_same(local_corpus, got)
    # Not trivially equal: hundreds of articles, many stories, some duplicates.
    assert got["articles.jsonl"].count(b"\n") > 700
    assert got["stories.json"].count(b'"id"') > 50
    assert got["duplicates.json"] != b"[]\n"


def test_settings_for_scale_match_local(spark: Any, local_corpus: dict[str, bytes], tmp_path: Path) -> None:
    # The blocking settings a big corpus runs with: a pair must share two live keys, and a key
    # filed under more than 40 articles pairs nobody (it binds on ECB+, where "friday" alone
    # files 84).  Spark's tasks, each scoring its blocks of rows, give the local engine's stories.
    cfg = replace(FAST, cluster=replace(FAST.cluster, min_shared_keys=2, max_block=40))
    local = local_run(CORPUS, cfg, tmp_path)
    assert local["stories.json"] != local_corpus["stories.json"]  # the settings do bind
    assert_same(local, spark_run(spark, CORPUS, cfg, tmp_path, 3))


def test_stories_only_on_the_static_model_match_local_unloaded_then_loaded(
    local_corpus: dict[str, bytes], tmp_path: Path
) -> None:
    """The path built for a million articles: the static model for the dense channel, two
    shared keys, stories only.  Spark's outputs left as Parquet (--no-load), loaded later,
    equal a local run; the local store holds stories and duplicates but no facts or briefs."""
    flags = ["--no-semantic", "--no-parser", "--story-model", "static", "--min-shared-keys", "2", "--stories-only",
             "--quiet"]
    cfg = replace(FAST, story_model="static", briefs=False, cluster=replace(FAST.cluster, min_shared_keys=2))
    local = local_run(CORPUS, cfg, tmp_path)
    assert local["stories.json"] != local_corpus["stories.json"]  # the static vectors do count
    assert local["facts.jsonl"] == b"" and local["briefs.jsonl"] == b""
    assert local["duplicates.json"] == local_corpus["duplicates.json"]
    work = tmp_path / "work"
    proc = unspun("run", *map(str, CORPUS), "--db", str(tmp_path / "never.db"), "--engine", "spark", "--master",
                  "local[2]", "--work", str(work), "--no-load", *flags, "--json")
    report = json.loads(proc.stdout)
    assert report["work"] == str(work) and report["counts"]["articles"] == 777
    assert not (tmp_path / "never.db").exists()
    proc = unspun("load", str(work), "--db", str(tmp_path / "loaded.db"), "--quiet")
    assert_same(local, exported(tmp_path / "loaded.db", tmp_path / "loaded-export"))
    # A full run into the stories-only store is refused: its articles have no facts.
    refused = unspun("run", str(SEEDS), "--db", str(tmp_path / "loaded.db"), "--no-semantic", "--no-parser",
                     "--quiet", check=False)
    assert refused.returncode == 2 and "briefs: false in the store, true now" in refused.stderr


def test_one_executor_from_the_command_line_matches_local(local_corpus: dict[str, bytes], tmp_path: Path) -> None:
    db = tmp_path / "one.db"
    proc = unspun("run", *map(str, CORPUS), "--db", str(db), "--engine", "spark", "--master", "local[1]",
                  "--no-semantic", "--no-parser", "--quiet", check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "one.db.spark" / "_done" / "stories.json").exists()
    assert_same(local_corpus, exported(db, tmp_path / "one-export"))
    # The same outputs loaded again into another store, from the command line.
    proc = unspun("load", str(tmp_path / "one.db.spark"), "--db", str(tmp_path / "loaded.db"), "--quiet", "--json")
    assert '"new_articles": 777' in proc.stdout
    assert_same(local_corpus, exported(tmp_path / "loaded.db", tmp_path / "loaded-export"))
    # ... and the store it was loaded into records the run's settings (the fast path), not the
    # defaults, so later runs into it are held to them.
    with open_store(str(tmp_path / "loaded.db")) as store:
        assert store.settings() == settings_of(FAST)
    missing = unspun("load", str(tmp_path / "nothing"), "--db", str(tmp_path / "x.db"), check=False)
    assert missing.returncode == 2 and "no finished Spark run" in missing.stderr


def test_a_failed_step_restarts_from_its_inputs(spark: Any, tmp_path: Path) -> None:
    work = tmp_path / "work"
    engine = SparkEngine(SparkOptions(partitions=3, work_dir=str(work)), spark=spark)
    first = engine.run([SEEDS], FAST)
    assert first.ran == ["ingested", "articles", "pairs", "columns", "edges", "components", "links", "groups",
                         "stories"]
    with open_store(str(tmp_path / "a.db")) as store:
        load_outputs(str(work), store, FAST)
    before = exported(tmp_path / "a.db", tmp_path / "a")
    # The edges step died half-way: its marker never written, its folder half full.
    later = ["edges", "components", "links", "groups", "stories"]
    for step in later:
        (work / "_done" / f"{step}.json").unlink()
    shutil.rmtree(work / "stories")
    parts = sorted((work / "edges").rglob("part-*"))
    assert parts
    parts[0].unlink()
    again = engine.run([SEEDS], FAST)
    assert again.skipped == ["ingested", "articles", "pairs", "columns"]
    assert again.ran == later
    # A changed configuration invalidates everything.
    other = engine.run([SEEDS], PipelineConfig(semantic=False, parser=False, cluster=ClusterConfig(threshold=0.5)))
    assert other.skipped == []
    engine.run([SEEDS], FAST)
    with open_store(str(tmp_path / "b.db")) as store:
        load_outputs(str(work), store, FAST)
        assert load_outputs(str(work), store, FAST).new_articles == 0  # loading twice changes nothing
    assert_same(before, exported(tmp_path / "b.db", tmp_path / "b"))


def test_loading_into_a_store_with_other_articles_groups_them_together(
    spark: Any, local_corpus: dict[str, bytes], tmp_path: Path
) -> None:
    """Seeds already stored locally, ECB+ computed on Spark and loaded: the store ends as one
    local run over both."""
    with open_store(str(tmp_path / "mixed.db")) as store:
        run([SEEDS], store, FAST)
        work = tmp_path / "work"
        SparkEngine(SparkOptions(partitions=3, work_dir=str(work)), spark=spark).run([DATA / "ecbplus"], FAST)
        summary = load_outputs(str(work), store, FAST)
        assert summary.new_articles > 700
    got = exported(tmp_path / "mixed.db", tmp_path / "mixed")
    # The skipped gold.json is no error, so the exports agree file for file.
    assert_same(local_corpus, got)


def test_glob_and_file_url_inputs_read_the_same_articles(spark: Any, tmp_path: Path) -> None:
    from unspun.stages.ingest import iter_inputs

    plain = [a.id for a in iter_inputs([SEEDS]) if hasattr(a, "clean_text")]
    globbed = [a.id for a in iter_inputs([str(SEEDS / "00[0-4]_*.txt")]) if hasattr(a, "clean_text")]
    url_items = list(iter_inputs([SEEDS.resolve().as_uri()]))
    url = [a.id for a in url_items if hasattr(a, "clean_text")]
    assert {getattr(a, "source", "") for a in url_items if hasattr(a, "clean_text")} == {
        (SEEDS.resolve() / Path(a.source).name).as_uri() for a in iter_inputs([SEEDS]) if hasattr(a, "clean_text")}
    assert len(plain) == 5
    assert globbed == plain
    assert sorted(url) == sorted(plain)
    missing = list(iter_inputs([str(SEEDS / "*.nothing")]))
    assert len(missing) == 1 and getattr(missing[0], "reason", "") == "unreadable"
    # And on Spark, from the file:// URL.
    work = tmp_path / "work"
    res = SparkEngine(SparkOptions(partitions=2, work_dir=str(work)), spark=spark).run([SEEDS.resolve().as_uri()], FAST)
    assert res.counts["articles"] == 5


@settings(max_examples=60, deadline=None)
@given(raw=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=80))
def test_a_tasks_spanning_forest_keeps_its_components(raw: list[tuple[int, int]]) -> None:
    """Each edges task hands the components step a forest of its pairs at the threshold (every
    node to the least of its component), not the pairs: the components must be the same."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    x = np.array([a for a, _ in raw], dtype=np.int32)
    y = np.array([b for _, b in raw], dtype=np.int32)
    u, v = spanning_forest(x, y)

    def labels(i: np.ndarray, j: np.ndarray) -> list[int]:
        g = coo_matrix((np.ones(len(i)), (i, j)), shape=(41, 41))
        lab = connected_components(g, directed=False)[1]
        return [min(k for k in range(41) if lab[k] == lab[n]) for n in range(41)]

    assert labels(u, v) == labels(x, y)
    assert len(u) == len(set(u.tolist())) and all(v < u)  # one edge a node, towards a smaller one
    assert len(u) <= len(set(x.tolist()) | set(y.tolist()))


# --- a standalone cluster that loses a worker --------------------------------------------------


def test_a_worker_killed_mid_job_changes_nothing(local_corpus: dict[str, bytes], tmp_path: Path) -> None:
    with Standalone(workers=2, cores=1, memory="1g", where=tmp_path / "cluster") as cluster:
        work = tmp_path / "work"
        db = tmp_path / "cluster.db"
        cmd = [sys.executable, "-m", "unspun", "run", *map(str, CORPUS), "--db", str(db), "--engine", "spark",
               "--master", cluster.url, "--partitions", "6", "--work", str(work), "--no-semantic", "--no-parser",
               "--quiet", "--spark-conf", "spark.executor.memory=1g", "--spark-conf", "spark.executor.cores=1",
               "--spark-conf", "spark.driver.host=127.0.0.1"]
        with (tmp_path / "driver.log").open("wb") as log:
            driver = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=cluster.env)
            # Part-way: the inputs are read and the per-article step is running on both workers.
            deadline = time.monotonic() + 300
            while not (work / "_done" / "ingested.json").exists():
                assert driver.poll() is None, (tmp_path / "driver.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the job never got past reading its inputs"
                time.sleep(0.2)
            status = cluster.kill(2)
            killed_before_end = not (work / "_done" / "stories.json").exists()
            rc = driver.wait(timeout=540)
        assert rc == 0, (tmp_path / "driver.log").read_text()[-3000:]
        assert killed_before_end
        assert status == -signal.SIGKILL
    assert_same(local_corpus, exported(db, tmp_path / "cluster-export"))
