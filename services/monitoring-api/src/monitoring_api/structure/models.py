"""Organisation structure: the HSC organisations and, under each, directorates and teams.

Every unit carries a materialised path of codes ('/BHSCT/ACUTE/WARD7/'), indexed, so a subtree is
one range query on the index (`path >= '/BHSCT/' AND path < '/BHSCT0'`), never a walk. On
PostgreSQL the column is collated "C" (bytewise), so that range is the prefix on any server
collation; SQLite compares bytewise already.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField
from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.audit import utcnow

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,39}$"
MAX_DEPTH = 6  # organisation, then up to five levels below it


class UnitKind(StrEnum):
    organisation = "organisation"
    directorate = "directorate"
    team = "team"


# Path column: bytewise collation on PostgreSQL so that the index serves prefix ranges.
PATH_TYPE = String(500).with_variant(String(500, collation="C"), "postgresql")


class OrgUnit(SQLModel, table=True):
    __tablename__ = "org_unit"
    __table_args__ = (UniqueConstraint("org", "code", name="uq_org_unit_code"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    org: str = Field(max_length=50, index=True)  # code of the organisation at the top of the tree
    code: str = Field(max_length=50)
    name: str = Field(max_length=300)
    kind: str = Field(sa_type=String(20))
    level: int  # 1 for an organisation
    parent_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True)
    path: str = Field(sa_type=PATH_TYPE, unique=True, index=True)
    demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def upper_bound(prefix: str) -> str:
    """The smallest string after every string that starts with `prefix` (a path ending in '/')."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


# --- API schemas ----------------------------------------------------------------------------


class UnitRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    path: str


class UnitPublic(BaseModel):
    id: uuid.UUID
    org: str = PydField(description="Code of the organisation the unit belongs to.", examples=["BHSCT"])
    code: str = PydField(examples=["WARD7"])
    name: str = PydField(examples=["Ward 7 (Respiratory)"])
    kind: UnitKind
    level: int = PydField(description="1 for an organisation, 2 for the level below it, and so on.")
    path: str = PydField(description="Codes from the organisation down, e.g. /BHSCT/ACUTE/WARD7/.")
    parent: UnitRef | None = None
    demo: bool = PydField(description="Part of the demo data set (`monitoring-api seed-demo`).")
    created_at: datetime
    updated_at: datetime


class UnitCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"code": "WARD7", "name": "Ward 7 (Respiratory)", "kind": "team", "parent": "ACUTE"},
            ]
        },
    )

    code: str = PydField(pattern=CODE_PATTERN, description="Capitals, digits, - and _; unique in the organisation.")
    name: str = PydField(min_length=1, max_length=300)
    kind: UnitKind = PydField(description="directorate or team (organisations are seeded).")
    parent: str | None = PydField(
        default=None,
        pattern=CODE_PATTERN,
        description="Code of the parent unit in your organisation; omitted: directly under the organisation.",
    )


class UnitUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Ward 7 (Respiratory Unit)"}]})

    name: str = PydField(min_length=1, max_length=300)


class ImportedUnit(BaseModel):
    row: int = PydField(description="Row of the CSV (the header is row 1).")
    code: str
    id: uuid.UUID
    outcome: str = PydField(description="created, renamed or unchanged.", examples=["created"])


class UnitImportResult(BaseModel):
    created: int
    renamed: int
    unchanged: int
    units: list[ImportedUnit]
