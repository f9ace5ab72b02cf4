"""Engines decide where the stage code runs; :mod:`unspun.steps` decides what it does.

``local`` (:class:`LocalEngine`) streams articles through this process into the store, one
transaction each.  A *batch* engine (:class:`BatchEngine`; the Spark engine in
:mod:`unspun.engines.spark`, imported only when asked for, as it needs PySpark) takes the whole
corpus at once and leaves its results as Parquet steps that
:func:`unspun.pipeline.load_outputs` puts into a store.  Both run the same functions on the
same records, so the store ends the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..steps import PipelineConfig
from .local import LocalEngine

__all__ = ["BatchEngine", "BatchResult", "LocalEngine"]


class BatchResult(Protocol):
    @property
    def work_dir(self) -> str: ...


@runtime_checkable
class BatchEngine(Protocol):
    name: str

    def run(self, paths: Sequence[str | Path], cfg: PipelineConfig) -> BatchResult: ...
