"""A framework's life: created with a first draft; a new draft copied from the latest published
version; checked and published (it never changes again); deprecated; or, as a draft, discarded.

Callers commit; every step appends an audit record.
"""

from __future__ import annotations

from sqlmodel import Session

from framework_api.frameworks import models as m
from framework_api.frameworks.content import LevelContent, VersionStatus, content_hash
from framework_api.frameworks.publishing import publication_problems
from framework_api.frameworks.service import queries
from framework_api.frameworks.service.drafts import audit_version, require_draft, require_owner, touch
from framework_api.frameworks.service.reading import load_content
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import ProblemError, conflict, unprocessable

DEFAULT_LEVELS = (
    LevelContent("essential", 1, "Essential", "Shows the capability with support, in familiar situations."),
    LevelContent("proficient", 2, "Proficient", "Shows the capability reliably in everyday work.", True),
    LevelContent("strong", 3, "Strong", "Shows the capability in complex situations and helps others to."),
    LevelContent("exemplary", 4, "Exemplary", "A role model who shapes how others show the capability."),
)


# --- creating -------------------------------------------------------------------------------


def _semver_parts(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in text.split("."))
    return major, minor, patch


def _new_version_row(framework: m.Framework, version: str, principal: Principal, **extra) -> m.FrameworkVersion:
    major, minor, patch = _semver_parts(version)
    return m.FrameworkVersion(
        framework_id=key_of(framework),
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
    queries.write_scale(session, version, "Proficiency", None, DEFAULT_LEVELS)
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
    require_owner(principal, framework)
    existing = list(session.exec(queries.framework_versions(framework)))
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
    audit_version(
        session, principal, "version.create", draft, after={"version": draft.version, "copied_from": str(source.uid)}
    )
    return draft


def _copy_content(session: Session, source: m.FrameworkVersion, target: m.FrameworkVersion) -> None:
    """Copy every row of `source` (items, associations, descriptors, the scale) into `target`."""
    for rows_of in (queries.items, queries.associations, queries.descriptors):
        for row in rows_of(session, source):
            session.add(type(row)(**row.model_dump(exclude={"id", "version_id"}), version_id=key_of(target)))
    scale, levels = queries.scale_of(session, source)
    if scale is not None:
        queries.write_scale(
            session,
            target,
            scale.title,
            scale.description,
            queries.level_contents(levels),
            identifier=scale.identifier,
        )


# --- publishing -----------------------------------------------------------------------------


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
    version.published_at = utcnow()
    return _change_status(
        session,
        principal,
        version,
        VersionStatus.published,
        "version.publish",
        content_hash=version.content_hash,
        change_note=note,
    )


# --- after publication, or instead of it ----------------------------------------------------


def deprecate(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework
) -> m.FrameworkVersion:
    require_owner(principal, framework)
    if version.status != VersionStatus.published:
        raise conflict("not-published", f"Only a published version can be deprecated; this one is {version.status}.")
    version.deprecated_at = utcnow()
    return _change_status(session, principal, version, VersionStatus.deprecated, "version.deprecate")


def _change_status(
    session: Session,
    principal: Principal,
    version: m.FrameworkVersion,
    status: VersionStatus,
    action: str,
    **recorded,
) -> m.FrameworkVersion:
    """Move the version to `status`; the audit record says from what, and what else is `recorded`."""
    before = version.status
    version.status = status
    touch(version)
    session.add(version)
    audit_version(session, principal, action, version, {"status": before}, {"status": status.value, **recorded})
    return version


def discard_draft(session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework) -> None:
    """Throw a draft away with everything in it; published versions are kept forever."""
    require_draft(principal, version, framework)
    scale, _ = queries.scale_of(session, version)
    if scale is not None:
        queries.delete_scale(session, scale)
    queries.delete_content(session, version)
    session.delete(version)
    audit_version(
        session, principal, "version.discard", version, {"version": version.version, "status": version.status}
    )
