"""Roles a person holds in the web, and the scopes each grants in the services' tokens."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    framework_editor = "framework_editor"
    manager = "manager"
    recruitment_admin = "recruitment_admin"
    assessor = "assessor"
    equality_officer = "equality_officer"
    regional_lead = "regional_lead"


# Scopes that only the web checks; they never go into a token for a service.
WEB_ONLY_SCOPES = frozenset({"users:admin"})

SERVICE_SCOPES = frozenset(
    {
        "framework:read",
        "framework:write",
        "recruitment:read",
        "recruitment:admin",
        "recruitment:score",
        "equality:read",
        "monitoring:read",
        "monitoring:write",
        "monitoring:admin",
        "monitoring:regional",
        "survey:ingest",  # monitoring-api: a culture survey's responses into an open wave
    }
)
# Seeing every organisation side by side is for the Department of Health and SPPG: a role of its
# own, never part of an organisation's administrator.
REGIONAL_SCOPES = frozenset({"monitoring:regional"})

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.admin: (SERVICE_SCOPES - REGIONAL_SCOPES) | WEB_ONLY_SCOPES,
    Role.framework_editor: frozenset({"framework:read", "framework:write"}),
    Role.manager: frozenset({"framework:read", "monitoring:read", "monitoring:write"}),
    Role.recruitment_admin: frozenset({"framework:read", "recruitment:read", "recruitment:admin"}),
    Role.assessor: frozenset({"framework:read", "recruitment:read", "recruitment:score"}),
    Role.equality_officer: frozenset({"recruitment:read", "equality:read"}),
    Role.regional_lead: frozenset({"framework:read", "monitoring:read", "monitoring:regional"}),
}

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.admin: ("Administrator", "Manages the users of their organisation and can do everything below."),
    Role.framework_editor: ("Framework editor", "Drafts and publishes versions of the leadership framework."),
    Role.manager: (
        "Manager",
        "Reads the framework and the monitoring of outcomes; checks in on the plan and records values.",
    ),
    Role.recruitment_admin: ("Recruitment administrator", "Sets up vacancies, assessments and panels."),
    Role.assessor: ("Assessor", "Scores candidates against the framework's values."),
    Role.equality_officer: ("Equality officer", "Reads recruitment and its equality and fairness reports."),
    Role.regional_lead: (
        "Regional lead",
        "Department of Health or SPPG: sees every organisation's plan and indicators side by side.",
    ),
}


def parse_roles(values: Iterable[str]) -> list[Role]:
    """Known roles in their canonical order; unknown names are dropped."""
    wanted = set(values)
    return [role for role in Role if role.value in wanted]


def scopes_for(roles: Iterable[str]) -> frozenset[str]:
    scopes: set[str] = set()
    for role in parse_roles(roles):
        scopes |= ROLE_SCOPES[role]
    return frozenset(scopes)


def service_scopes_for(roles: Iterable[str]) -> frozenset[str]:
    """The scopes that go into a token for a service (the web-only ones left out)."""
    return scopes_for(roles) - WEB_ONLY_SCOPES
