"""Reading frameworks, versions, trees and items, as each caller may see them.

Published and deprecated versions are the shared HSC framework and readable by any organisation;
drafts are seen only by the organisation that owns the framework (another gets 404).
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from framework_api.frameworks import models as m
from framework_api.frameworks.content import (
    AssociationContent,
    AssociationType,
    Audience,
    DescriptorContent,
    ItemContent,
    ItemType,
    ScaleContent,
    VersionContent,
    VersionStatus,
)
from framework_api.frameworks.service import queries
from framework_api.frameworks.service.queries import VERSION_ORDER, uid_map
from servicekit.auth import Principal
from servicekit.errors import not_found
from servicekit.pagination import cursor_value, paginate

# The columns of an item that its public shapes (ItemPublic, ItemNode) show as they are.
_ITEM_FIELDS = ("identifier", "type", "code", "statement", "description", "audience", "sequence", "source")


def _fields(row: object, *names: str) -> dict:
    return {name: getattr(row, name) for name in names}


# --- frameworks and versions ----------------------------------------------------------------


def list_frameworks(
    session: Session, principal: Principal, limit: int, after: dict | None
) -> tuple[list[m.Framework], dict | None]:
    visible = select(m.FrameworkVersion.framework_id).join(m.Framework).where(queries.visible_to(principal))
    query = select(m.Framework).where(
        or_(col(m.Framework.owner_org) == principal.org, col(m.Framework.id).in_(visible))
    )
    if after:
        title, uid = cursor_value(after, "title", str), cursor_value(after, "uid", str)
        try:
            uid = uuid.UUID(uid)
        except ValueError:
            uid = uuid.UUID(int=0)  # a tampered cursor simply starts from the title
        query = query.where(
            or_(m.Framework.title > title, and_(m.Framework.title == title, col(m.Framework.uid) > uid))
        )
    rows = list(session.exec(query.order_by(col(m.Framework.title), col(m.Framework.uid)).limit(limit + 1)))
    return paginate(rows, limit, lambda f: {"title": f.title, "uid": str(f.uid)})


def get_framework(session: Session, principal: Principal, uid: uuid.UUID) -> m.Framework:
    framework = session.exec(select(m.Framework).where(m.Framework.uid == uid)).first()
    if framework is None:
        raise not_found("framework")
    if framework.owner_org != principal.org and not _has_public_version(session, framework):
        raise not_found("framework")
    return framework


def _has_public_version(session: Session, framework: m.Framework) -> bool:
    return session.exec(queries.framework_versions(framework, drafts=False)).first() is not None


def versions_of(session: Session, principal: Principal, framework: m.Framework) -> list[m.FrameworkVersion]:
    return list(session.exec(queries.versions_seen_by(principal, framework).order_by(*VERSION_ORDER)))


def list_versions(
    session: Session, principal: Principal, framework: m.Framework, limit: int, after: dict | None
) -> tuple[list[m.VersionSummary], dict | None]:
    """A page of `versions_of(framework)`, in version order; the cursor holds the last version number."""
    query = queries.versions_seen_by(principal, framework)
    if after:
        major, minor, patch = (cursor_value(after, key, int) for key in ("major", "minor", "patch"))
        v = m.FrameworkVersion
        query = query.where(
            or_(
                v.major > major,
                and_(v.major == major, v.minor > minor),
                and_(v.major == major, v.minor == minor, v.patch > patch),
            )
        )
    rows, position = paginate(
        list(session.exec(query.order_by(*VERSION_ORDER).limit(limit + 1))),
        limit,
        lambda v: {"major": v.major, "minor": v.minor, "patch": v.patch},
    )
    uids = uid_map(session, [v.supersedes_id for v in rows])
    return [version_summary(v, framework, uids) for v in rows], position


def get_version(session: Session, principal: Principal, uid: uuid.UUID) -> tuple[m.FrameworkVersion, m.Framework]:
    row = session.exec(
        select(m.FrameworkVersion, m.Framework)
        .join(m.Framework)
        .where(m.FrameworkVersion.uid == uid, queries.visible_to(principal))
    ).first()
    if row is None:
        raise not_found("framework version")
    return row[0], row[1]


def version_summary(
    version: m.FrameworkVersion, framework: m.Framework, uids: dict[int, uuid.UUID]
) -> m.VersionSummary:
    return m.VersionSummary(
        id=version.uid,
        framework_id=framework.uid,
        supersedes_id=uids.get(version.supersedes_id) if version.supersedes_id else None,
        **_fields(
            version, "version", "status", "change_note", "content_hash", "created_at", "published_at", "deprecated_at"
        ),
    )


def _summary(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> m.VersionSummary:
    return version_summary(version, framework, uid_map(session, [version.supersedes_id]))


def framework_public(session: Session, principal: Principal, framework: m.Framework) -> m.FrameworkPublic:
    versions = versions_of(session, principal, framework)
    uids = uid_map(session, [v.supersedes_id for v in versions])
    summaries = [version_summary(v, framework, uids) for v in versions]
    published = [s for s in summaries if s.status == VersionStatus.published]
    return m.FrameworkPublic(
        id=framework.uid,
        latest_published=published[-1] if published else None,
        versions=summaries,
        **_fields(framework, "title", "description", "publisher", "subject", "language", "owner_org", "created_at"),
    )


def _framework_ref(framework: m.Framework) -> m.FrameworkRef:
    return m.FrameworkRef(id=framework.uid, title=framework.title)


def _scale_public(session: Session, version: m.FrameworkVersion) -> m.ScalePublic | None:
    scale, levels = queries.scale_of(session, version)
    if scale is None:
        return None
    return m.ScalePublic(
        id=scale.identifier,
        title=scale.title,
        description=scale.description,
        levels=[m.LevelPublic.model_validate(level) for level in levels],
    )


def version_public(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> m.VersionPublic:
    summary = _summary(session, version, framework)
    count = queries.item_count(session, version)
    return m.VersionPublic(
        **summary.model_dump(),
        framework=_framework_ref(framework),
        scale=_scale_public(session, version),
        item_count=count,
    )


# --- the tree -------------------------------------------------------------------------------


def tree(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> m.VersionTree:
    items = queries.items(session, version)
    parents = queries.parents(session, version)
    children: dict[uuid.UUID | None, list[m.Item]] = defaultdict(list)
    known = {item.identifier for item in items}
    for item in items:
        parent = parents.get(item.identifier)
        children[parent if parent in known else None].append(item)

    def build(parent: uuid.UUID | None) -> list[m.ItemNode]:
        ordered = sorted(children.get(parent, []), key=lambda i: (i.sequence, i.code))
        return [m.ItemNode(**_fields(i, *_ITEM_FIELDS), children=build(i.identifier)) for i in ordered]

    return m.VersionTree(
        version=_summary(session, version, framework),
        framework=_framework_ref(framework),
        scale=_scale_public(session, version),
        items=build(None),
    )


# Published trees never change; keep their JSON so repeated reads skip the database work.
_PUBLISHED_TREES: dict[tuple, bytes] = {}
_PUBLISHED_TREES_MAX = 32


def tree_json(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> bytes | dict:
    if version.status == VersionStatus.draft:
        return tree(session, version, framework).model_dump(mode="json")
    key = (version.uid, version.content_hash, version.status, version.published_at, version.deprecated_at)
    body = _PUBLISHED_TREES.get(key)
    if body is None:
        body = tree(session, version, framework).model_dump_json().encode()
        if len(_PUBLISHED_TREES) >= _PUBLISHED_TREES_MAX:
            _PUBLISHED_TREES.pop(next(iter(_PUBLISHED_TREES)))
        _PUBLISHED_TREES[key] = body
    return body


# --- items ----------------------------------------------------------------------------------


def _item_public(item: m.Item, version: m.FrameworkVersion, parent: uuid.UUID | None) -> m.ItemPublic:
    return m.ItemPublic(version_id=version.uid, parent=parent, **_fields(item, *_ITEM_FIELDS))


def search_items(
    session: Session,
    version: m.FrameworkVersion,
    *,
    text: str | None,
    types: list[str] | None,
    audience: str | None,
    limit: int,
    after: dict | None,
) -> tuple[list[m.ItemPublic], dict | None]:
    query = select(m.Item).where(m.Item.version_id == version.id)
    rank = None
    words = (text or "").strip().lower()
    if words:
        statement = func.lower(m.Item.statement)
        code = func.lower(m.Item.code)
        anywhere = f"%{_like_escape(words)}%"
        query = query.where(
            or_(
                statement.like(anywhere, escape="\\"),
                func.lower(func.coalesce(m.Item.description, "")).like(anywhere, escape="\\"),
                code.like(anywhere, escape="\\"),
            )
        )
        rank = _relevance(statement, code, words)
    if types:
        query = query.where(col(m.Item.type).in_(types))
    if audience:
        query = query.where(m.Item.audience == audience)
    if rank is None:
        if after:
            query = query.where(m.Item.code > cursor_value(after, "code", str))
        found = [(item, 0) for item in session.exec(query.order_by(m.Item.code).limit(limit + 1))]
    else:
        # Most relevant first, then by code; the cursor carries both, so pages never overlap.
        if after:
            last_rank, last_code = cursor_value(after, "rank", int), cursor_value(after, "code", str)
            query = query.where(or_(rank > last_rank, and_(rank == last_rank, m.Item.code > last_code)))
        ranked = query.add_columns(rank).order_by(rank, m.Item.code).limit(limit + 1)
        # execute(), not exec(): sqlmodel's exec() of a select of one model returns that model alone.
        found = [(item, relevance) for item, relevance in session.execute(ranked).all()]
    page, position = paginate(
        found, limit, lambda row: {"code": row[0].code} if rank is None else {"rank": row[1], "code": row[0].code}
    )
    rows = [item for item, _ in page]
    parents = queries.parents(session, version, [r.identifier for r in rows])
    return [_item_public(r, version, parents.get(r.identifier)) for r in rows], position


def _like_escape(text: str) -> str:
    """The text as a literal inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _relevance(statement, code, words: str):
    """0: the statement or code is the text searched for; 1: the statement starts with it; 2: a
    word of the statement starts with it; 3: it is anywhere else (inside a word, the description)."""
    literal = _like_escape(words)
    return case(
        (or_(statement == words, code == words), 0),
        (statement.like(f"{literal}%", escape="\\"), 1),
        (statement.like(f"% {literal}%", escape="\\"), 2),
        else_=3,
    )


