"""Operations on frameworks and their versions. Plain functions taking a Session; no FastAPI.

Visibility: published and deprecated versions are the shared HSC framework and readable by any
organisation; drafts are seen and written only by the organisation that owns the framework.
Writes never touch a published version. Callers commit; every write appends an audit record.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict

from sqlalchemy import and_, case, delete, func, or_
from sqlmodel import Session, col, select

from framework_api.frameworks import models as m
from framework_api.frameworks.content import (
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
    content_hash,
)
from framework_api.frameworks.publishing import publication_problems
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.errors import ProblemError, conflict, not_found, unprocessable
from servicekit.pagination import cursor_value, paginate

DEFAULT_LEVELS = (
    LevelContent("essential", 1, "Essential", "Shows the capability with support, in familiar situations."),
    LevelContent("proficient", 2, "Proficient", "Shows the capability reliably in everyday work.", True),
    LevelContent("strong", 3, "Strong", "Shows the capability in complex situations and helps others to."),
    LevelContent("exemplary", 4, "Exemplary", "A role model who shapes how others show the capability."),
)


# --- reading --------------------------------------------------------------------------------


def _visible_to(principal: Principal):
    """Version filter: the caller's own drafts, and every published or deprecated version."""
    return or_(m.Framework.owner_org == principal.org, m.FrameworkVersion.status != VersionStatus.draft)


def list_frameworks(
    session: Session, principal: Principal, limit: int, after: dict | None
) -> tuple[list[m.Framework], dict | None]:
    visible = select(m.FrameworkVersion.framework_id).join(m.Framework).where(_visible_to(principal))
    query = select(m.Framework).where(or_(m.Framework.owner_org == principal.org, col(m.Framework.id).in_(visible)))
    if after:
        title, uid = cursor_value(after, "title", str), cursor_value(after, "uid", str)
        try:
            uid = uuid.UUID(uid)
        except ValueError:
            uid = uuid.UUID(int=0)  # a tampered cursor simply starts from the title
        query = query.where(
            or_(m.Framework.title > title, and_(m.Framework.title == title, col(m.Framework.uid) > uid))
        )
    rows = list(session.exec(query.order_by(m.Framework.title, m.Framework.uid).limit(limit + 1)))
    return paginate(rows, limit, lambda f: {"title": f.title, "uid": str(f.uid)})


def get_framework(session: Session, principal: Principal, uid: uuid.UUID) -> m.Framework:
    framework = session.exec(select(m.Framework).where(m.Framework.uid == uid)).first()
    if framework is None:
        raise not_found("framework")
    if framework.owner_org != principal.org and not _has_public_version(session, framework):
        raise not_found("framework")
    return framework


def _has_public_version(session: Session, framework: m.Framework) -> bool:
    return (
        session.exec(
            select(m.FrameworkVersion.id).where(
                m.FrameworkVersion.framework_id == framework.id, m.FrameworkVersion.status != VersionStatus.draft
            )
        ).first()
        is not None
    )


def versions_of(session: Session, principal: Principal, framework: m.Framework) -> list[m.FrameworkVersion]:
    query = select(m.FrameworkVersion).where(m.FrameworkVersion.framework_id == framework.id)
    if framework.owner_org != principal.org:
        query = query.where(m.FrameworkVersion.status != VersionStatus.draft)
    return list(
        session.exec(query.order_by(m.FrameworkVersion.major, m.FrameworkVersion.minor, m.FrameworkVersion.patch))
    )


def list_versions(
    session: Session, principal: Principal, framework: m.Framework, limit: int, after: dict | None
) -> tuple[list[m.VersionSummary], dict | None]:
    """A page of `versions_of(framework)`, in version order; the cursor holds the last version number."""
    query = select(m.FrameworkVersion).where(m.FrameworkVersion.framework_id == framework.id)
    if framework.owner_org != principal.org:
        query = query.where(m.FrameworkVersion.status != VersionStatus.draft)
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
    order = (m.FrameworkVersion.major, m.FrameworkVersion.minor, m.FrameworkVersion.patch)
    rows, position = paginate(
        list(session.exec(query.order_by(*order).limit(limit + 1))),
        limit,
        lambda v: {"major": v.major, "minor": v.minor, "patch": v.patch},
    )
    uids = uid_map(session, [v.supersedes_id for v in rows])
    return [version_summary(v, framework, uids) for v in rows], position


