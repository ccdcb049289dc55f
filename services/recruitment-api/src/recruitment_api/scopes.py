"""The scopes recruitment-api's tokens carry, named once."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    READ = "recruitment:read"  # vacancies, blind candidate views
    SCORE = "recruitment:score"  # one's own score sheets on a panel
    ADMIN = "recruitment:admin"  # design, panels, candidates' identity, results, decisions
    EQUALITY_READ = "equality:read"  # equality monitoring and adverse impact
    EQUALITY_WRITE = "equality:write"  # recording candidates' equality answers


# The scope recruitment-api's own token asks of framework-api, to take a criteria snapshot.
FRAMEWORK_READ = "framework:read"