def get_item(session: Session, version: m.FrameworkVersion, identifier: uuid.UUID) -> m.Item:
    item = queries.find_item(session, version, identifier)
    if item is None:
        raise not_found("item in this version")
    return item


def get_association(session: Session, version: m.FrameworkVersion, identifier: uuid.UUID) -> m.Association:
    assoc = session.exec(
        select(m.Association).where(m.Association.version_id == version.id, m.Association.identifier == identifier)
    ).first()
    if assoc is None or assoc.type == AssociationType.is_child_of:
        raise not_found("association in this version")
    return assoc


def item_detail(session: Session, version: m.FrameworkVersion, item: m.Item) -> m.ItemDetail:
    links = list(session.exec(select(m.Association).where(queries.links_of(version, item.identifier))))
    others = {a.destination if a.origin == item.identifier else a.origin for a in links}
    refs = (
        {
            i.identifier: i
            for i in session.exec(
                select(m.Item).where(m.Item.version_id == version.id, col(m.Item.identifier).in_(others))
            )
        }
        if others
        else {}
    )

    def ref(identifier: uuid.UUID) -> m.ItemRef | None:
        other = refs.get(identifier)
        return m.ItemRef.model_validate(other) if other else None

    parent = next(
        (a.destination for a in links if a.type == AssociationType.is_child_of and a.origin == item.identifier), None
    )
    children = sorted(
        (
            refs[a.origin]
            for a in links
            if a.type == AssociationType.is_child_of and a.destination == item.identifier and a.origin in refs
        ),
        key=lambda i: (i.sequence, i.code),
    )
    related = []
    for a in links:
        if a.type == AssociationType.is_child_of:
            continue
        outgoing = a.origin == item.identifier
        other = ref(a.destination if outgoing else a.origin)
        if other is not None:
            related.append(
                m.AssociationPublic(
                    id=a.identifier,
                    type=AssociationType(a.type),
                    direction="outgoing" if outgoing else "incoming",
                    other=other,
                )
            )
    _, levels = queries.scale_of(session, version)
    texts = {
        d.level: d.description
        for d in session.exec(select(m.LevelDescriptor).where(queries.descriptors_of(version, item.identifier)))
    }
    descriptors = [
        m.DescriptorPublic(
            level=lv.code,
            level_title=lv.title,
            position=lv.position,
            proficient_threshold=lv.proficient_threshold,
            description=texts[lv.code],
        )
        for lv in levels
        if lv.code in texts
    ]
    public = _item_public(item, version, parent)
    return m.ItemDetail(
        **public.model_dump(),
        parent_item=ref(parent) if parent else None,
        children=[m.ItemRef.model_validate(c) for c in children],
        descriptors=descriptors,
        associations=sorted(related, key=lambda r: (r.type, r.other.code)),
    )


