"""The static encoder's own word splitting gives the tokenizer's ids and the library's vectors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from conftest import DATA, SEEDS
from unspun.models import static_encoder
from unspun.wordpieces import FAST_CHARS


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    enc = static_encoder()
    if enc is None:
        pytest.fail("the static encoder must load offline (model2vec and the bundled MiniLM are dependencies)")
    assert enc._pieces is not None, "the distilled model is BERT WordPiece: the fast splitter must apply"
    return enc


def _library_ids(enc, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    model = enc._model
    model._set_max_length_in_tokenizer(512)
    return list(model.tokenize([text[: 512 * model.median_token_length]])[0])


def test_every_fast_character_splits_as_the_tokenizer_splits(encoder) -> None:  # type: ignore[no-untyped-def]
    """Each character the splitter takes on, beside letters of three scripts, twice in a row,
    alone and at a word's edge: the same WordPiece ids as the Hugging Face tokenizer."""
    assert len(FAST_CHARS) > 600
    for c in FAST_CHARS:
        for probe in (f"a{c}b", c, f"X{c}{c}Y z{c} {c}9", f"É{c}ü", f"Ж{c}и"):
            assert encoder._pieces.ids(probe) == _library_ids(encoder, probe), (hex(ord(c)), probe)
    # Characters it leaves to the tokenizer: ideographs, Arabic, emoji, a zero-width space,
    # combining marks, and a literal special token.
    for text in ("北京", "مرحبا", "ok 👍", "a\u200bb", "e\u0301", "see [UNK] here"):
        assert encoder._pieces.ids(text) is None


def test_real_articles_encode_to_the_librarys_vectors(encoder) -> None:  # type: ignore[no-untyped-def]
    """Openings of real articles in every SemEval language, ECB+ and the seeds: the same ids,
    and the same vectors bit for bit, through the splitter or through the library; most of
    them take the splitter."""
    texts = [p.read_text(encoding="utf-8")[:2100] for p in sorted(SEEDS.glob("*.txt"))]
    with (DATA / "semeval2022-t8/pairs-dev.csv").open(encoding="utf-8", newline="") as fh:
        for row in list(csv.DictReader(fh))[::4]:
            texts += [row["text1"][:2100], row["text2"][:2100]]
    with (DATA / "ecbplus/ecbplus-topics-1-35.jsonl").open(encoding="utf-8") as fh:
        texts += [json.loads(line)["text"][:2100] for line in list(fh)[::3]]
    fast = [t for t in texts if encoder._pieces.ids(t[:3072]) is not None]
    assert len(fast) > 0.7 * len(texts) and len(texts) - len(fast) > 20  # both paths taken
    for t in texts:
        got = encoder._pieces.ids(t[:3072])
        if got is not None:
            assert got == _library_ids(encoder, t)
    split = [encoder.encode([t]) for t in texts]
    pieces, encoder._pieces = encoder._pieces, None
    try:
        library = [encoder.encode([t]) for t in texts]
    finally:
        encoder._pieces = pieces
    assert all(np.array_equal(a, b) for a, b in zip(split, library, strict=True))
