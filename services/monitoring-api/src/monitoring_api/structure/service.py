"""Organisation structure: who sees which units, subtrees by path prefix, creation and CSV import.

A token sees its own organisation's subtree; with `monitoring:regional` (Department of Health,
SPPG) it sees every organisation. Anything outside is simply not found. Writes stay in the
caller's own organisation whatever its scopes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement
from sqlmodel import Session, and_, col, select

from monitoring_api.scopes import Scope
from monitoring_api.structure import models as m
from monitoring_api.structure.csv_format import UnitRow
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import conflict, not_found, unprocessable
from servicekit.etags import strong_etag
from servicekit.pagination import cursor_value, paginate


def is_regional(principal: Principal) -> bool:
    return principal.has(Scope.REGIONAL)


def visible(principal: Principal, org_column) -> ColumnElement[bool] | bool:
    """Condition on an `org` column: the caller's organisation, or every one for a regional caller."""
    return True if is_regional(principal) else org_column == principal.org


def can_see_org(principal: Principal, org: str | None) -> bool:
    """`org` None is regional data (seen by everyone)."""
    return org is None or is_regional(principal) or org == principal.org


def in_subtree(path_column, prefix: str) -> ColumnElement[bool]:
    """Every unit at or under the unit with path `prefix`: one range on the path index."""
    return and_(path_column >= prefix, path_column < m.upper_bound(prefix))


def get_unit(session: Session, principal: Principal, uid: uuid.UUID) -> m.OrgUnit:
    unit = session.exec(select(m.OrgUnit).where(m.OrgUnit.uid == uid)).first()
    if unit is None or not can_see_org(principal, unit.org):
        raise not_found("organisation unit")
    return unit


def organisation_root(session: Session, org: str) -> m.OrgUnit:
    root = session.exec(select(m.OrgUnit).where(m.OrgUnit.path == f"/{org}/")).first()
    if root is None:
        raise not_found(f"organisation {org} in the structure (an organisation")
    return root


def organisations(session: Session, principal: Principal) -> list[m.OrgUnit]:
    query = select(m.OrgUnit).where(m.OrgUnit.level == 1, visible(principal, m.OrgUnit.org))
    return list(session.exec(query.order_by(m.OrgUnit.code)))


def units_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, m.OrgUnit]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {key_of(u): u for u in session.exec(select(m.OrgUnit).where(col(m.OrgUnit.id).in_(wanted)))}


def list_units(
    session: Session,
    principal: Principal,
    under: m.OrgUnit | None,
    kind: str | None,
    level: int | None,
    limit: int,
    after: dict | None,
) -> tuple[list[m.OrgUnit], dict | None]:
    """Units in path order (each parent before its children): a subtree, or everything visible."""
    query = select(m.OrgUnit).where(visible(principal, m.OrgUnit.org))
    if under is not None:
        query = query.where(in_subtree(m.OrgUnit.path, under.path))
    if kind:
        query = query.where(m.OrgUnit.kind == kind)
    if level:
        query = query.where(m.OrgUnit.level == level)
    if after:
        query = query.where(m.OrgUnit.path > cursor_value(after, "path", str))
    rows = list(session.exec(query.order_by(m.OrgUnit.path).limit(limit + 1)))
    return paginate(rows, limit, lambda u: {"path": u.path})


def unit_public(unit: m.OrgUnit, parent: m.OrgUnit | None) -> m.UnitPublic:
    return m.UnitPublic(
        id=unit.uid,
        org=unit.org,
        code=unit.code,
        name=unit.name,
        kind=m.UnitKind(unit.kind),
        level=unit.level,
        path=unit.path,
        parent=unit_ref(parent) if parent is not None else None,
        demo=unit.demo,
        created_at=unit.created_at,
        updated_at=unit.updated_at,
    )


def unit_ref(unit: m.OrgUnit) -> m.UnitRef:
    return m.UnitRef(id=unit.uid, code=unit.code, name=unit.name, path=unit.path)


def units_public(session: Session, units: list[m.OrgUnit]) -> list[m.UnitPublic]:
    parents = units_by_id(session, (u.parent_id for u in units))
    return [unit_public(u, parents.get(u.parent_id) if u.parent_id is not None else None) for u in units]


def unit_etag(unit: m.OrgUnit) -> str:
    return strong_etag(f"{unit.uid}:{unit.updated_at.isoformat()}:{unit.name}")


def _child(parent: m.OrgUnit, code: str, name: str, kind: str, demo: bool = False) -> m.OrgUnit:
    return m.OrgUnit(
        org=parent.org,
        code=code,
        name=name,
        kind=kind,
        level=parent.level + 1,
        parent_id=parent.id,
        path=f"{parent.path}{code}/",
        demo=demo,
    )


