"""Copy trees: who copied whom inside one family of linked articles, as a tree of parents.

Pure graph code over article ids; :mod:`.provenance` builds the edge costs from the text.

* :func:`arborescence` finds the cheapest tree for costs that sit on single edges
  (Chu-Liu/Edmonds).
* :func:`regraft` then improves it under a cost no single edge can carry: a copy that has
  words of its parent's ancestors which the parent itself lacks would have lost them and
  found them again.  Copies do not put back what their source cut, so such a tree is the
  wrong one: two copies of one original hung one under the other (the lower one has the
  original's words that the upper one changed), or a copy of a copy hung under its sibling.
  Given the sentences each copy carries from each other article, it also charges a copy that
  drops its parent's own new wording more often than the parent's other words
  (:func:`_forgotten`): that is a sibling of the parent, not its copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["ancestors", "arborescence", "regraft", "tree_cost"]

Edges = Mapping[tuple[str, str], float]


def arborescence(edges: Mapping[tuple[str, str], float], root: str) -> dict[str, str]:
    """Cheapest set of edges giving every node one parent, all reachable from ``root``
    (Chu-Liu/Edmonds): each node takes its cheapest incoming edge; a cycle among those choices
    is contracted to one node, whose incoming edges cost what they would save, and solved again.
    Ties break by node names, so the same graph always gives the same tree."""
    best: dict[str, str] = {}
    for (u, v), w in sorted(edges.items()):
        if v != root and u != v and (v not in best or w < edges[(best[v], v)]):
            best[v] = u
    cycle: list[str] = []
    for start in sorted(best):
        path, x = [start], best[start]
        while x in best and x not in path:
            path.append(x)
            x = best[x]
        if x in path:
            cycle = path[path.index(x):]
            break
    if not cycle:
        return best
    ring = set(cycle)
    merged = "\x00" + min(cycle)  # a name no article id has
    inner: dict[tuple[str, str], float] = {}
    came_from: dict[tuple[str, str], tuple[str, str]] = {}
    for (u, v), w in sorted(edges.items()):
        if u in ring and v in ring:
            continue
        key = (merged if u in ring else u, merged if v in ring else v)
        cost = w - edges[(best[v], v)] if v in ring else w
        if key not in inner or cost < inner[key]:
            inner[key] = cost
            came_from[key] = (u, v)
    solved = arborescence(inner, root)
    out = {v: best[v] for v in cycle}
    for v, u in solved.items():
        orig_u, orig_v = came_from[(u, v)]
        out[orig_v] = orig_u
    return out


def ancestors(parent: Mapping[str, str], x: str) -> list[str]:
    """``x``'s parent, grandparent and so on up to its root."""
    out: list[str] = []
    while x in parent and parent[x] not in out:  # a tree: the guard only bounds the walk
        x = parent[x]
        out.append(x)
    return out


def tree_cost(tree: Mapping[str, str], edges: Edges, words: Mapping[str, frozenset[str]],
              regain: float, root: str, forget: float = 0.0, carried: Carried | None = None) -> float:
    """Sum of the tree's edge costs, plus ``regain`` times the share of each article's words
    that its parent lacks but an ancestor above the parent has (words found again), plus
    ``forget`` times how much more of its parent's own new words it lacks than of the parent's
    words at large (see :func:`_forgotten`)."""
    return round(_cost(tree, sorted(tree), edges, words, regain, root, {}, forget, carried), 9)


# Sentence pairs a child carries from a would-be parent: (the parent's sentence's words, the
# child's sentence's words), for each edge (parent, child).  Figures are best left out of the
# parent's side: copies change them again, so a figure a child lacks says nothing.
Carried = Mapping[tuple[str, str], Sequence[tuple[frozenset[str], frozenset[str]]]]

# A parent's new words (those no ancestor of it has) in the passages a child carries must
# number this many before the share of them the child lacks says anything.
_MIN_NEW = 3


