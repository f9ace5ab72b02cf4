"""Engines run the per-article stage code over a corpus.  ``local`` runs in this process;
a distributed engine (Spark) comes with its issue and calls the same stage functions."""

from __future__ import annotations

from .local import LocalEngine

__all__ = ["LocalEngine"]
