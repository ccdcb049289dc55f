"""Editing a draft: its items, associations, level descriptors and scale, or all its content at
once (CSV import, the seed).

Only the owning organisation writes, and only to a draft: a published version never changes.
Callers commit; every write marks the draft changed (its ETag) and appends an audit record.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict

from sqlalchemy import delete
from sqlmodel import Session, col, select

from framework_api.frameworks import models as m
from framework_api.frameworks.content import (
    AssociationContent,
    AssociationType,
    DescriptorContent,
    ItemContent,
    LevelContent,
    VersionStatus,
)
from framework_api.frameworks.service import queries
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import ProblemError, conflict, not_found, unprocessable

# --- who may write --------------------------------------------------------------------------


def require_owner(principal: Principal, framework: m.Framework) -> None:
    if framework.owner_org != principal.org:
        raise ProblemError(
            403,
            "not-framework-owner",
            f"Only the owning organisation ({framework.owner_org}) can change this framework.",
            title="Forbidden",
        )


def require_draft(principal: Principal, version: m.FrameworkVersion, framework: m.Framework) -> None:
    require_owner(principal, framework)
    if version.status != VersionStatus.draft:
        raise conflict(
            "version-immutable",
            f"Version {version.version} is {version.status}; a published version never changes. "
            "Create a new draft version to make changes.",
        )


def touch(version: m.FrameworkVersion) -> None:
    version.updated_at = utcnow()


def audit_version(
    session: Session,
    principal: Principal,
    action: str,
    version: m.FrameworkVersion,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Audit a change to the version as a whole: its scale, its content, its status."""
    audit.record(session, principal, action, "framework_version", version.uid, before=before, after=after)


# --- items ----------------------------------------------------------------------------------


def _check_parent(session: Session, version: m.FrameworkVersion, parent: uuid.UUID | None, field: str) -> None:
    if parent is not None and queries.find_item(session, version, parent) is None:
        raise unprocessable(
            "The parent item is not in this version.",
            [{"field": field, "message": "no such item in this version", "type": "unknown_item"}],
            slug="unknown-item",
        )


def _check_code_free(session: Session, version: m.FrameworkVersion, code: str, except_id: int | None = None) -> None:
    clash = session.exec(select(m.Item).where(m.Item.version_id == version.id, m.Item.code == code)).first()
    if clash is not None and clash.id != except_id:
        raise conflict("duplicate-code", f"Code {code} is already used in this version.")


def _set_parent(session: Session, version: m.FrameworkVersion, child: uuid.UUID, parent: uuid.UUID | None) -> None:
    session.exec(delete(m.Association).where(queries.child_links(version), col(m.Association.origin) == child))
    if parent is not None:
        if parent == child or parent in _descendants(session, version, child):
            raise unprocessable(
                "An item cannot be moved under itself or its descendants.",
                [{"field": "body.parent", "message": "would create a cycle", "type": "cycle"}],
                slug="cycle",
            )
        session.add(
            m.Association(
                version_id=key_of(version), type=AssociationType.is_child_of, origin=child, destination=parent
            )
        )


def _descendants(session: Session, version: m.FrameworkVersion, root: uuid.UUID) -> set[uuid.UUID]:
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for child, parent in queries.parents(session, version).items():
        children[parent].append(child)
    found: set[uuid.UUID] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _next_sequence(session: Session, version: m.FrameworkVersion, parent: uuid.UUID | None) -> int:
    parents = queries.parents(session, version)
    siblings = [i.sequence for i in queries.items(session, version) if parents.get(i.identifier) == parent]
    return max(siblings, default=-1) + 1


def _item_snapshot(item: m.Item, parent: uuid.UUID | None = None) -> dict:
    return {**item.model_dump(mode="json", exclude={"id", "version_id"}), "parent": str(parent) if parent else None}