def _forgotten(pairs: Sequence[tuple[frozenset[str], frozenset[str]]], lineage: frozenset[str]) -> float:
    """How much more of the words a parent brought in (has, its ancestors lack) a child lacks
    than of the parent's other words, over the sentences the child carries from it.

    A copy keeps its source's wording wherever it keeps the passage: a spinner rewriting a
    copy leaves the first spinner's synonyms in place, so a copy of a copy carries its
    parent's new words as often as its other words.  A sibling (another copy of the same
    original) carries them only where its own spinner happened to pick the same synonym.
    Counted within aligned sentences, so cut passages and condensed clauses lose new words
    and old ones alike; only the excess counts.
    """
    new = old = new_lost = old_lost = 0
    for mine, theirs in pairs:
        fresh = mine - lineage
        new += len(fresh)
        new_lost += len(fresh - theirs)
        old += len(mine) - len(fresh)
        old_lost += len((mine - fresh) - theirs)
    if new < _MIN_NEW or not old:
        return 0.0
    return max(0.0, new_lost / new - old_lost / old)


def _cost(tree: Mapping[str, str], nodes: list[str], edges: Edges, words: Mapping[str, frozenset[str]],
          regain: float, root: str, above: dict[str, frozenset[str]], forget: float = 0.0,
          carried: Carried | None = None) -> float:
    """The cost terms of ``nodes`` (each after its parent, or in any order with ``above``
    empty): ``above`` memoizes the words of each article's ancestors, root left out."""

    def lineage(x: str) -> frozenset[str]:
        if x not in above:
            p = tree.get(x, root)
            above[x] = frozenset() if p == root else lineage(p) | words[p]
        return above[x]

    total = 0.0
    for c in nodes:
        p = tree[c]
        total += edges[(p, c)]
        if regain and p != root and words[c]:
            total += regain * len((words[c] - words[p]) & lineage(p)) / len(words[c])
        if carried and p != root and lineage(p):
            total += forget * _forgotten(carried.get((p, c), ()), lineage(p))
    return total


# Parents tried for an article: its cheapest incoming edges.  A family is mostly a handful of
# articles, where that is every edge; a wire story reprinted by a hundred sites would otherwise
# try every article under every other, each try costing the whole subtree.
_CANDIDATES = 8


def regraft(tree: dict[str, str], edges: Edges, words: Mapping[str, frozenset[str]],
            regain: float, root: str, forget: float = 0.0, carried: Carried | None = None) -> dict[str, str]:
    """``tree`` improved one move at a time under :func:`tree_cost`, until no move helps.

    A move hangs one article (with everything below it) under another article it has one of
    its cheapest edges from, or makes it the root and hangs the old root under one of its
    descendants.  Articles and options are tried in sorted order and the first move that
    lowers the cost is taken, so the same graph always gives the same tree.  A move under a
    new parent changes the cost of the moved subtree only, so only that is summed again.
    Each move lowers the cost, so the walk ends.
    """
    by_cost: dict[str, list[tuple[float, str]]] = {}
    for (u, v), w in edges.items():
        if u != root:
            by_cost.setdefault(v, []).append((w, u))
    into = {v: sorted(u for _, u in sorted(us)[:_CANDIDATES]) for v, us in by_cost.items()}
    moved = True
    while moved:
        moved = False
        for c in sorted(tree):
            if tree[c] == root:
                continue
            children: dict[str, list[str]] = {}
            for x, p in sorted(tree.items()):
                children.setdefault(p, []).append(x)
            below = [c]  # c's subtree, each article after its parent
            for x in below:
                below.extend(children.get(x, []))
            inside = set(below)
            memo: dict[str, frozenset[str]] = {}
            now = _cost(tree, below, edges, words, regain, root, memo, forget, carried)
            for q in into.get(c, []):
                if q != tree[c] and q not in inside:
                    option = {**tree, c: q}
                    # Outside the subtree nothing changes: reuse their ancestors' words.
                    keep = {x: w for x, w in memo.items() if x not in inside}
                    if _cost(option, below, edges, words, regain, root, keep, forget, carried) < now - 1e-9:
                        tree, moved = option, True
                        break
            else:
                top = next(x for x in sorted(tree) if tree[x] == root)
                best = tree_cost(tree, edges, words, regain, root, forget, carried)
                for q in sorted(inside & set(into.get(top, []))):
                    option = {**tree, c: root, top: q}
                    if tree_cost(option, edges, words, regain, root, forget, carried) < best - 1e-9:
                        tree, moved = option, True
                        break
    return tree
