"""Citation check: does a summary sentence say only what its cited passages say?

There is no entailment model to run offline (none ships on PyPI), so the check is a set of
tests a careful editor applies by eye, each one able to fail:

* **words** -- at least ``min_recall`` of the sentence's content words occur in the cited
  text.  0.8 tolerates the few words a compression rewrites (a dropped "However," changes
  nothing; a changed actor or action costs more than a fifth of a short sentence's words);
* **numbers** -- every number in the sentence occurs in the cited text, as digits or in
  words the same way (a drifted figure is the commonest unsupported claim in copied news);
* **negation** -- a sentence that negates ("not", "never", "no", "n't") needs a cited passage
  with as many negations: adding one flips the claim while keeping every word.

The core is pure; the brief stage calls it for every summary sentence and keeps the verdict
and the reasons with the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..textutil import content_tokens, words

__all__ = ["Verdict", "check", "compress"]

_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NEGATION = {"not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without"}
_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{2,40}(?:\s*\([^)]{1,40}\))?\s*[-—–]+\s*")
_CONNECTIVE = re.compile(r"^(?:However|Meanwhile|Moreover|Furthermore|In addition|Additionally|Also|But|And|Still|"
                         r"Nevertheless|Separately|Yet),\s+")


@dataclass(frozen=True, slots=True)
class Verdict:
    support: float  # share of the sentence's content words found in the cited text
    supported: bool
    problems: tuple[str, ...]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _negations(text: str) -> int:
    return sum(t in _NEGATION or t.endswith("n't") for t in words(text))


def check(sentence: str, cited: Sequence[str], min_recall: float = 0.8) -> Verdict:
    pool_text = " ".join(cited)
    toks = set(content_tokens(sentence))
    pool = set(content_tokens(pool_text))
    recall = len(toks & pool) / len(toks) if toks else 1.0
    problems = []
    if recall < min_recall:
        missing = sorted(toks - pool)
        problems.append(f"words not in the cited text: {', '.join(missing[:8])}")
    stray = sorted(_numbers(sentence) - _numbers(pool_text))
    if stray:
        problems.append(f"numbers not in the cited text: {', '.join(stray)}")
    # Counted per passage, and only in passages that carry the claim (half its words or more):
    # a backer that negates something else must not vouch for an added "not".
    negs = _negations(sentence)
    carriers = [c for c in cited if toks and len(toks & set(content_tokens(c))) >= 0.5 * len(toks)] or list(cited)
    if negs and all(_negations(c) < negs for c in carriers):
        problems.append("negation not in the cited text")
    if not cited:
        problems.append("no citation")
    return Verdict(round(recall, 4), not problems, tuple(problems))


def compress(sentence: str) -> str:
    """A summary line from a source sentence: its dateline ("WASHINGTON (Reuters) -") and a
    leading connective ("However,") dropped, since they point outside the summary."""
    out = _DATELINE.sub("", sentence.strip())
    out = _CONNECTIVE.sub("", out)
    return out[:1].upper() + out[1:] if out else sentence.strip()
