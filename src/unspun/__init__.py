"""unspun: from a pile of scraped news to stories, provenance, cross-checked facts and cited briefs.

Public API: the records, the pipeline entry point and the store opener.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import UnspunError
from .pipeline import PipelineConfig, RunSummary, run
from .records import (
    Article,
    Brief,
    Derivation,
    DuplicateLink,
    Fact,
    FactCheck,
    InputError,
    Removal,
    Span,
    Story,
)
from .storage import Store, open_store

__all__ = [
    "Article", "Brief", "Derivation", "DuplicateLink", "Fact", "FactCheck", "InputError", "PipelineConfig",
    "Removal", "RunSummary", "Span", "Store", "Story", "UnspunError", "__version__", "open_store", "run",
]
