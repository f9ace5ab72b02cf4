"""Shared fixtures.  Test data is read at run time from ../shared (seeds and labelled
datasets); nothing of it is copied into the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pgserver import PostgresServer
from unspun.records import Article
from unspun.stages.clean import clean_article
from unspun.stages.ingest import iter_inputs

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("UNSPUN_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
EXAMPLES = ROOT / "examples" / "fictional-news"

if not (SEEDS / "gold.json").exists():
    raise RuntimeError(f"the shared test data is missing: expected {SEEDS} (set UNSPUN_SHARED)")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session; ``postgres.new_database()`` gives each test its own."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One ``local[2]`` Spark session for the whole run (UI off), shared by the Spark tests."""
    from unspun.engines.spark import SparkEngine, SparkOptions

    session = SparkEngine(SparkOptions(master="local[2]", conf=(("spark.sql.shuffle.partitions", "4"),))).session()
    yield session
    session.stop()


@pytest.fixture(scope="session")
def gold() -> dict[str, Any]:
    return json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_articles() -> dict[str, Article]:
    """The five seeds, ingested and cleaned, keyed by file name."""
    out = {}
    for item in iter_inputs([SEEDS]):
        if isinstance(item, Article):
            out[Path(item.source).name] = clean_article(item)
    return out


def unspun(*args: str, cwd: Path | None = None, check: bool = True,
           env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env_extra or {})}
    proc = subprocess.run([sys.executable, "-m", "unspun", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"unspun {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1
