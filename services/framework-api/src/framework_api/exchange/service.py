"""Exchange operations: diff, CASE export, CSV export and import. The formats themselves are
pure modules (case.py, csv_format.py, frameworks/diffing.py); this module feeds them."""

from __future__ import annotations

from dataclasses import asdict

from sqlmodel import Session

from framework_api.exchange.case import KINDS, case_object, to_cf_package
from framework_api.exchange.csv_format import CsvImportError, export_csv, parse_csv
from framework_api.exchange.models import VersionDiffPublic
from framework_api.frameworks import models as m
from framework_api.frameworks import service as frameworks
from framework_api.frameworks.diffing import diff_versions
from servicekit.auth import Principal
from servicekit.errors import not_found, unprocessable

Located = tuple[m.FrameworkVersion, m.Framework]


def diff(session: Session, old: Located, new: Located) -> VersionDiffPublic:
    result = diff_versions(frameworks.load_content(session, *old), frameworks.load_content(session, *new))
    uids = frameworks.uid_map(session, [old[0].supersedes_id, new[0].supersedes_id])
    return VersionDiffPublic.model_validate(
        {
            "from": frameworks.version_summary(old[0], old[1], uids),
            "to": frameworks.version_summary(new[0], new[1], uids),
            **asdict(result),
        }
    )


def case_package(session: Session, version: m.FrameworkVersion, framework: m.Framework, base_url: str) -> dict:
    last_change = (version.published_at or version.updated_at).isoformat()
    return to_cf_package(frameworks.load_content(session, version, framework), base_url, last_change)


def case_entry(
    session: Session, version: m.FrameworkVersion, framework: m.Framework, base_url: str, kind: str, identifier: str
) -> dict:
    """One object of the version's CASE package, as GET <uri> answers it; 404 if there is none."""
    found = case_object(case_package(session, version, framework, base_url), kind, identifier, base_url)
    if found is None:
        raise not_found(f"{KINDS[kind]} in this version")
    return found


def csv_export(session: Session, version: m.FrameworkVersion, framework: m.Framework) -> str:
    return export_csv(frameworks.load_content(session, version, framework))


def csv_import(
    session: Session, principal: Principal, version: m.FrameworkVersion, framework: m.Framework, text: str
) -> m.ImportResult:
    content = frameworks.load_content(session, version, framework)
    known = {item.code: item.identifier for item in content.items}
    try:
        items, associations, descriptors = parse_csv(text, content.scale, known)
    except CsvImportError as exc:
        errors = [{"row": e.row, "field": e.field, "message": e.message} for e in exc.errors]
        raise unprocessable(
            f"The CSV has {len(errors)} error(s); nothing was imported. Each error names its row "
            "(row 1 is the header).",
            errors,
            slug="csv-invalid",
        ) from exc
    frameworks.replace_content(session, principal, version, framework, items, associations, descriptors)
    return m.ImportResult(
        version=frameworks.version_summary(version, framework, frameworks.uid_map(session, [version.supersedes_id])),
        items=len(items),
        associations=len(associations),
        descriptors=len(descriptors),
    )