def add_item(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework, data: m.ItemCreate
) -> m.Item:
    require_draft(principal, version, framework)
    _check_code_free(session, version, data.code)
    _check_parent(session, version, data.parent, "body.parent")
    identifier = data.identifier or uuid.uuid4()
    if queries.find_item(session, version, identifier) is not None:
        raise conflict("duplicate-identifier", "An item with this identifier is already in this version.")
    sequence = data.sequence if data.sequence is not None else _next_sequence(session, version, data.parent)
    item = m.Item(
        version_id=key_of(version),
        identifier=identifier,
        sequence=sequence,
        **data.model_dump(exclude={"parent", "sequence", "identifier"}),
    )
    session.add(item)
    session.flush()
    _set_parent(session, version, item.identifier, data.parent)
    touch(version)
    audit.record(session, principal, "item.create", "item", item.identifier, after=_item_snapshot(item, data.parent))
    return item


def update_item(
    session: Session,
    principal: Principal,
    version: m.FrameworkVersion,
    framework: m.Framework,
    item: m.Item,
    data: m.ItemUpdate,
) -> m.Item:
    require_draft(principal, version, framework)
    parent_before = queries.parent_of(session, version, item.identifier)
    before = _item_snapshot(item, parent_before)
    changes = data.model_dump(exclude_unset=True)
    if "code" in changes:
        _check_code_free(session, version, changes["code"], except_id=item.id)
    for name in ("statement", "type", "audience"):
        if name in changes and changes[name] is None:
            raise unprocessable(
                f"{name} cannot be null.", [{"field": f"body.{name}", "message": "cannot be null", "type": "null"}]
            )
    if "parent" in changes:
        _check_parent(session, version, changes["parent"], "body.parent")
        _set_parent(session, version, item.identifier, changes.pop("parent"))
    for name, value in changes.items():
        setattr(item, name, value)
    session.add(item)
    touch(version)
    after_parent = (
        queries.parent_of(session, version, item.identifier) if "parent" in data.model_fields_set else parent_before
    )
    audit.record(
        session,
        principal,
        "item.update",
        "item",
        item.identifier,
        before=before,
        after=_item_snapshot(item, after_parent),
    )
    return item


def delete_item(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework, item: m.Item
) -> None:
    require_draft(principal, version, framework)
    if queries.has_children(session, version, item.identifier):
        raise conflict("item-has-children", f"Item {item.code} has child items; move or delete them first.")
    before = _item_snapshot(item, queries.parent_of(session, version, item.identifier))
    session.exec(delete(m.Association).where(queries.links_of(version, item.identifier)))
    session.exec(delete(m.LevelDescriptor).where(queries.descriptors_of(version, item.identifier)))
    session.delete(item)
    touch(version)
    audit.record(session, principal, "item.delete", "item", item.identifier, before=before)


# --- associations ---------------------------------------------------------------------------


def add_association(
    session: Session,
    principal: Principal,
    version: m.FrameworkVersion,
    framework: m.Framework,
    data: m.AssociationCreate,
) -> m.Association:
    require_draft(principal, version, framework)
    for end in ("origin", "destination"):
        _check_parent(session, version, getattr(data, end), f"body.{end}")
    if data.origin == data.destination:
        raise unprocessable(
            "An item cannot be associated with itself.",
            [{"field": "body.destination", "message": "same as origin", "type": "value_error"}],
        )
    if data.type == AssociationType.is_child_of:
        # Hierarchy changes go through the item's parent, which keeps one parent per item.
        raise unprocessable(
            "Set an item's parent with PATCH on the item, not as an association.",
            [{"field": "body.type", "message": "is_child_of is set through the item's parent", "type": "value_error"}],
        )
    exists = session.exec(
        select(m.Association.id).where(
            m.Association.version_id == version.id,
            m.Association.type == data.type,
            m.Association.origin == data.origin,
            m.Association.destination == data.destination,
        )
    ).first()
    if exists:
        raise conflict("duplicate-association", "This association already exists.")
    assoc = m.Association(version_id=key_of(version), **data.model_dump())
    session.add(assoc)
    session.flush()
    touch(version)
    audit.record(
        session, principal, "association.create", "association", assoc.identifier, after=data.model_dump(mode="json")
    )
    return assoc


def delete_association(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework, assoc: m.Association
) -> None:
    require_draft(principal, version, framework)
    before = assoc.model_dump(mode="json", exclude={"id", "version_id"})
    session.delete(assoc)
    touch(version)
    audit.record(session, principal, "association.delete", "association", assoc.identifier, before=before)


# --- descriptors and the scale --------------------------------------------------------------


