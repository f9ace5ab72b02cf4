"""Copy trees: who copied whom inside one family of linked articles, as a tree of parents.

Pure graph code over article ids; :mod:`.provenance` builds the edge costs from the text.

* :func:`arborescence` finds the cheapest tree for costs that sit on single edges
  (Chu-Liu/Edmonds).
* :func:`regraft` then improves it under a cost no single edge can carry: a copy that has
  words of its parent's ancestors which the parent itself lacks would have lost them and
  found them again.  Copies do not put back what their source cut, so such a tree is the
  wrong one: two copies of one original hung one under the other (the lower one has the
  original's words that the upper one changed), or a copy of a copy hung under its sibling.
"""

from __future__ import annotations

from collections.abc import Mapping

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
              regain: float, root: str) -> float:
    """Sum of the tree's edge costs, plus ``regain`` times the share of each article's words
    that its parent lacks but an ancestor above the parent has (words found again)."""
    total = 0.0
    for c, p in sorted(tree.items()):
        total += edges[(p, c)]
        above = [a for a in ancestors(tree, p) if a != root] if p != root else []
        if regain and above and words[c]:
            back = (words[c] - words[p]) & frozenset().union(*(words[a] for a in above))
            total += regain * len(back) / len(words[c])
    return round(total, 9)


def regraft(tree: dict[str, str], edges: Edges, words: Mapping[str, frozenset[str]],
            regain: float, root: str) -> dict[str, str]:
    """``tree`` improved one move at a time under :func:`tree_cost`, until no move helps.

    A move hangs one article (with everything below it) under another article it has an
    edge from, or makes it the root and hangs the old root under one of its descendants.
    Articles and options are tried in sorted order and the first move that lowers the cost is
    taken, so the same graph always gives the same tree.  Families are a handful of articles;
    each move lowers the cost, so the walk ends.
    """
    into: dict[str, list[str]] = {}
    for u, v in sorted(edges):
        if u != root:
            into.setdefault(v, []).append(u)
    best = tree_cost(tree, edges, words, regain, root)
    moved = True
    while moved:
        moved = False
        for c in sorted(tree):
            if tree[c] == root:
                continue
            below = {x for x in tree if c in ancestors(tree, x)} | {c}
            top = next(x for x in sorted(tree) if tree[x] == root)
            options = [{**tree, c: q} for q in into.get(c, []) if q != tree[c] and q not in below]
            options += [{**tree, c: root, top: q} for q in sorted(below) if (q, top) in edges]
            for option in options:
                cost = tree_cost(option, edges, words, regain, root)
                if cost < best - 1e-9:
                    tree, best, moved = option, cost, True
                    break
    return tree
