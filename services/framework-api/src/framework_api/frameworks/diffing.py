"""What changed between two versions of a framework.

Items are matched by identifier: an editorial change keeps the identifier, so a changed code or
statement shows as a rewording, not as a removal and an addition.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields

from framework_api.frameworks.content import (
    AssociationType,
    ItemContent,
    VersionContent,
)


@dataclass(frozen=True)
class ItemRef:
    identifier: uuid.UUID
    code: str
    type: str
    statement: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Reworded:
    item: ItemRef
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Moved:
    item: ItemRef
    from_parent: ItemRef | None
    to_parent: ItemRef | None
    from_sequence: int
    to_sequence: int


@dataclass(frozen=True)
class DescriptorChange:
    item: ItemRef
    level: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class AssociationChange:
    type: str
    origin: ItemRef
    destination: ItemRef
    change: str  # "added" | "removed"


@dataclass(frozen=True)
class VersionDiff:
    added: tuple[ItemRef, ...] = ()
    removed: tuple[ItemRef, ...] = ()
    reworded: tuple[Reworded, ...] = ()
    moved: tuple[Moved, ...] = ()
    descriptors: tuple[DescriptorChange, ...] = ()
    associations: tuple[AssociationChange, ...] = ()

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


# The fields whose change makes an item "reworded", in the order they are reported.
REWORDING_FIELDS: tuple[str, ...] = (
    "code",
    "type",
    "statement",
    "description",
    "audience",
    "source",
)


def item_ref(item: ItemContent) -> ItemRef:
    return ItemRef(item.identifier, item.code, str(item.type), item.statement)


def _missing_ref(identifier: uuid.UUID) -> ItemRef:
    """A reference to an item in neither version (only a broken draft has one)."""
    return ItemRef(identifier, "", "", "")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _ref_key(ref: ItemRef) -> tuple[str, str]:
    return (ref.code, str(ref.identifier))


def _parent_ids(content: VersionContent) -> dict[uuid.UUID, uuid.UUID]:
    return {child: assoc.destination for child, assoc in content.parents().items()}


def diff_versions(old: VersionContent, new: VersionContent) -> VersionDiff:
    """The changes that turn `old` into `new`; every list is sorted by item code."""
    old_items, new_items = old.item_by_id(), new.item_by_id()

    def ref(identifier: uuid.UUID, prefer_new: bool = True) -> ItemRef:
        first, second = (new_items, old_items) if prefer_new else (old_items, new_items)
        item = first.get(identifier) or second.get(identifier)
        return item_ref(item) if item is not None else _missing_ref(identifier)

    added = sorted((item_ref(item) for key, item in new_items.items() if key not in old_items), key=_ref_key)
    removed = sorted((item_ref(item) for key, item in old_items.items() if key not in new_items), key=_ref_key)

    kept = [key for key in new_items if key in old_items]
    reworded: list[Reworded] = []
    moved: list[Moved] = []
    old_parents, new_parents = _parent_ids(old), _parent_ids(new)
    for key in kept:
        before, after = old_items[key], new_items[key]
        changes = tuple(
            FieldChange(name, _text(getattr(before, name)), _text(getattr(after, name)))
            for name in REWORDING_FIELDS
            if getattr(before, name) != getattr(after, name)
        )
        if changes:
            reworded.append(Reworded(item_ref(after), changes))
        from_parent, to_parent = old_parents.get(key), new_parents.get(key)
        if from_parent != to_parent or before.sequence != after.sequence:
            moved.append(
                Moved(
                    item=item_ref(after),
                    from_parent=None if from_parent is None else ref(from_parent, prefer_new=False),
                    to_parent=None if to_parent is None else ref(to_parent),
                    from_sequence=before.sequence,
                    to_sequence=after.sequence,
                )
            )
    reworded.sort(key=lambda change: _ref_key(change.item))
    moved.sort(key=lambda change: _ref_key(change.item))

    # Descriptors, matched by (item, level); those of added or removed items are included.
    level_rank: dict[str, int] = {}
    for scale in (new.scale, old.scale):
        if scale is not None:
            for level in sorted(scale.levels, key=lambda level: level.position):
                level_rank.setdefault(level.code, len(level_rank))
    old_text = {(d.item, d.level): d.description for d in old.descriptors}
    new_text = {(d.item, d.level): d.description for d in new.descriptors}
    descriptors = [
        DescriptorChange(ref(item), level, old_text.get((item, level)), new_text.get((item, level)))
        for item, level in old_text.keys() | new_text.keys()
        if old_text.get((item, level)) != new_text.get((item, level))
    ]
    descriptors.sort(
        key=lambda change: (
            *_ref_key(change.item),
            level_rank.get(change.level, len(level_rank)),
            change.level,
        )
    )

    # Associations other than is_child_of (parent changes show as moves), by (type, ends).
    def links(content: VersionContent) -> set[tuple[str, uuid.UUID, uuid.UUID]]:
        return {
            (str(a.type), a.origin, a.destination)
            for a in content.associations
            if a.type != AssociationType.is_child_of
        }

    old_links, new_links = links(old), links(new)
    associations = [
        AssociationChange(kind, ref(origin), ref(destination), "added")
        for kind, origin, destination in new_links - old_links
    ] + [
        AssociationChange(kind, ref(origin, prefer_new=False), ref(destination, prefer_new=False), "removed")
        for kind, origin, destination in old_links - new_links
    ]
    associations.sort(
        key=lambda change: (
            *_ref_key(change.origin),
            change.type,
            *_ref_key(change.destination),
            change.change,
        )
    )

    return VersionDiff(
        added=tuple(added),
        removed=tuple(removed),
        reworded=tuple(reworded),
        moved=tuple(moved),
        descriptors=tuple(descriptors),
        associations=tuple(associations),
    )
