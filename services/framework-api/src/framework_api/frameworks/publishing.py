"""What stops a draft framework version from being published.

`publication_problems` lists every reason at once, so an editor can fix them all in one pass.
The checks are pure: they read a `VersionContent` and never touch the database.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from framework_api.frameworks.content import (
    ASSESSABLE_TYPES,
    ROOT_TYPES,
    AssociationType,
    ItemContent,
    ItemType,
    LevelContent,
    ScaleContent,
    VersionContent,
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


def _levels(scale: ScaleContent) -> list[LevelContent]:
    return sorted(scale.levels, key=lambda level: (level.position, level.code))


def _by_code(items: Iterable[ItemContent]) -> list[ItemContent]:
    return sorted(items, key=lambda item: (item.code, str(item.identifier)))


@dataclass(frozen=True)
class Draft:
    """What the rules read: the content and the change note, with the lookups they share."""

    content: VersionContent
    change_note: str | None
    items: dict[uuid.UUID, ItemContent]  # by identifier
    ordered_items: list[ItemContent]  # by code
    level_codes: list[str]  # the scale's, by position (then code); none without a scale
    parents_of: dict[uuid.UUID, list[uuid.UUID]]  # child -> its is_child_of destinations

    @classmethod
    def of(cls, content: VersionContent, change_note: str | None) -> Draft:
        parents_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for link in content.associations:
            if link.type == AssociationType.is_child_of:
                parents_of[link.origin].append(link.destination)
        levels = _levels(content.scale) if content.scale is not None else []
        return cls(
            content=content,
            change_note=change_note,
            items=content.item_by_id(),
            ordered_items=_by_code(content.items),
            level_codes=[level.code for level in levels],
            parents_of=dict(parents_of),
        )


# --- the rules: each returns its problems, by item code then level position -----------------


def missing_change_note(draft: Draft) -> list[PublicationProblem]:
    if not _blank(draft.change_note):
        return []
    return [
        PublicationProblem("missing-change-note", "A change note is needed: say what changed in this version and why.")
    ]


def missing_scale(draft: Draft) -> list[PublicationProblem]:
    """No scale, fewer than two levels, or levels sharing a code or a position."""
    scale = draft.content.scale
    if scale is None:
        return [PublicationProblem("missing-scale", "The version has no rating scale: add a scale with its levels.")]
    problems: list[PublicationProblem] = []
    size = len(scale.levels)
    if size < 2:
        problems.append(
            PublicationProblem(
                "missing-scale",
                f"The scale '{scale.title}' has {size} level{'' if size == 1 else 's'}; it needs at least 2.",
            )
        )
    for code, count in sorted(Counter(draft.level_codes).items()):
        if count > 1:
            problems.append(
                PublicationProblem(
                    "missing-scale",
                    f"The scale '{scale.title}' has {count} levels with the code '{code}'; level codes must be unique.",
                    level=code,
                )
            )
    for position, count in sorted(Counter(level.position for level in scale.levels).items()):
        if count > 1:
            problems.append(
                PublicationProblem(
                    "missing-scale",
                    f"The scale '{scale.title}' has {count} levels at position {position}; "
                    "level positions must be unique.",
                )
            )
    return problems


def threshold_level(draft: Draft) -> list[PublicationProblem]:
    """Exactly one level of the scale is the proficient threshold."""
    scale = draft.content.scale
    if scale is None:
        return []
    thresholds = [level.code for level in _levels(scale) if level.proficient_threshold]
    if not thresholds:
        message = f"The scale '{scale.title}' has no level marked as the proficient threshold; mark exactly one."
    elif len(thresholds) > 1:
        named = ", ".join(f"'{code}'" for code in thresholds)
        message = (
            f"The scale '{scale.title}' has {len(thresholds)} levels marked as the "
            f"proficient threshold ({named}); mark exactly one."
        )
    else:
        return []
    return [PublicationProblem("threshold-level", message)]


def missing_descriptor(draft: Draft) -> list[PublicationProblem]:
    """Every assessable item has a descriptor at every level of the scale."""
    if draft.content.scale is None:
        return []
    written = {(d.item, d.level) for d in draft.content.descriptors if not _blank(d.description)}
    levels = list(dict.fromkeys(draft.level_codes))  # each code once, in order
    return [
        PublicationProblem(
            "missing-descriptor",
            f"{describe_item(item)} has no descriptor for level '{level}'.",
            item=item.identifier,
            level=level,
        )
        for item in draft.ordered_items
        if item.type in ASSESSABLE_TYPES
        for level in levels
        if (item.identifier, level) not in written
    ]


def unknown_level_descriptor(draft: Draft) -> list[PublicationProblem]:
    """A descriptor for an item, or a level, that is not in the version."""
    scale = draft.content.scale
    unknown: list[tuple[tuple, PublicationProblem]] = []
    for descriptor in draft.content.descriptors:
        item = draft.items.get(descriptor.item)
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
        elif scale is not None and descriptor.level not in draft.level_codes:
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
    return [problem for _, problem in sorted(unknown, key=lambda pair: pair[0])]


def orphaned_item(draft: Draft) -> list[PublicationProblem]:
    """Every item that is not of a root type has a parent in the version."""
    return [
        PublicationProblem(
            "orphaned-item",
            f"{describe_item(item)} has no parent: a {type_label(item.type).lower()} must sit under another item.",
            item=item.identifier,
        )
        for item in draft.ordered_items
        if item.type not in ROOT_TYPES
        and not any(parent in draft.items for parent in draft.parents_of.get(item.identifier, ()))
    ]


def dangling_association(draft: Draft) -> list[PublicationProblem]:
    """An association whose origin or destination is not in the version."""
    dangling: list[tuple[tuple, PublicationProblem]] = []
    for assoc in draft.content.associations:
        origin, destination = draft.items.get(assoc.origin), draft.items.get(assoc.destination)
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
    return [problem for _, problem in sorted(dangling, key=lambda pair: pair[0])]


def cycle(draft: Draft) -> list[PublicationProblem]:
    """is_child_of forms a tree (a forest): no item is its own ancestor."""
    items = draft.items
    graph: dict[uuid.UUID, list[uuid.UUID]] = {
        child: [parent for parent in parents if parent in items]
        for child, parents in draft.parents_of.items()
        if child in items
    }
    cycles = [
        _by_code(items[identifier] for identifier in component)
        for component in _strongly_connected(graph)
        if len(component) > 1 or component[0] in graph.get(component[0], ())
    ]
    problems: list[PublicationProblem] = []
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
    return problems


def duplicate_code(draft: Draft) -> list[PublicationProblem]:
    """One problem per shared code, naming the first item with it."""
    with_code: dict[str, list[ItemContent]] = defaultdict(list)
    for item in draft.ordered_items:
        with_code[item.code].append(item)
    return [
        PublicationProblem(
            "duplicate-code",
            f"The code '{code}' is used by {len(sharing)} items; codes must be unique.",
            item=sharing[0].identifier,
        )
        for code, sharing in sorted(with_code.items())
        if len(sharing) > 1
    ]


def empty_statement(draft: Draft) -> list[PublicationProblem]:
    return [
        PublicationProblem(
            "empty-statement",
            f"{type_label(item.type)} {item.code or item.identifier} has no statement.",
            item=item.identifier,
        )
        for item in draft.ordered_items
        if _blank(item.statement)
    ]


def root_has_parent(draft: Draft) -> list[PublicationProblem]:
    """Components, values and cultural characteristics stand at the top."""
    return [
        PublicationProblem(
            "root-has-parent",
            f"{describe_item(item)} is placed under another item, but a "
            f"{type_label(item.type).lower()} must stand at the top of the framework.",
            item=item.identifier,
        )
        for item in draft.ordered_items
        if item.type in ROOT_TYPES and item.identifier in draft.parents_of
    ]


Rule = Callable[[Draft], list[PublicationProblem]]

# The rules, in the order their problems are listed. Each is named after the code of its problems,
# so a new rule is one function added here.
RULES: tuple[Rule, ...] = (
    missing_change_note,
    missing_scale,
    threshold_level,
    missing_descriptor,
    unknown_level_descriptor,
    orphaned_item,
    dangling_association,
    cycle,
    duplicate_code,
    empty_statement,
    root_has_parent,
)

# The problem codes, in the order the problems are listed.
PROBLEM_CODES: tuple[str, ...] = tuple(rule.__name__.replace("_", "-") for rule in RULES)


def publication_problems(content: VersionContent, change_note: str | None) -> list[PublicationProblem]:
    """Every reason `content` cannot be published with `change_note`; empty when it can.

    Listed by rule (in `RULES` order), then by item code, then by level position.
    """
    draft = Draft.of(content, change_note)
    return [problem for rule in RULES for problem in rule(draft)]


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