def put_descriptor(
    session: Session,
    principal: Principal,
    version: m.FrameworkVersion,
    framework: m.Framework,
    item: m.Item,
    level: str,
    text: str,
) -> m.LevelDescriptor:
    require_draft(principal, version, framework)
    codes = [lv.code for lv in queries.scale_of(session, version)[1]]
    if level not in codes:
        raise not_found(f"level '{level}' on this version's scale (levels: {', '.join(codes)})")
    row = queries.find_descriptor(session, version, item.identifier, level)
    before = {"description": row.description} if row else None
    if row is None:
        row = m.LevelDescriptor(version_id=key_of(version), item=item.identifier, level=level, description=text)
    else:
        row.description = text
    session.add(row)
    touch(version)
    audit.record(
        session,
        principal,
        "descriptor.put",
        "item",
        item.identifier,
        before=before,
        after={"level": level, "description": text},
    )
    return row


def delete_descriptor(
    session: Session,
    principal: Principal,
    version: m.FrameworkVersion,
    framework: m.Framework,
    item: m.Item,
    level: str,
) -> None:
    require_draft(principal, version, framework)
    row = queries.find_descriptor(session, version, item.identifier, level)
    if row is None:
        raise not_found("descriptor for that level")
    session.delete(row)
    touch(version)
    audit.record(
        session,
        principal,
        "descriptor.delete",
        "item",
        item.identifier,
        before={"level": level, "description": row.description},
    )


def put_scale(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework, data: m.ScaleWrite
) -> None:
    require_draft(principal, version, framework)
    codes = [lv.code for lv in data.levels]
    positions = [lv.position for lv in data.levels]
    errors = []
    if len(set(codes)) != len(codes):
        errors.append({"field": "body.levels", "message": "level codes must be unique", "type": "value_error"})
    if len(set(positions)) != len(positions):
        errors.append({"field": "body.levels", "message": "level positions must be unique", "type": "value_error"})
    if sum(lv.proficient_threshold for lv in data.levels) != 1:
        errors.append(
            {
                "field": "body.levels",
                "message": "exactly one level must be the proficient threshold",
                "type": "value_error",
            }
        )
    if errors:
        raise unprocessable("The scale is not valid.", errors)
    scale, levels = queries.scale_of(session, version)
    before = {"title": scale.title, "levels": [lv.code for lv in levels]} if scale else None
    identifier = scale.identifier if scale else None
    if scale is not None:
        queries.delete_scale(session, scale)
        session.flush()
    session.exec(
        delete(m.LevelDescriptor).where(
            col(m.LevelDescriptor.version_id) == version.id, col(m.LevelDescriptor.level).not_in(codes)
        )
    )
    queries.write_scale(
        session,
        version,
        data.title,
        data.description,
        [LevelContent(**lv.model_dump()) for lv in sorted(data.levels, key=lambda lv: lv.position)],
        identifier=identifier,
    )
    touch(version)
    audit_version(session, principal, "scale.put", version, before, data.model_dump(mode="json"))


# --- all the content at once ----------------------------------------------------------------


def replace_content(
    session: Session,
    principal: Principal,
    version: m.FrameworkVersion,
    framework: m.Framework,
    items: Iterable[ItemContent],
    associations: Iterable[AssociationContent],
    descriptors: Iterable[DescriptorContent],
    action: str = "version.import",
) -> None:
    """Swap a draft's items, links and descriptors for new ones (CSV import); the scale stays."""
    require_draft(principal, version, framework)
    before = {"items": queries.item_count(session, version)}
    queries.delete_content(session, version)
    items = list(items)
    session.add_all(m.Item(version_id=key_of(version), **asdict(i)) for i in items)
    associations = list(associations)
    session.add_all(
        m.Association(
            version_id=key_of(version), identifier=a.identifier, type=a.type, origin=a.origin, destination=a.destination
        )
        for a in associations
    )
    descriptors = list(descriptors)
    session.add_all(
        m.LevelDescriptor(version_id=key_of(version), item=d.item, level=d.level, description=d.description)
        for d in descriptors
    )
    session.flush()
    touch(version)
    after = {"items": len(items), "associations": len(associations), "descriptors": len(descriptors)}
    audit_version(session, principal, action, version, before, after)
