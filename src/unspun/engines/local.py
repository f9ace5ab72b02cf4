"""The local engine: per-article work in this process, in input order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["LocalEngine"]

A = TypeVar("A")
B = TypeVar("B")


class LocalEngine:
    """Maps a function over items lazily, so results are stored as they are made and a run
    killed part-way keeps everything finished before the kill."""

    name = "local"

    def map(self, fn: Callable[[A], B], items: Iterable[A]) -> Iterator[B]:
        for item in items:
            yield fn(item)
