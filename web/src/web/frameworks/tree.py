"""Pure helpers on a version's item tree (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable

from collective_clients.framework.models import ItemNode


def filter_by_audience(nodes: Iterable[ItemNode], audience: str | None) -> list[ItemNode]:
    """Items for `audience`, with the ancestors that lead to them (shown for context).
    No audience: the tree as it is."""
    if not audience:
        return list(nodes)
    kept = []
    for node in nodes:
        children = filter_by_audience(node.children, audience)
        if node.audience == audience or children:
            kept.append(node.model_copy(update={"children": children}))
    return kept


def count_items(nodes: Iterable[ItemNode]) -> int:
    return sum(1 + count_items(node.children) for node in nodes)


def item_types(nodes: Iterable[ItemNode]) -> list[str]:
    """The item types present, in the order first met."""
    seen: dict[str, None] = {}

    def walk(items: Iterable[ItemNode]) -> None:
        for node in items:
            seen.setdefault(node.type, None)
            walk(node.children)

    walk(nodes)
    return list(seen)
