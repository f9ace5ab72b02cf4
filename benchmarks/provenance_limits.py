"""Where parent accuracy on the synthetic derivation set is lost, and what the copies' words allow.

SYNTHETIC: the stories are those of ``unspun eval provenance`` (copies made by
:mod:`unspun.evaluation.derivation` from real ECB+ and SemEval articles), drawn with each seed.

    .venv/bin/python benchmarks/provenance_limits.py [--data ../shared/data] [--seeds 13,14,15,16,17]

It prints three tables:

1. **misses by kind**: a copy hung under a sibling (another copy of its parent), under its
   parent's parent, under its own copy, under an unrelated article, or under nothing;
2. **the root**: how many misses fall in families whose original is the tree's root.  Even
   if every family with a wrong root came out entirely right, accuracy could not pass
   ``1 - (misses under a right root) / copies``;
3. **what the words say, given the true lineage** (content words, within the sentences one
   copy carries from the other, as the tree's forgetting cost reads them):

   * a copy of a copy that carries none of its parent's new words (those the original lacks),
     because the parent made none in the passages it kept: its words cannot tell it from a
     second copy of the original;
   * two copies of one article, one of which carries every new word the other brought in
     where it takes its sentences (the spinners picked the same synonyms): its words read as
     the other's copy.

   Both are decided on other evidence (dates, order, dropped passages, leftovers) or not at all.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from unspun.evaluation.derivation import SyntheticStory, ecbplus_stories, semeval_stories
from unspun.evaluation.provenance import DEFAULT_DATA
from unspun.models import Encoder, sentence_encoder
from unspun.stages import provenance
from unspun.stages.align import Doc, align, prepare

ROOT = Path(__file__).resolve().parents[1]


def stories(data: Path, seeds: list[int], limit: int | None) -> Iterator[tuple[str, SyntheticStory]]:
    for seed in seeds:
        for s in itertools.islice(ecbplus_stories(data / DEFAULT_DATA["ecbplus"], seed=seed), limit):
            yield "ECB+ 1-35", s
        for s in semeval_stories(data / DEFAULT_DATA["semeval"], seed=seed, limit=limit):
            yield "SemEval-22 en-en", s


def miss_kind(x: str, got: str | None, truth: dict[str, str | None]) -> str:
    """What ``got``, the parent found for the copy ``x``, is to ``x`` in truth."""
    t = truth[x]
    if got is None:
        return "under nothing (unlinked, or made a root)"
    if truth.get(got) == t:
        return "under a sibling"
    if got == truth.get(t):  # type: ignore[arg-type]
        return "under its parent's parent"
    if truth.get(got) == x:
        return "under its own copy"
    if got not in truth or truth.get(got) is None:
        return "under an unrelated article"
    return "other"


def new_words(docs: dict[str, Doc], origin: str, parent: str, copy: str) -> tuple[int, int]:
    """(new words of ``parent`` against ``origin`` in the sentences ``copy`` carries from it,
    how many of them ``copy`` lacks)."""
    old = frozenset().union(*(s.terms for s in docs[origin].sentences))
    al = align(docs[copy], docs[parent])
    new = lacked = 0
    for m in al.matches:
        fresh = {w for w in al.b.sentences[m.j].terms if w.isalpha()} - old
        new += len(fresh)
        lacked += len(fresh - al.a.sentences[m.i].terms)
    return new, lacked


def measure(story: SyntheticStory, encoder: Encoder | None) -> tuple[Counter[str], Counter[str]]:
    arts = [c.article for c in story.cases]
    truth = {c.article.id: c.parent for c in story.cases}
    derivations, _ = provenance.trace_story(arts, None, encoder)
    parent = {d.copy_id: d.origin_id for d in derivations if d.relation == "derived"}
    counts: Counter[str] = Counter()
    for x, t in truth.items():
        if t is None:
            continue
        counts["copies"] += 1
        got = parent.get(x)
        if got == t:
            continue
        counts["misses"] += 1
        counts["miss: " + miss_kind(x, got, truth)] += 1
        top = t
        while truth.get(top) is not None:
            top = truth[top]  # type: ignore[assignment]
        counts["misses under a right root" if top not in parent else "misses under a wrong root"] += 1
    # Only the synthetic families are aligned again: distractors take no part in these counts.
    docs = {a.id: prepare(a, encoder) for a in arts if truth[a.id] is not None or a.id in truth.values()}
    words: Counter[str] = Counter()
    for x, t in truth.items():
        if t is None:
            continue
        o = truth[t]
        if o is not None:  # x is a copy of a copy
            new, _ = new_words(docs, o, t, x)
            words["copies of copies"] += 1
            words["... carrying none of their parent's new words"] += new == 0
            continue
        for y, ty in truth.items():  # y: another copy of the original x copies
            if ty == t and y != x:
                new, lacked = new_words(docs, t, y, x)
                words["ordered pairs of copies of one original"] += 1
                words["... one carrying every new word of the other"] += new > 0 and lacked == 0
    return counts, words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--seeds", default="13,14,15,16,17")
    ap.add_argument("--limit", type=int, default=None, help="stories per data set and seed (for a quick look)")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    encoder = sentence_encoder()
    t0 = time.perf_counter()
    counts: dict[str, Counter[str]] = {}
    words: dict[str, Counter[str]] = {}
    for label, story in stories(args.data, seeds, args.limit):
        c, w = measure(story, encoder)
        counts.setdefault(label, Counter()).update(c)
        words.setdefault(label, Counter()).update(w)
    print(f"SYNTHETIC derivation set, generator seeds {args.seeds} ({time.perf_counter() - t0:.0f} s)\n")
    labels = list(counts)
    print("| | " + " | ".join(labels) + " |\n|---|" + "---:|" * len(labels))
    kinds = sorted({k for c in counts.values() for k in c if k.startswith("miss: ")})
    keys = ["copies", "misses", *kinds, "misses under a right root", "misses under a wrong root"]
    for k in keys:
        print(f"| {k} | " + " | ".join(str(counts[lab][k]) for lab in labels) + " |")
    print("| parent accuracy | " + " | ".join(f"{1 - counts[lab]['misses'] / counts[lab]['copies']:.4f}" for lab in labels) + " |")
    print("| ... at most, with every wrong-root family right | "
          + " | ".join(f"{1 - counts[lab]['misses under a right root'] / counts[lab]['copies']:.4f}" for lab in labels) + " |")
    print("\nGiven the true lineage, what the words say\n")
    print("| | " + " | ".join(labels) + " |\n|---|" + "---:|" * len(labels))
    for k in ("copies of copies", "... carrying none of their parent's new words",
              "ordered pairs of copies of one original", "... one carrying every new word of the other"):
        print(f"| {k} | " + " | ".join(str(words[lab][k]) for lab in labels) + " |")


if __name__ == "__main__":
    main()
