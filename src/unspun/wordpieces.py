"""BERT's word splitting done in Python for common scripts, each distinct word tokenized once.

The static encoder (a model2vec distillation of MiniLM, see :mod:`unspun.models`) spends most
of its time in the Hugging Face tokenizer: Unicode normalization and pre-tokenization of every
article's opening, then WordPiece on each word -- the same few hundred thousand words again
and again across a corpus.  For texts written only in characters whose BERT treatment is
simple (ASCII, Latin-1, Latin Extended-A, Cyrillic, common punctuation and spaces), this does
the same steps the tokenizer's ``BertNormalizer`` and ``BertPreTokenizer`` do -- drop control
characters, decompose and drop non-spacing marks, lowercase, split on whitespace and around
punctuation -- with C-level string methods and one regular expression, and remembers each
word's WordPiece ids.  Any other text (CJK, Arabic, emoji, control characters, a literal
special token) goes to the tokenizer itself.  The ids are the tokenizer's, which
``tests/test_models.py`` checks character by character over every character of the set and
on real articles in every benchmark language; only the speed differs (about six times faster
on such texts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = ["FAST_CHARS", "WordPieces"]

# Blocks whose characters are all handled here, less those the normalizer deletes (control,
# format, unassigned, private use): ASCII, Latin-1 Supplement, Latin Extended-A, Cyrillic,
# General Punctuation, the euro sign.
_BLOCKS = ((0x20, 0x7E), (0xA0, 0xFF), (0x100, 0x17F), (0x400, 0x4FF), (0x2000, 0x205E), (0x20AC, 0x20AC))


def _chars() -> tuple[str, str, str]:
    safe, punct, space = ["\t", "\n", "\r"], [], ["\t", "\n", "\r"]
    for lo, hi in _BLOCKS:
        for code in range(lo, hi + 1):
            c = chr(code)
            cat = unicodedata.category(c)
            if cat[0] == "C":
                continue  # the normalizer removes these (and keeps no space in their place)
            safe.append(c)
            if c.isspace():
                space.append(c)
            # BERT's punctuation: every ASCII non-alphanumeric symbol, and Unicode's P* classes.
            elif cat[0] == "P" or (code < 0x80 and not c.isalnum()):
                punct.append(c)
    return "".join(safe), "".join(punct), "".join(space)


FAST_CHARS, _PUNCT, _SPACE = _chars()
_UNSAFE = re.compile(f"[^{re.escape(FAST_CHARS)}]")
_WORDS = re.compile(f"[^{re.escape(_PUNCT + _SPACE)}]+|[{re.escape(_PUNCT)}]")
# Non-spacing marks of the decomposed letters of these blocks.
_MARKS = re.compile("[" + "".join(chr(c) for c in range(0x300, 0x370)) + "\u0483-\u0487]")


class WordPieces:
    """WordPiece ids of texts as ``tokenizer`` gives them (no special tokens, at most
    ``max_tokens``, unknown pieces dropped as model2vec drops them), or None for a text this
    cannot split itself."""

    def __init__(self, tokenizer: Any, max_tokens: int, unk_id: int | None, memo_limit: int = 1_000_000) -> None:
        self._model = tokenizer.model
        self._special = [t.content for t in tokenizer.get_added_tokens_decoder().values()]
        self.max_tokens, self.unk_id, self.memo_limit = max_tokens, unk_id, memo_limit
        self._memo: dict[str, tuple[int, ...]] = {}

    def ids(self, text: str) -> list[int] | None:
        if _UNSAFE.search(text) or any(s in text for s in self._special):
            return None
        if text.isascii():
            norm = text.lower()
        else:
            # The normalizer's order: decompose, drop the marks, then lowercase.
            norm = _MARKS.sub("", unicodedata.normalize("NFD", text)).lower()
        out: list[int] = []
        for word in _WORDS.findall(norm):
            got = self._memo.get(word)
            if got is None:
                if len(self._memo) >= self.memo_limit:
                    self._memo.clear()
                # A tuple, not a list: a tuple of ints leaves the garbage collector's lists, and a
                # million memoized lists made full collections cost 0.2-0.4 ms an article.
                got = self._memo[word] = tuple(t.id for t in self._model.tokenize(word))
            out.extend(got)
            if len(out) >= self.max_tokens:
                break
        out = out[: self.max_tokens]
        return [i for i in out if i != self.unk_id] if self.unk_id is not None else out

    def all_ids(self, texts: Iterable[str]) -> list[list[int] | None]:
        return [self.ids(t) for t in texts]