def get_version(session: Session, principal: Principal, uid: uuid.UUID) -> tuple[m.FrameworkVersion, m.Framework]:
    row = session.exec(
        select(m.FrameworkVersion, m.Framework)
        .join(m.Framework)
        .where(m.FrameworkVersion.uid == uid, _visible_to(principal))
    ).first()
    if row is None:
        raise not_found("framework version")
    return row[0], row[1]


def uid_map(session: Session, ids: Iterable[int | None]) -> dict[int, uuid.UUID]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(
        select(m.FrameworkVersion.id, m.FrameworkVersion.uid).where(col(m.FrameworkVersion.id).in_(wanted))
    )
    return dict(rows.all())


def version_summary(
    version: m.FrameworkVersion, framework: m.Framework, uids: dict[int, uuid.UUID]
) -> m.VersionSummary:
    return m.VersionSummary(
        id=version.uid,
        framework_id=framework.uid,
        version=version.version,
        status=version.status,
        change_note=version.change_note,
        content_hash=version.content_hash,
        supersedes_id=uids.get(version.supersedes_id) if version.supersedes_id else None,
        created_at=version.created_at,
        published_at=version.published_at,
        deprecated_at=version.deprecated_at,
    )


def framework_public(session: Session, principal: Principal, framework: m.Framework) -> m.FrameworkPublic:
    versions = versions_of(session, principal, framework)
    uids = uid_map(session, [v.supersedes_id for v in versions])
    summaries = [version_summary(v, framework, uids) for v in versions]
    published = [s for s in summaries if s.status == VersionStatus.published]
    return m.FrameworkPublic(
        id=framework.uid,
        title=framework.title,
        description=framework.description,
        publisher=framework.publisher,
        subject=framework.subject,
        language=framework.language,
        owner_org=framework.owner_org,
        created_at=framework.created_at,
        latest_published=published[-1] if published else None,
        versions=summaries,
    )


def _scale(session: Session, version: m.FrameworkVersion) -> tuple[m.Scale | None, list[m.ScaleLevel]]:
    scale = session.exec(select(m.Scale).where(m.Scale.version_id == version.id)).first()
    if scale is None:
        return None, []
    levels = session.exec(select(m.ScaleLevel).where(m.ScaleLevel.scale_id == scale.id).order_by(m.ScaleLevel.position))
    return scale, list(levels)


def _scale_public(scale: m.Scale | None, levels: list[m.ScaleLevel]) -> m.ScalePublic | None:
    if scale is None:
        return None
    return m.ScalePublic(
        id=scale.identifier,
        title=scale.title,
        description=scale.description,
        levels=[m.LevelPublic.model_validate(level) for level in levels],
    )