def create_unit(session: Session, principal: Principal, data: m.UnitCreate, demo: bool = False) -> m.OrgUnit:
    if data.kind == m.UnitKind.organisation:
        raise unprocessable(
            "Organisations are seeded; create directorates and teams under them.",
            [{"field": "body.kind", "message": "directorate or team"}],
        )
    root = organisation_root(session, principal.org)
    existing = {u.code: u for u in session.exec(select(m.OrgUnit).where(m.OrgUnit.org == principal.org))}
    if data.code in existing:
        raise conflict("unit-exists", f"Your organisation already has a unit {data.code}.")
    parent = root if data.parent in (None, principal.org) else existing.get(data.parent)
    if parent is None:
        raise unprocessable(
            f"No unit {data.parent} in your organisation.",
            [{"field": "body.parent", "message": "no such unit in your organisation"}],
        )
    if parent.level >= m.MAX_DEPTH:
        raise unprocessable(
            f"Units nest at most {m.MAX_DEPTH} levels deep.",
            [{"field": "body.parent", "message": f"{parent.code} is already {parent.level} levels deep"}],
        )
    unit = _child(parent, data.code, data.name, data.kind, demo)
    session.add(unit)
    session.flush()
    audit.record(session, principal, "unit.create", "org_unit", unit.uid, after=data.model_dump(mode="json"))
    return unit


def rename_unit(session: Session, principal: Principal, unit: m.OrgUnit, data: m.UnitUpdate) -> m.OrgUnit:
    if unit.org != principal.org:
        raise not_found("organisation unit")
    before = {"name": unit.name}
    unit.name = data.name
    unit.updated_at = utcnow()
    session.add(unit)
    audit.record(session, principal, "unit.rename", "org_unit", unit.uid, before=before, after={"name": data.name})
    return unit


def import_units(
    session: Session, principal: Principal, rows: list[UnitRow], demo: bool = False
) -> list[tuple[UnitRow, m.OrgUnit, str]]:
    """All or nothing: units are created parents first (a row may name a parent on a later row),
    renamed when only the name changed, and left alone when identical. Every problem names its row."""
    root = organisation_root(session, principal.org)
    existing = {u.code: u for u in session.exec(select(m.OrgUnit).where(m.OrgUnit.org == principal.org))}
    by_id = {u.id: u for u in existing.values()}
    in_file = {r.code: r for r in rows}
    errors: list[dict] = []
    for r in rows:
        if r.parent is not None and r.parent not in existing and r.parent not in in_file:
            errors.append(
                {"row": r.row, "field": "parent", "message": f"no unit {r.parent} in the file or your organisation"}
            )
        current = existing.get(r.code)
        if current is not None:
            now_under = by_id.get(current.parent_id)
            wanted = r.parent or principal.org
            if now_under is None or now_under.code != wanted:
                errors.append(
                    {
                        "row": r.row,
                        "field": "parent",
                        "message": f"{r.code} is under {now_under.code if now_under else '-'}; "
                        "moving a unit is not supported",
                    }
                )
            elif current.kind != r.kind:
                errors.append({"row": r.row, "field": "kind", "message": f"{r.code} is a {current.kind}"})
    if errors:
        raise unprocessable(
            f"{len(errors)} problem(s) in the import; nothing was imported.", errors[:1000], slug="import-invalid"
        )
    outcome: dict[str, tuple[m.OrgUnit, str]] = {}
    pending = [r for r in rows]
    while pending:
        progressed, waiting = False, []
        for r in pending:
            parent = (
                root if r.parent is None else (outcome[r.parent][0] if r.parent in outcome else existing.get(r.parent))
            )
            if r.parent is not None and r.parent in in_file and r.parent not in outcome and r.parent not in existing:
                waiting.append(r)
                continue
            assert parent is not None
            current = existing.get(r.code)
            if current is not None:
                if current.name != r.name:
                    before = {"name": current.name}
                    current.name, current.updated_at = r.name, utcnow()
                    session.add(current)
                    audit.record(
                        session,
                        principal,
                        "unit.rename",
                        "org_unit",
                        current.uid,
                        before=before,
                        after={"name": r.name},
                    )
                    outcome[r.code] = (current, "renamed")
                else:
                    outcome[r.code] = (current, "unchanged")
            else:
                if parent.level >= m.MAX_DEPTH:
                    errors.append(
                        {"row": r.row, "field": "parent", "message": f"units nest at most {m.MAX_DEPTH} levels deep"}
                    )
                    outcome[r.code] = (parent, "refused")
                    continue
                unit = _child(parent, r.code, r.name, r.kind, demo)
                session.add(unit)
                session.flush()
                outcome[r.code] = (unit, "created")
            progressed = True
        if not progressed:
            errors.extend(
                {"row": r.row, "field": "parent", "message": f"{r.code} and {r.parent} are each other's ancestors"}
                for r in waiting
            )
            break
        pending = waiting
    if errors:
        raise unprocessable(
            f"{len(errors)} problem(s) in the import; nothing was imported.", errors[:1000], slug="import-invalid"
        )
    created = [u for u, how in outcome.values() if how == "created"]
    if created:
        audit.record(
            session,
            principal,
            "unit.import",
            "org_unit",
            root.uid,
            after={"created": [u.path for u in created]},
        )
    return [(r, *outcome[r.code]) for r in rows]
