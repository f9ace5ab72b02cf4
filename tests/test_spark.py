"""The Spark engine against the local one: same exports byte for byte, whatever the partition
count, executor count or interruptions.  One ``local[2]`` session serves the in-process tests;
the cluster test starts a real standalone master and two workers on 127.0.0.1 and kills one."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, SEEDS, unspun
from unspun.engines.spark import SparkEngine, SparkOptions
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
    # files 84).  Spark's group-by count and its purge give the local engine's stories.
    cfg = replace(FAST, cluster=replace(FAST.cluster, min_shared_keys=2, max_block=40))
    local = local_run(CORPUS, cfg, tmp_path)
    assert local["stories.json"] != local_corpus["stories.json"]  # the settings do bind
    assert_same(local, spark_run(spark, CORPUS, cfg, tmp_path, 3))


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
    assert first.ran == ["ingested", "articles", "pairs", "edges", "components", "stories"]
    with open_store(str(tmp_path / "a.db")) as store:
        load_outputs(str(work), store, FAST)
    before = exported(tmp_path / "a.db", tmp_path / "a")
    # The edges step died half-way: its marker never written, its folder half full.
    for step in ("edges", "components", "stories"):
        (work / "_done" / f"{step}.json").unlink()
    shutil.rmtree(work / "stories")
    parts = sorted((work / "edges").glob("part-*"))
    assert parts
    parts[0].unlink()
    again = engine.run([SEEDS], FAST)
    assert again.skipped == ["ingested", "articles", "pairs"]
    assert again.ran == ["edges", "components", "stories"]
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


# --- a standalone cluster that loses a worker --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_home() -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent)


def _daemon(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [str(Path(_spark_home()) / "bin" / "spark-class"), *args]
    with log.open("wb") as fh:
        # Its own process group: killing it takes the worker's executor down with it.
        return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _wait_for(path: Path, text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared in {path}:\n{path.read_text(errors='replace')[-3000:]}")


def test_a_worker_killed_mid_job_changes_nothing(local_corpus: dict[str, bytes], tmp_path: Path) -> None:
    env = {**os.environ, "SPARK_HOME": _spark_home(), "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
           "SPARK_NO_DAEMONIZE": "1"}
    port = _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    daemons = [_daemon(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                        "--webui-port", str(_free_port())], tmp_path / "master.log", env)]
    try:
        _wait_for(tmp_path / "master.log", "I have been elected leader", 120)
        for n in (1, 2):
            (tmp_path / f"w{n}").mkdir()
            daemons.append(_daemon(["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                                    "--memory", "1g", "--work-dir", str(tmp_path / f"w{n}"),
                                    "--webui-port", str(_free_port()), master_url], tmp_path / f"worker{n}.log", env))
        for n in (1, 2):
            _wait_for(tmp_path / f"worker{n}.log", "Successfully registered with master", 120)
        work = tmp_path / "work"
        db = tmp_path / "cluster.db"
        cmd = [sys.executable, "-m", "unspun", "run", *map(str, CORPUS), "--db", str(db), "--engine", "spark",
               "--master", master_url, "--partitions", "6", "--work", str(work), "--no-semantic", "--no-parser",
               "--quiet", "--spark-conf", "spark.executor.memory=1g", "--spark-conf", "spark.executor.cores=1",
               "--spark-conf", "spark.driver.host=127.0.0.1"]
        with (tmp_path / "driver.log").open("wb") as log:
            driver = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
            # Part-way: the inputs are read and the per-article step is running on both workers.
            deadline = time.monotonic() + 300
            while not (work / "_done" / "ingested.json").exists():
                assert driver.poll() is None, (tmp_path / "driver.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the job never got past reading its inputs"
                time.sleep(0.2)
            os.killpg(daemons[2].pid, signal.SIGKILL)
            killed_before_end = not (work / "_done" / "stories.json").exists()
            rc = driver.wait(timeout=540)
        assert rc == 0, (tmp_path / "driver.log").read_text()[-3000:]
        assert killed_before_end
        assert daemons[2].wait(timeout=10) == -signal.SIGKILL
        assert_same(local_corpus, exported(db, tmp_path / "cluster-export"))
    finally:
        for d in daemons:
            if d.poll() is None:
                os.killpg(d.pid, signal.SIGKILL)
                d.wait(timeout=30)