def version_public(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> m.VersionPublic:
    uids = uid_map(session, [version.supersedes_id])
    count = session.exec(select(func.count()).select_from(m.Item).where(m.Item.version_id == version.id)).one()
    summary = version_summary(version, framework, uids)
    return m.VersionPublic(
        **summary.model_dump(),
        framework=m.FrameworkRef(id=framework.uid, title=framework.title),
        scale=_scale_public(*_scale(session, version)),
        item_count=count,
    )


def _items(session: Session, version: m.FrameworkVersion) -> list[m.Item]:
    return list(session.exec(select(m.Item).where(m.Item.version_id == version.id)))


def _associations(session: Session, version: m.FrameworkVersion) -> list[m.Association]:
    return list(session.exec(select(m.Association).where(m.Association.version_id == version.id)))


def _parent_map(associations: Iterable[m.Association]) -> dict[uuid.UUID, uuid.UUID]:
    return {a.origin: a.destination for a in associations if a.type == AssociationType.is_child_of}


def tree(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> m.VersionTree:
    items = _items(session, version)
    parents = _parent_map(_associations(session, version))
    children: dict[uuid.UUID | None, list[m.Item]] = defaultdict(list)
    known = {item.identifier for item in items}
    for item in items:
        parent = parents.get(item.identifier)
        children[parent if parent in known else None].append(item)

    def build(parent: uuid.UUID | None) -> list[m.ItemNode]:
        ordered = sorted(children.get(parent, []), key=lambda i: (i.sequence, i.code))
        return [
            m.ItemNode(
                identifier=i.identifier,
                type=i.type,
                code=i.code,
                statement=i.statement,
                description=i.description,
                audience=i.audience,
                sequence=i.sequence,
                source=i.source,
                children=build(i.identifier),
            )
            for i in ordered
        ]

    uids = uid_map(session, [version.supersedes_id])
    return m.VersionTree(
        version=version_summary(version, framework, uids),
        framework=m.FrameworkRef(id=framework.uid, title=framework.title),
        scale=_scale_public(*_scale(session, version)),
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


def _item_public(item: m.Item, version: m.FrameworkVersion, parent: uuid.UUID | None) -> m.ItemPublic:
    return m.ItemPublic(
        identifier=item.identifier,
        version_id=version.uid,
        type=item.type,
        code=item.code,
        statement=item.statement,
        description=item.description,
        audience=item.audience,
        sequence=item.sequence,
        source=item.source,
        parent=parent,
    )


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
    parents = _parents_of(session, version, [r.identifier for r in rows])
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


def _parents_of(
    session: Session, version: m.FrameworkVersion, identifiers: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    if not identifiers:
        return {}
    rows = session.exec(
        select(m.Association).where(
            m.Association.version_id == version.id,
            m.Association.type == AssociationType.is_child_of,
            col(m.Association.origin).in_(identifiers),
        )
    )
    return _parent_map(rows)


def get_item(session: Session, version: m.FrameworkVersion, identifier: uuid.UUID) -> m.Item:
    item = session.exec(select(m.Item).where(m.Item.version_id == version.id, m.Item.identifier == identifier)).first()
    if item is None:
        raise not_found("item in this version")
    return item


def item_detail(session: Session, version: m.FrameworkVersion, item: m.Item) -> m.ItemDetail:
    links = list(
        session.exec(
            select(m.Association).where(
                m.Association.version_id == version.id,
                or_(m.Association.origin == item.identifier, m.Association.destination == item.identifier),
            )
        )
    )
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
                    id=a.identifier, type=a.type, direction="outgoing" if outgoing else "incoming", other=other
                )
            )
    _, levels = _scale(session, version)
    texts = {
        d.level: d.description
        for d in session.exec(
            select(m.LevelDescriptor).where(
                m.LevelDescriptor.version_id == version.id, m.LevelDescriptor.item == item.identifier
            )
        )
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


def load_content(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> VersionContent:
    items = _items(session, version)
    sequence = {i.identifier: i.sequence for i in items}
    scale, levels = _scale(session, version)
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
            for a in _associations(session, version)
        ),
        scale=ScaleContent(
            scale.identifier,
            scale.title,
            scale.description,
            tuple(
                LevelContent(lv.code, lv.position, lv.title, lv.description, lv.proficient_threshold) for lv in levels
            ),
        )
        if scale
        else None,
        descriptors=tuple(
            DescriptorContent(d.item, d.level, d.description)
            for d in session.exec(select(m.LevelDescriptor).where(m.LevelDescriptor.version_id == version.id))
        ),
    )


# --- writing --------------------------------------------------------------------------------


def _require_owner(principal: Principal, framework: m.Framework) -> None:
    if framework.owner_org != principal.org:
        raise ProblemError(
            403,
            "not-framework-owner",
            f"Only the owning organisation ({framework.owner_org}) can change this framework.",
            title="Forbidden",
        )


def require_draft(principal: Principal, version: m.FrameworkVersion, framework: m.Framework) -> None:
    _require_owner(principal, framework)
    if version.status != VersionStatus.draft:
        raise conflict(
            "version-immutable",
            f"Version {version.version} is {version.status}; a published version never changes. "
            "Create a new draft version to make changes.",
        )


def _touch(version: m.FrameworkVersion) -> None:
    version.updated_at = utcnow()


def _semver_parts(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in text.split("."))
    return major, minor, patch


def _new_version_row(framework: m.Framework, version: str, principal: Principal, **extra) -> m.FrameworkVersion:
    major, minor, patch = _semver_parts(version)
    return m.FrameworkVersion(
        framework_id=framework.id,
        version=version,
        major=major,
        minor=minor,
        patch=patch,
        created_by=principal.subject,
        **extra,
    )


def create_framework(session: Session, principal: Principal, data: m.FrameworkCreate) -> m.Framework:
    framework = m.Framework(owner_org=principal.org, **data.model_dump(exclude={"version"}))
    session.add(framework)
    session.flush()
    version = _new_version_row(framework, data.version, principal)
    session.add(version)
    session.flush()
    _write_scale(session, version, "Proficiency", None, DEFAULT_LEVELS)
    audit.record(
        session,
        principal,
        "framework.create",
        "framework",
        framework.uid,
        after={**data.model_dump(mode="json"), "draft_version": str(version.uid)},
    )
    return framework


def create_version(
    session: Session, principal: Principal, framework: m.Framework, data: m.VersionCreate
) -> m.FrameworkVersion:
    """A new draft, copied from the latest published version."""
    _require_owner(principal, framework)
    existing = list(session.exec(select(m.FrameworkVersion).where(m.FrameworkVersion.framework_id == framework.id)))
    if any(v.status == VersionStatus.draft for v in existing):
        draft = next(v for v in existing if v.status == VersionStatus.draft)
        raise conflict(
            "draft-exists",
            f"Version {draft.version} is already a draft; publish or edit it instead.",
            draft_id=str(draft.uid),
        )
    published = sorted(
        (v for v in existing if v.status == VersionStatus.published), key=lambda v: (v.major, v.minor, v.patch)
    )
    if not published:
        raise conflict("no-published-version", "There is no published version to copy from.")
    highest = max((v.major, v.minor, v.patch) for v in existing)
    if _semver_parts(data.version) <= highest:
        raise unprocessable(
            f"Version {data.version} must be greater than {'.'.join(map(str, highest))}.",
            [
                {
                    "field": "body.version",
                    "message": "must be greater than every existing version",
                    "type": "value_error",
                }
            ],
            slug="version-not-greater",
        )
    source = published[-1]
    draft = _new_version_row(framework, data.version, principal, supersedes_id=source.id, change_note=data.change_note)
    session.add(draft)
    session.flush()
    _copy_content(session, source, draft)
    audit.record(
        session,
        principal,
        "version.create",
        "framework_version",
        draft.uid,
        after={"version": draft.version, "copied_from": str(source.uid)},
    )
    return draft


def _copy_content(session: Session, source: m.FrameworkVersion, target: m.FrameworkVersion) -> None:
    for item in _items(session, source):
        session.add(m.Item(**item.model_dump(exclude={"id", "version_id"}), version_id=target.id))
    for assoc in _associations(session, source):
        session.add(m.Association(**assoc.model_dump(exclude={"id", "version_id"}), version_id=target.id))
    for descriptor in session.exec(select(m.LevelDescriptor).where(m.LevelDescriptor.version_id == source.id)):
        session.add(m.LevelDescriptor(**descriptor.model_dump(exclude={"id", "version_id"}), version_id=target.id))
    scale, levels = _scale(session, source)
    if scale is not None:
        _write_scale(
            session,
            target,
            scale.title,
            scale.description,
            [LevelContent(lv.code, lv.position, lv.title, lv.description, lv.proficient_threshold) for lv in levels],
            identifier=scale.identifier,
        )


def _write_scale(
    session: Session,
    version: m.FrameworkVersion,
    title: str,
    description: str | None,
    levels: Iterable[LevelContent],
    identifier: uuid.UUID | None = None,
) -> m.Scale:
    scale = m.Scale(version_id=version.id, title=title, description=description, identifier=identifier or uuid.uuid4())
    session.add(scale)
    session.flush()
    for level in levels:
        session.add(m.ScaleLevel(scale_id=scale.id, **asdict(level)))
    return scale


def _check_parent(session: Session, version: m.FrameworkVersion, parent: uuid.UUID | None, field: str) -> None:
    if (
        parent is not None
        and session.exec(select(m.Item.id).where(m.Item.version_id == version.id, m.Item.identifier == parent)).first()
        is None
    ):
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
    session.exec(
        delete(m.Association).where(
            m.Association.version_id == version.id,
            m.Association.type == AssociationType.is_child_of,
            m.Association.origin == child,
        )
    )
    if parent is not None:
        if parent == child or parent in _descendants(session, version, child):
            raise unprocessable(
                "An item cannot be moved under itself or its descendants.",
                [{"field": "body.parent", "message": "would create a cycle", "type": "cycle"}],
                slug="cycle",
            )
        session.add(
            m.Association(version_id=version.id, type=AssociationType.is_child_of, origin=child, destination=parent)
        )


def _descendants(session: Session, version: m.FrameworkVersion, root: uuid.UUID) -> set[uuid.UUID]:
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for child, parent in _parent_map(_associations(session, version)).items():
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
    parents = _parent_map(_associations(session, version))
    siblings = [i.sequence for i in _items(session, version) if parents.get(i.identifier) == parent]
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
    if session.exec(select(m.Item.id).where(m.Item.version_id == version.id, m.Item.identifier == identifier)).first():
        raise conflict("duplicate-identifier", "An item with this identifier is already in this version.")
    sequence = data.sequence if data.sequence is not None else _next_sequence(session, version, data.parent)
    item = m.Item(
        version_id=version.id,
        identifier=identifier,
        sequence=sequence,
        **data.model_dump(exclude={"parent", "sequence", "identifier"}),
    )
    session.add(item)
    session.flush()
    _set_parent(session, version, item.identifier, data.parent)
    _touch(version)
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
    parent_before = _parents_of(session, version, [item.identifier]).get(item.identifier)
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
    _touch(version)
    after_parent = (
        _parents_of(session, version, [item.identifier]).get(item.identifier)
        if "parent" in data.model_fields_set
        else parent_before
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
    has_children = session.exec(
        select(m.Association.id).where(
            m.Association.version_id == version.id,
            m.Association.type == AssociationType.is_child_of,
            m.Association.destination == item.identifier,
        )
    ).first()
    if has_children:
        raise conflict("item-has-children", f"Item {item.code} has child items; move or delete them first.")
    before = _item_snapshot(item, _parents_of(session, version, [item.identifier]).get(item.identifier))
    session.exec(
        delete(m.Association).where(
            m.Association.version_id == version.id,
            or_(m.Association.origin == item.identifier, m.Association.destination == item.identifier),
        )
    )
    session.exec(
        delete(m.LevelDescriptor).where(
            m.LevelDescriptor.version_id == version.id, m.LevelDescriptor.item == item.identifier
        )
    )
    session.delete(item)
    _touch(version)
    audit.record(session, principal, "item.delete", "item", item.identifier, before=before)


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
    assoc = m.Association(version_id=version.id, **data.model_dump())
    session.add(assoc)
    session.flush()
    _touch(version)
    audit.record(
        session, principal, "association.create", "association", assoc.identifier, after=data.model_dump(mode="json")
    )
    return assoc


def get_association(session: Session, version: m.FrameworkVersion, identifier: uuid.UUID) -> m.Association:
    assoc = session.exec(
        select(m.Association).where(m.Association.version_id == version.id, m.Association.identifier == identifier)
    ).first()
    if assoc is None or assoc.type == AssociationType.is_child_of:
        raise not_found("association in this version")
    return assoc


def delete_association(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework, assoc: m.Association
) -> None:
    require_draft(principal, version, framework)
    before = assoc.model_dump(mode="json", exclude={"id", "version_id"})
    session.delete(assoc)
    _touch(version)
    audit.record(session, principal, "association.delete", "association", assoc.identifier, before=before)


def _level_codes(session: Session, version: m.FrameworkVersion) -> list[str]:
    return [lv.code for lv in _scale(session, version)[1]]


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
    codes = _level_codes(session, version)
    if level not in codes:
        raise not_found(f"level '{level}' on this version's scale (levels: {', '.join(codes)})")
    row = session.exec(
        select(m.LevelDescriptor).where(
            m.LevelDescriptor.version_id == version.id,
            m.LevelDescriptor.item == item.identifier,
            m.LevelDescriptor.level == level,
        )
    ).first()
    before = {"description": row.description} if row else None
    if row is None:
        row = m.LevelDescriptor(version_id=version.id, item=item.identifier, level=level, description=text)
    else:
        row.description = text
    session.add(row)
    _touch(version)
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
    row = session.exec(
        select(m.LevelDescriptor).where(
            m.LevelDescriptor.version_id == version.id,
            m.LevelDescriptor.item == item.identifier,
            m.LevelDescriptor.level == level,
        )
    ).first()
    if row is None:
        raise not_found("descriptor for that level")
    session.delete(row)
    _touch(version)
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
    scale, levels = _scale(session, version)
    before = {"title": scale.title, "levels": [lv.code for lv in levels]} if scale else None
    identifier = scale.identifier if scale else None
    if scale is not None:
        session.exec(delete(m.ScaleLevel).where(m.ScaleLevel.scale_id == scale.id))
        session.delete(scale)
        session.flush()
    session.exec(
        delete(m.LevelDescriptor).where(
            m.LevelDescriptor.version_id == version.id, col(m.LevelDescriptor.level).not_in(codes)
        )
    )
    _write_scale(
        session,
        version,
        data.title,
        data.description,
        [LevelContent(**lv.model_dump()) for lv in sorted(data.levels, key=lambda lv: lv.position)],
        identifier=identifier,
    )
    _touch(version)
    audit.record(
        session,
        principal,
        "scale.put",
        "framework_version",
        version.uid,
        before=before,
        after=data.model_dump(mode="json"),
    )


def publication_check(
    session: Session, version: m.FrameworkVersion, framework: m.Framework, change_note: str | None = None
) -> m.PublicationCheck:
    content = load_content(session, version, framework)
    problems = publication_problems(content, change_note or version.change_note)
    return m.PublicationCheck(
        publishable=not problems,
        problems=[
            m.PublicationProblemPublic(code=p.code, message=p.message, item=p.item, level=p.level) for p in problems
        ],
    )


def publish(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework, change_note: str | None
) -> m.FrameworkVersion:
    require_draft(principal, version, framework)
    note = (change_note or version.change_note or "").strip() or None
    check = publication_check(session, version, framework, note)
    if not check.publishable:
        raise ProblemError(
            422,
            "publication-refused",
            f"The draft cannot be published yet: {len(check.problems)} problem(s) to fix.",
            title="Publication refused",
            problems=[p.model_dump(mode="json") for p in check.problems],
        )
    version.change_note = note
    version.content_hash = content_hash(load_content(session, version, framework))
    version.status = VersionStatus.published
    version.published_at = utcnow()
    _touch(version)
    session.add(version)
    audit.record(
        session,
        principal,
        "version.publish",
        "framework_version",
        version.uid,
        before={"status": "draft"},
        after={"status": "published", "content_hash": version.content_hash, "change_note": note},
    )
    return version


def deprecate(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework
) -> m.FrameworkVersion:
    _require_owner(principal, framework)
    if version.status != VersionStatus.published:
        raise conflict("not-published", f"Only a published version can be deprecated; this one is {version.status}.")
    version.status = VersionStatus.deprecated
    version.deprecated_at = utcnow()
    _touch(version)
    session.add(version)
    audit.record(
        session,
        principal,
        "version.deprecate",
        "framework_version",
        version.uid,
        before={"status": "published"},
        after={"status": "deprecated"},
    )
    return version


def discard_draft(session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework) -> None:
    """Throw a draft away with everything in it; published versions are kept forever."""
    require_draft(principal, version, framework)
    scale, _ = _scale(session, version)
    if scale is not None:
        session.exec(delete(m.ScaleLevel).where(m.ScaleLevel.scale_id == scale.id))
        session.delete(scale)
    for table in (m.Association, m.LevelDescriptor, m.Item):
        session.exec(delete(table).where(table.version_id == version.id))
    session.delete(version)
    audit.record(
        session,
        principal,
        "version.discard",
        "framework_version",
        version.uid,
        before={"version": version.version, "status": version.status},
    )


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
    before = {
        "items": session.exec(select(func.count()).select_from(m.Item).where(m.Item.version_id == version.id)).one()
    }
    for table in (m.Association, m.LevelDescriptor, m.Item):
        session.exec(delete(table).where(table.version_id == version.id))
    items = list(items)
    session.add_all(m.Item(version_id=version.id, **asdict(i)) for i in items)
    associations = list(associations)
    session.add_all(
        m.Association(
            version_id=version.id, identifier=a.identifier, type=a.type, origin=a.origin, destination=a.destination
        )
        for a in associations
    )
    descriptors = list(descriptors)
    session.add_all(
        m.LevelDescriptor(version_id=version.id, item=d.item, level=d.level, description=d.description)
        for d in descriptors
    )
    session.flush()
    _touch(version)
    audit.record(
        session,
        principal,
        action,
        "framework_version",
        version.uid,
        before=before,
        after={"items": len(items), "associations": len(associations), "descriptors": len(descriptors)},
    )