# --- the content, for publication, exchange and the diff ------------------------------------


def load_content(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> VersionContent:
    items = queries.items(session, version)
    sequence = {i.identifier: i.sequence for i in items}
    scale, levels = queries.scale_of(session, version)
    supersedes = uid_map(session, [version.supersedes_id]).get(version.supersedes_id) if version.supersedes_id else None
    return VersionContent(
        framework_identifier=framework.uid,
        title=framework.title,
        version=version.version,
        status=VersionStatus(version.status),
        description=framework.description,
        publisher=framework.publisher,
        subject=framework.subject,
        language=framework.language,
        version_identifier=version.uid,
        change_note=version.change_note,
        published_at=version.published_at.isoformat() if version.published_at else None,
        supersedes=supersedes,
        items=tuple(
            ItemContent(
                i.identifier,
                ItemType(i.type),
                i.code,
                i.statement,
                i.description,
                Audience(i.audience),
                i.sequence,
                i.source,
            )
            for i in sorted(items, key=lambda i: i.code)
        ),
        associations=tuple(
            AssociationContent(
                a.identifier,
                AssociationType(a.type),
                a.origin,
                a.destination,
                sequence.get(a.origin) if a.type == AssociationType.is_child_of else None,
            )
            for a in queries.associations(session, version)
        ),
        scale=ScaleContent(scale.identifier, scale.title, scale.description, tuple(queries.level_contents(levels)))
        if scale
        else None,
        descriptors=tuple(
            DescriptorContent(d.item, d.level, d.description) for d in queries.descriptors(session, version)
        ),
    )
