"""The scopes framework-api's tokens carry, named once."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    READ = "framework:read"  # read frameworks, versions, items and exports
    WRITE = "framework:write"  # create and edit the drafts of one's own organisation, publish, deprecate
