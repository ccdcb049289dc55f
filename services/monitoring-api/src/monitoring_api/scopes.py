"""The scopes monitoring-api's tokens carry, named once."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    READ = "monitoring:read"  # the organisation's subtree: structure, plan, indicators, charts
    WRITE = "monitoring:write"  # values, check-ins, chart choices
    ADMIN = "monitoring:admin"  # definitions, structure, plan items
    REGIONAL = "monitoring:regional"  # every organisation, side by side
    SURVEY_INGEST = "survey:ingest"  # survey tools: responses into an open wave of their organisation
