"""Hypothesis strategies for framework content, shared by the pure-module tests of framework-api.

`version_contents()` makes a valid, publishable VersionContent: a 4-level scale with one
proficient threshold, top-level items of the root types, children of the other types under
them, a descriptor at every level for every assessable item, and a few non-child associations.
Texts are trimmed and non-blank, with commas, quotes, semicolons, colons, new lines and
non-ASCII letters so that CSV quoting is exercised.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid

from hypothesis import strategies as st

from framework_api.frameworks.content import (
    ASSESSABLE_TYPES,
    ROOT_TYPES,
    AssociationContent,
    AssociationType,
    Audience,
    DescriptorContent,
    ItemContent,
    ItemType,
    LevelContent,
    ScaleContent,
    VersionContent,
    VersionStatus,
)

ROOT_TYPE_LIST = sorted(ROOT_TYPES)
CHILD_TYPE_LIST = sorted(set(ItemType) - ROOT_TYPES)
LINK_TYPE_LIST = [t for t in AssociationType if t != AssociationType.is_child_of]

# Texts a spreadsheet makes hard: separators, quotes, new lines, non-ASCII, leading signs.
AWKWARD = (
    'Says "no" when it matters',
    "Listens; then acts: openly",
    "Two\nlines",
    "Comhbhá, cúram agus meas",
    "=SUM(A1)",
    "- starts with a dash",
    "ends with a comma,",
    # Formula leads the CSV export escapes, and text that only looks escaped: all must come back.
    '=HYPERLINK("http://evil.example","x")',
    "=1+2+cmd|' /C calc'!A0",
    "@SUM(1)",
    "+44 28 9000 0000",
    "|pipe",
    "'=quoted",
    "'",
    "-3.5",
)
texts = st.sampled_from(AWKWARD) | (
    st.text(
        alphabet=st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from(",\";:\n'"),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)
optional_texts = st.none() | texts
code_prefixes = st.sampled_from(["C", "V", "CC", "C1.AS", "SL", "TW", "B", "x:y"])
LEVEL_CODES = ("essential", "proficient", "strong", "exemplary", "basic", "level_1", "n-a", "Ü")


@st.composite
def scales(draw, levels: int = 4) -> ScaleContent:
    codes = draw(st.permutations(LEVEL_CODES))[:levels]
    positions = sorted(draw(st.lists(st.integers(0, 20), min_size=levels, max_size=levels, unique=True)))
    threshold = draw(st.integers(0, levels - 1))
    return ScaleContent(
        identifier=draw(st.uuids(version=4)),
        title=draw(texts),
        description=draw(optional_texts),
        levels=tuple(
            LevelContent(
                code=code,
                position=position,
                title=draw(texts),
                description=draw(optional_texts),
                proficient_threshold=index == threshold,
            )
            for index, (code, position) in enumerate(zip(codes, positions, strict=True))
        ),
    )


def _sequences(draw, count: int) -> list[int]:
    return sorted(draw(st.lists(st.integers(0, 99), min_size=count, max_size=count, unique=True)))


@st.composite
def version_contents(draw, max_items: int = 12, max_depth: int = 3) -> VersionContent:
    scale = draw(scales())
    namespace = draw(st.uuids(version=4))
    counter = itertools.count(1)
    items: list[ItemContent] = []
    links: list[AssociationContent] = []

    def make(item_type: ItemType, sequence: int, parent: ItemContent | None) -> ItemContent:
        code = f"{draw(code_prefixes)}-{next(counter)}"
        item = ItemContent(
            identifier=uuid.uuid5(namespace, code),
            type=item_type,
            code=code,
            statement=draw(texts),
            description=draw(optional_texts),
            audience=draw(st.sampled_from(list(Audience))),
            sequence=sequence,
            source=draw(optional_texts),
        )
        items.append(item)
        if parent is not None:
            links.append(
                AssociationContent(
                    identifier=draw(st.uuids(version=4)),
                    type=AssociationType.is_child_of,
                    origin=item.identifier,
                    destination=parent.identifier,
                    sequence=sequence,
                )
            )
        return item

    def grow(parent: ItemContent, depth: int) -> None:
        if depth >= max_depth or len(items) >= max_items:
            return
        count = draw(st.integers(0, 3))
        for sequence in _sequences(draw, count):
            if len(items) >= max_items:
                return
            child = make(draw(st.sampled_from(CHILD_TYPE_LIST)), sequence, parent)
            grow(child, depth + 1)

    for sequence in _sequences(draw, draw(st.integers(1, 4))):
        root = make(draw(st.sampled_from(ROOT_TYPE_LIST)), sequence, None)
        grow(root, 1)

    descriptors = tuple(
        DescriptorContent(item.identifier, level.code, draw(texts))
        for item in items
        if item.type in ASSESSABLE_TYPES
        for level in scale.levels
    )

    ends = st.sampled_from([item.identifier for item in items])
    triples = draw(
        st.lists(
            st.tuples(st.sampled_from(LINK_TYPE_LIST), ends, ends).filter(lambda t: t[1] != t[2]),
            max_size=4 if len(items) > 1 else 0,
            unique=True,
        )
    )
    others = [
        AssociationContent(draw(st.uuids(version=4)), kind, origin, destination)
        for kind, origin, destination in triples
    ]

    return VersionContent(
        framework_identifier=draw(st.uuids(version=4)),
        title=draw(texts),
        version=f"{draw(st.integers(0, 9))}.{draw(st.integers(0, 9))}.{draw(st.integers(0, 9))}",
        status=draw(st.sampled_from(list(VersionStatus))),
        description=draw(optional_texts),
        publisher=draw(optional_texts),
        subject=draw(optional_texts),
        language="en",
        version_identifier=draw(st.uuids(version=4)),
        change_note=draw(optional_texts),
        items=tuple(draw(st.permutations(items))),
        associations=tuple(draw(st.permutations(links + others))),
        scale=scale,
        descriptors=descriptors,
    )


def replace(content, **changes):
    """A copy of a content dataclass (a version, item, level...) with some fields changed."""
    return dataclasses.replace(content, **changes)


def parent_of(content: VersionContent, item: uuid.UUID) -> uuid.UUID | None:
    link = content.parents().get(item)
    return link.destination if link else None


def descendants(content: VersionContent, item: uuid.UUID) -> set[uuid.UUID]:
    """`item` and everything under it."""
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for child, link in content.parents().items():
        children.setdefault(link.destination, []).append(child)
    found, stack = set(), [item]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(children.get(node, ()))
    return found
