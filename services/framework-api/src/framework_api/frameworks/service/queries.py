"""The selects (and deletes) of a version's rows that more than one operation needs, each written
once. They fetch and remove; the rules (visibility aside) are in reading, drafts and lifecycle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict

from sqlalchemy import and_, delete, func, or_
from sqlmodel import Session, col, select

from framework_api.frameworks import models as m
from framework_api.frameworks.content import AssociationType, LevelContent, VersionStatus
from servicekit.auth import Principal
from servicekit.db import key_of

# Versions in version-number order.
VERSION_ORDER = (m.FrameworkVersion.major, m.FrameworkVersion.minor, m.FrameworkVersion.patch)


# --- versions -------------------------------------------------------------------------------


def visible_to(principal: Principal):
    """Version filter: the caller's own drafts, and every published or deprecated version."""
    return or_(col(m.Framework.owner_org) == principal.org, col(m.FrameworkVersion.status) != VersionStatus.draft)


def framework_versions(framework: m.Framework, *, drafts: bool = True):
    """Select the versions of `framework`; without its drafts when `drafts` is false."""
    query = select(m.FrameworkVersion).where(m.FrameworkVersion.framework_id == framework.id)
    return query if drafts else query.where(m.FrameworkVersion.status != VersionStatus.draft)


def versions_seen_by(principal: Principal, framework: m.Framework):
    """Select the versions of `framework` the caller may see: drafts only for its owner."""
    return framework_versions(framework, drafts=framework.owner_org == principal.org)


def uid_map(session: Session, ids: Iterable[int | None]) -> dict[int, uuid.UUID]:
    """Versions' public identifiers by their keys (for `supersedes`)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(
        select(m.FrameworkVersion.id, m.FrameworkVersion.uid).where(col(m.FrameworkVersion.id).in_(wanted))
    )
    return {key: uid for key, uid in rows if key is not None}  # keys of stored rows: never None


# --- items and associations -----------------------------------------------------------------


def items(session: Session, version: m.FrameworkVersion) -> list[m.Item]:
    return list(session.exec(select(m.Item).where(m.Item.version_id == version.id)))


def find_item(session: Session, version: m.FrameworkVersion, identifier: uuid.UUID) -> m.Item | None:
    return session.exec(select(m.Item).where(m.Item.version_id == version.id, m.Item.identifier == identifier)).first()


def item_count(session: Session, version: m.FrameworkVersion) -> int:
    return session.exec(select(func.count()).select_from(m.Item).where(m.Item.version_id == version.id)).one()


def associations(session: Session, version: m.FrameworkVersion) -> list[m.Association]:
    return list(session.exec(select(m.Association).where(m.Association.version_id == version.id)))


def child_links(version: m.FrameworkVersion):
    """Condition: the version's is_child_of associations (origin = child, destination = parent)."""
    return and_(col(m.Association.version_id) == version.id, col(m.Association.type) == AssociationType.is_child_of)


def links_of(version: m.FrameworkVersion, identifier: uuid.UUID):
    """Condition: the version's associations from or to the item, of any type."""
    return and_(
        col(m.Association.version_id) == version.id,
        or_(col(m.Association.origin) == identifier, col(m.Association.destination) == identifier),
    )


def parents(
    session: Session, version: m.FrameworkVersion, children: Iterable[uuid.UUID] | None = None
) -> dict[uuid.UUID, uuid.UUID]:
    """Child -> parent in the version; only for `children` when they are given."""
    query = select(m.Association).where(child_links(version))
    if children is not None:
        children = list(children)
        if not children:
            return {}
        query = query.where(col(m.Association.origin).in_(children))
    return {a.origin: a.destination for a in session.exec(query)}


def parent_of(session: Session, version: m.FrameworkVersion, child: uuid.UUID) -> uuid.UUID | None:
    return parents(session, version, [child]).get(child)


def has_children(session: Session, version: m.FrameworkVersion, parent: uuid.UUID) -> bool:
    query = select(m.Association.id).where(child_links(version), m.Association.destination == parent)
    return session.exec(query).first() is not None


# --- descriptors and the scale --------------------------------------------------------------


def descriptors(session: Session, version: m.FrameworkVersion) -> list[m.LevelDescriptor]:
    return list(session.exec(select(m.LevelDescriptor).where(m.LevelDescriptor.version_id == version.id)))


def descriptors_of(version: m.FrameworkVersion, item: uuid.UUID):
    """Condition: the item's level descriptors in the version."""
    return and_(col(m.LevelDescriptor.version_id) == version.id, col(m.LevelDescriptor.item) == item)


def find_descriptor(
    session: Session, version: m.FrameworkVersion, item: uuid.UUID, level: str
) -> m.LevelDescriptor | None:
    query = select(m.LevelDescriptor).where(descriptors_of(version, item), m.LevelDescriptor.level == level)
    return session.exec(query).first()


def scale_of(session: Session, version: m.FrameworkVersion) -> tuple[m.Scale | None, list[m.ScaleLevel]]:
    """The version's scale and its levels in position order; (None, []) without one."""
    found = session.exec(select(m.Scale).where(m.Scale.version_id == version.id)).first()
    if found is None:
        return None, []
    levels = session.exec(
        select(m.ScaleLevel).where(m.ScaleLevel.scale_id == found.id).order_by(col(m.ScaleLevel.position))
    )
    return found, list(levels)


def level_contents(levels: Iterable[m.ScaleLevel]) -> list[LevelContent]:
    return [LevelContent(lv.code, lv.position, lv.title, lv.description, lv.proficient_threshold) for lv in levels]


def write_scale(
    session: Session,
    version: m.FrameworkVersion,
    title: str,
    description: str | None,
    levels: Iterable[LevelContent],
    identifier: uuid.UUID | None = None,
) -> m.Scale:
    """Give the version a scale with these levels (it has none)."""
    new = m.Scale(
        version_id=key_of(version), title=title, description=description, identifier=identifier or uuid.uuid4()
    )
    session.add(new)
    session.flush()
    for level in levels:
        session.add(m.ScaleLevel(scale_id=key_of(new), **asdict(level)))
    return new


def delete_scale(session: Session, scale: m.Scale) -> None:
    session.exec(delete(m.ScaleLevel).where(col(m.ScaleLevel.scale_id) == scale.id))
    session.delete(scale)


def delete_content(session: Session, version: m.FrameworkVersion) -> None:
    """Remove the version's associations, descriptors and items (not its scale)."""
    for table in (m.Association, m.LevelDescriptor, m.Item):
        session.exec(delete(table).where(col(table.version_id) == version.id))
