"""What stops a draft framework version from being published.

`publication_problems` lists every reason at once, so an editor can fix them all in one pass.
The checks are pure: they read a `VersionContent` and never touch the database.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from framework_api.frameworks.content import (
    ASSESSABLE_TYPES,
    ROOT_TYPES,
    AssociationType,
    ItemContent,
    ItemType,
    VersionContent,
)

# The problem codes, in the order the problems are listed.
PROBLEM_CODES: tuple[str, ...] = (
    "missing-change-note",
    "missing-scale",
    "threshold-level",
    "missing-descriptor",
    "unknown-level-descriptor",
    "orphaned-item",
    "dangling-association",
    "cycle",
    "duplicate-code",
    "empty-statement",
    "root-has-parent",
)


@dataclass(frozen=True)
class PublicationProblem:
    code: str
    message: str
    item: uuid.UUID | None = None
    level: str | None = None


def type_label(item_type: ItemType | str) -> str:
    """The label an editor reads: 'cultural_characteristic' -> 'Cultural Characteristic'."""
    return str(item_type).replace("_", " ").title()


def describe_item(item: ItemContent) -> str:
    """'Capability C1.AS.1', or the statement when the code is blank."""
    if item.code.strip():
        return f"{type_label(item.type)} {item.code}"
    return f"{type_label(item.type)} '{item.statement.strip() or item.identifier}' (no code)"


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _by_code(items: Iterable[ItemContent]) -> list[ItemContent]:
    return sorted(items, key=lambda item: (item.code, str(item.identifier)))


def publication_problems(content: VersionContent, change_note: str | None) -> list[PublicationProblem]:
    """Every reason `content` cannot be published with `change_note`; empty when it can.

    Listed by rule (in `PROBLEM_CODES` order), then by item code, then by level position.
    """
    problems: list[PublicationProblem] = []
    items = content.item_by_id()
    ordered_items = _by_code(content.items)

    # missing-change-note
    if _blank(change_note):
        problems.append(
            PublicationProblem(
                "missing-change-note",
                "A change note is needed: say what changed in this version and why.",
            )
        )

    # missing-scale / threshold-level
    scale = content.scale
    level_codes: list[str] = []
    if scale is None:
        problems.append(
            PublicationProblem("missing-scale", "The version has no rating scale: add a scale with its levels.")
        )
    else:
        levels = sorted(scale.levels, key=lambda level: (level.position, level.code))
        level_codes = [level.code for level in levels]
        if len(levels) < 2:
            problems.append(
                PublicationProblem(
                    "missing-scale",
                    f"The scale '{scale.title}' has {len(levels)} level"
                    f"{'' if len(levels) == 1 else 's'}; it needs at least 2.",
                )
            )
        for code, count in sorted(Counter(level_codes).items()):
            if count > 1:
                problems.append(
                    PublicationProblem(
                        "missing-scale",
                        f"The scale '{scale.title}' has {count} levels with the code '{code}'; "
                        "level codes must be unique.",
                        level=code,
                    )
                )
        positions = Counter(level.position for level in levels)
        for position, count in sorted(positions.items()):
            if count > 1:
                problems.append(
                    PublicationProblem(
                        "missing-scale",
                        f"The scale '{scale.title}' has {count} levels at position {position}; "
                        "level positions must be unique.",
                    )
                )
        thresholds = [level.code for level in levels if level.proficient_threshold]
        if not thresholds:
            problems.append(
                PublicationProblem(
                    "threshold-level",
                    f"The scale '{scale.title}' has no level marked as the proficient threshold; mark exactly one.",
                )
            )
        elif len(thresholds) > 1:
            named = ", ".join(f"'{code}'" for code in thresholds)
            problems.append(
                PublicationProblem(
                    "threshold-level",
                    f"The scale '{scale.title}' has {len(thresholds)} levels marked as the "
                    f"proficient threshold ({named}); mark exactly one.",
                )
            )

    # missing-descriptor
    if scale is not None:
        written = {
            (descriptor.item, descriptor.level)
            for descriptor in content.descriptors
            if not _blank(descriptor.description)
        }
        for item in ordered_items:
            if item.type not in ASSESSABLE_TYPES:
                continue
            seen: set[str] = set()
            for level in level_codes:
                if level in seen:
                    continue
                seen.add(level)
                if (item.identifier, level) not in written:
                    problems.append(
                        PublicationProblem(
                            "missing-descriptor",
                            f"{describe_item(item)} has no descriptor for level '{level}'.",
                            item=item.identifier,
                            level=level,
                        )
                    )

    # unknown-level-descriptor: a descriptor for an item or a level that does not exist
    level_rank = {code: rank for rank, code in enumerate(level_codes)}
    unknown: list[tuple[tuple, PublicationProblem]] = []
    for descriptor in content.descriptors:
        item = items.get(descriptor.item)
        if item is None:
            unknown.append(
                (
                    ("", str(descriptor.item), descriptor.level),
                    PublicationProblem(
                        "unknown-level-descriptor",
                        f"A descriptor for level '{descriptor.level}' belongs to an item "
                        f"({descriptor.item}) that is not in this version.",
                        item=descriptor.item,
                        level=descriptor.level,
                    ),
                )
            )
        elif scale is not None and descriptor.level not in level_rank:
            unknown.append(
                (
                    (item.code, str(item.identifier), descriptor.level),
                    PublicationProblem(
                        "unknown-level-descriptor",
                        f"{describe_item(item)} has a descriptor for level '{descriptor.level}', "
                        f"which is not a level of the scale '{scale.title}'.",
                        item=item.identifier,
                        level=descriptor.level,
                    ),
                )
            )
    problems.extend(problem for _, problem in sorted(unknown, key=lambda pair: pair[0]))

    child_links = [a for a in content.associations if a.type == AssociationType.is_child_of]
    parents_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for link in child_links:
        parents_of[link.origin].append(link.destination)

    # orphaned-item: every item that is not of a root type needs an existing parent
    for item in ordered_items:
        if item.type in ROOT_TYPES:
            continue
        if not any(parent in items for parent in parents_of.get(item.identifier, ())):
            problems.append(
                PublicationProblem(
                    "orphaned-item",
                    f"{describe_item(item)} has no parent: a {type_label(item.type).lower()} "
                    "must sit under another item.",
                    item=item.identifier,
                )
            )

    # dangling-association: an association whose origin or destination is missing
    dangling: list[tuple[tuple, PublicationProblem]] = []
    for assoc in content.associations:
        origin, destination = items.get(assoc.origin), items.get(assoc.destination)
        if origin is not None and destination is not None:
            continue
        known = origin or destination
        missing = [
            f"{end} {identifier}"
            for end, identifier, found in (
                ("origin", assoc.origin, origin),
                ("destination", assoc.destination, destination),
            )
            if found is None
        ]
        subject = f"{describe_item(known)} has" if known else "An association has"
        dangling.append(
            (
                (known.code if known else "", str(assoc.identifier)),
                PublicationProblem(
                    "dangling-association",
                    f"{subject} a '{assoc.type}' association whose {' and '.join(missing)} is not in this version.",
                    item=known.identifier if known else None,
                ),
            )
        )
    problems.extend(problem for _, problem in sorted(dangling, key=lambda pair: pair[0]))

    # cycle: is_child_of must form a tree (a forest), so no item is its own ancestor
    graph: dict[uuid.UUID, list[uuid.UUID]] = {
        child: [parent for parent in parents if parent in items]
        for child, parents in parents_of.items()
        if child in items
    }
    cycles = []
    for component in _strongly_connected(graph):
        if len(component) > 1 or component[0] in graph.get(component[0], ()):
            members = _by_code(items[identifier] for identifier in component)
            cycles.append(members)
    for members in sorted(cycles, key=lambda m: (m[0].code, str(m[0].identifier))):
        first = members[0]
        if len(members) == 1:
            message = f"{describe_item(first)} is its own parent."
        else:
            codes = ", ".join(member.code for member in members)
            message = (
                f"{describe_item(first)} is its own ancestor: the items {codes} are parents of each other in a loop."
            )
        problems.append(PublicationProblem("cycle", message, item=first.identifier))

    # duplicate-code: one problem per shared code, naming the first item with it
    with_code: dict[str, list[ItemContent]] = defaultdict(list)
    for item in ordered_items:
        with_code[item.code].append(item)
    for code in sorted(with_code):
        sharing = with_code[code]
        if len(sharing) > 1:
            problems.append(
                PublicationProblem(
                    "duplicate-code",
                    f"The code '{code}' is used by {len(sharing)} items; codes must be unique.",
                    item=sharing[0].identifier,
                )
            )

    # empty-statement
    for item in ordered_items:
        if _blank(item.statement):
            problems.append(
                PublicationProblem(
                    "empty-statement",
                    f"{type_label(item.type)} {item.code or item.identifier} has no statement.",
                    item=item.identifier,
                )
            )

    # root-has-parent: components, values and cultural characteristics stand at the top
    for item in ordered_items:
        if item.type in ROOT_TYPES and item.identifier in parents_of:
            problems.append(
                PublicationProblem(
                    "root-has-parent",
                    f"{describe_item(item)} is placed under another item, but a "
                    f"{type_label(item.type).lower()} must stand at the top of the framework.",
                    item=item.identifier,
                )
            )

    return problems


def _strongly_connected(graph: dict[uuid.UUID, list[uuid.UUID]]) -> list[list[uuid.UUID]]:
    """Tarjan's algorithm, iterative (frameworks can be deep enough to worry recursion)."""
    index: dict[uuid.UUID, int] = {}
    low: dict[uuid.UUID, int] = {}
    on_stack: set[uuid.UUID] = set()
    stack: list[uuid.UUID] = []
    found: list[list[uuid.UUID]] = []
    counter = 0
    for start in sorted(graph, key=str):
        if start in index:
            continue
        work: list[tuple[uuid.UUID, int]] = [(start, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = graph.get(node, [])
            recursed = False
            for position in range(next_edge, len(edges)):
                target = edges[position]
                if target not in index:
                    work.append((node, position + 1))
                    work.append((target, 0))
                    recursed = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if recursed:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found
