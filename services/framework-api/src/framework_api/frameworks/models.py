"""Tables of the framework and the API schemas built on them (CASE 1.1 aligned).

A framework has versions; each version holds its own copy of items, associations, scale and
level descriptors, so a published version never changes. An item's `identifier` is the same in
every version for as long as its meaning is; integer keys stay inside the service.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydField
from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from framework_api.frameworks.content import AssociationType, Audience, ItemType, VersionStatus
from servicekit.audit import utcnow

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


# --- tables ---------------------------------------------------------------------------------


class Framework(SQLModel, table=True):
    __tablename__ = "framework"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    owner_org: str = Field(max_length=50, index=True)
    title: str = Field(max_length=300)
    description: str | None = None
    publisher: str | None = Field(default=None, max_length=300)
    subject: str | None = Field(default=None, max_length=300)
    language: str = Field(default="en", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class FrameworkVersion(SQLModel, table=True):
    __tablename__ = "framework_version"
    __table_args__ = (UniqueConstraint("framework_id", "version", name="uq_framework_version"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    version: str = Field(max_length=50)
    major: int
    minor: int
    patch: int
    status: str = Field(default=VersionStatus.draft.value, sa_type=String(20))
    change_note: str | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    supersedes_id: int | None = Field(default=None, foreign_key="framework_version.id")
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    deprecated_at: datetime | None = None


class Item(SQLModel, table=True):
    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("version_id", "identifier", name="uq_item_identifier"),
        UniqueConstraint("version_id", "code", name="uq_item_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id", index=True)
    identifier: uuid.UUID = Field(index=True)
    type: str = Field(sa_type=String(40), index=True)  # an ItemType
    code: str = Field(max_length=50)
    statement: str
    description: str | None = None
    audience: str = Field(default=Audience.all_staff.value, sa_type=String(40))  # an Audience
    sequence: int = 0
    source: str | None = Field(default=None, max_length=500)


class Association(SQLModel, table=True):
    """origin -> destination; for is_child_of the origin is the child and the destination its parent."""

    __tablename__ = "association"
    __table_args__ = (
        UniqueConstraint("version_id", "identifier", name="uq_association_identifier"),
        UniqueConstraint("version_id", "type", "origin", "destination", name="uq_association_link"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id", index=True)
    identifier: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(sa_type=String(40))  # an AssociationType
    origin: uuid.UUID = Field(index=True)
    destination: uuid.UUID = Field(index=True)


class Scale(SQLModel, table=True):
    __tablename__ = "scale"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id", unique=True)
    identifier: uuid.UUID = Field(default_factory=uuid.uuid4)
    title: str = Field(max_length=300)
    description: str | None = None


class ScaleLevel(SQLModel, table=True):
    __tablename__ = "scale_level"
    __table_args__ = (UniqueConstraint("scale_id", "code", name="uq_scale_level_code"),)

    id: int | None = Field(default=None, primary_key=True)
    scale_id: int = Field(foreign_key="scale.id", index=True)
    code: str = Field(max_length=50)
    position: int
    title: str = Field(max_length=200)
    description: str | None = None
    proficient_threshold: bool = False


class LevelDescriptor(SQLModel, table=True):
    __tablename__ = "level_descriptor"
    __table_args__ = (UniqueConstraint("version_id", "item", "level", name="uq_level_descriptor"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id", index=True)
    item: uuid.UUID = Field(index=True)
    level: str = Field(max_length=50)
    description: str


# --- API schemas ----------------------------------------------------------------------------


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class VersionSummary(Schema):
    id: uuid.UUID
    framework_id: uuid.UUID
    version: str = PydField(examples=["1.0.0"])
    status: VersionStatus
    change_note: str | None = None
    content_hash: str | None = None
    supersedes_id: uuid.UUID | None = None
    created_at: datetime
    published_at: datetime | None = None
    deprecated_at: datetime | None = None


class FrameworkPublic(Schema):
    id: uuid.UUID
    title: str = PydField(examples=["HSC Collective Leadership Framework"])
    description: str | None = None
    publisher: str | None = None
    subject: str | None = None
    language: str
    owner_org: str = PydField(examples=["BSO"])
    created_at: datetime
    latest_published: VersionSummary | None = None
    versions: list[VersionSummary] = []


class FrameworkRef(Schema):
    id: uuid.UUID
    title: str


class LevelPublic(Schema):
    code: str = PydField(examples=["proficient"])
    position: int = PydField(examples=[2])
    title: str = PydField(examples=["Proficient"])
    description: str | None = None
    proficient_threshold: bool = False


class ScalePublic(Schema):
    id: uuid.UUID
    title: str
    description: str | None = None
    levels: list[LevelPublic]


class VersionPublic(VersionSummary):
    framework: FrameworkRef
    scale: ScalePublic | None = None
    item_count: int


class ItemRef(Schema):
    identifier: uuid.UUID
    code: str = PydField(examples=["V1"])
    type: ItemType
    statement: str = PydField(examples=["Working Together"])


class ItemPublic(Schema):
    identifier: uuid.UUID
    version_id: uuid.UUID
    type: ItemType
    code: str = PydField(examples=["C1.AS.1"])
    statement: str
    description: str | None = None
    audience: Audience
    sequence: int
    source: str | None = PydField(default=None, examples=["Our Approach: Leadership is the responsibility of all"])
    parent: uuid.UUID | None = None


class DescriptorPublic(Schema):
    level: str
    level_title: str
    position: int
    proficient_threshold: bool = False
    description: str


class AssociationPublic(Schema):
    id: uuid.UUID
    type: AssociationType
    direction: str = PydField(
        description="outgoing: this item is the origin; incoming: it is the destination", examples=["outgoing"]
    )
    other: ItemRef


class ItemDetail(ItemPublic):
    parent_item: ItemRef | None = None
    children: list[ItemRef] = []
    descriptors: list[DescriptorPublic] = []
    associations: list[AssociationPublic] = []


class ItemNode(Schema):
    identifier: uuid.UUID
    type: ItemType
    code: str
    statement: str
    description: str | None = None
    audience: Audience
    sequence: int
    source: str | None = None
    children: list[ItemNode] = []


class VersionTree(Schema):
    version: VersionSummary
    framework: FrameworkRef
    scale: ScalePublic | None = None
    items: list[ItemNode]


# --- write schemas --------------------------------------------------------------------------


def _semver(value: str) -> str:
    if not SEMVER.match(value):
        raise ValueError("must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.1.0")
    return value


class FrameworkCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Southern Trust Leadership Framework",
                    "description": "Local capabilities that extend the regional framework.",
                    "publisher": "Southern HSC Trust",
                    "version": "0.1.0",
                }
            ]
        },
    )

    title: str = PydField(min_length=1, max_length=300)
    description: str | None = PydField(default=None, max_length=5000)
    publisher: str | None = PydField(default=None, max_length=300)
    subject: str | None = PydField(default=None, max_length=300)
    language: str = PydField(default="en", min_length=2, max_length=20)
    version: str = PydField(default="0.1.0", description="Semantic version of the first draft.")

    _check_version = field_validator("version")(_semver)


class VersionCreate(BaseModel):
    """A new draft copied from the latest published version."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"version": "1.1.0", "change_note": "Adds team working indicators."}]},
    )

    version: str = PydField(description="Must be greater than every existing version.")
    change_note: str | None = PydField(default=None, max_length=5000)

    _check_version = field_validator("version")(_semver)


class ItemCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "C2.TL.4",
                    "type": "capability",
                    "statement": "Reviews how the team works with other teams",
                    "audience": "team_leaders",
                    "parent": "5f0c7c9e-8a8e-4b8f-9d55-3f7f0b1e2a10",
                    "source": "Our Approach: Shared leadership in and across teams",
                }
            ]
        },
    )

    code: str = PydField(min_length=1, max_length=50, pattern=r"^\S+$")
    type: ItemType
    statement: str = PydField(min_length=1, max_length=5000)
    description: str | None = PydField(default=None, max_length=10000)
    audience: Audience = Audience.all_staff
    sequence: int | None = PydField(
        default=None, ge=0, le=100000, description="Position among siblings; last if omitted."
    )
    source: str | None = PydField(default=None, max_length=500)
    parent: uuid.UUID | None = PydField(default=None, description="Identifier of the parent item (is_child_of).")
    identifier: uuid.UUID | None = PydField(
        default=None, description="Keep an identifier from elsewhere (e.g. an exactMatch); new if omitted."
    )


class ItemUpdate(BaseModel):
    """Only the fields sent change. Rewording keeps the identifier; a change of meaning should be a
    new item with a replaced_by association instead."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"statement": "Listens with intent"}]})

    code: str | None = PydField(default=None, min_length=1, max_length=50, pattern=r"^\S+$")
    type: ItemType | None = None
    statement: str | None = PydField(default=None, min_length=1, max_length=5000)
    description: str | None = PydField(default=None, max_length=10000)
    audience: Audience | None = None
    sequence: int | None = PydField(default=None, ge=0, le=100000)
    source: str | None = PydField(default=None, max_length=500)
    parent: uuid.UUID | None = PydField(default=None, description="Move under another parent; null makes it a root.")


class AssociationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "is_related_to",
                    "origin": "5f0c7c9e-8a8e-4b8f-9d55-3f7f0b1e2a10",
                    "destination": "0b8f6a51-7a55-4c34-a2c4-0c8f0f4b9d21",
                }
            ]
        },
    )

    type: AssociationType
    origin: uuid.UUID
    destination: uuid.UUID


class DescriptorWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"description": "Consistently listens with intent and acts on what is heard."}]
        },
    )

    description: str = PydField(min_length=1, max_length=10000)


class LevelWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = PydField(min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")
    position: int = PydField(ge=1, le=100)
    title: str = PydField(min_length=1, max_length=200)
    description: str | None = PydField(default=None, max_length=5000)
    proficient_threshold: bool = False


class ScaleWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Proficiency",
                    "levels": [
                        {"code": "essential", "position": 1, "title": "Essential"},
                        {"code": "proficient", "position": 2, "title": "Proficient", "proficient_threshold": True},
                        {"code": "strong", "position": 3, "title": "Strong"},
                        {"code": "exemplary", "position": 4, "title": "Exemplary"},
                    ],
                }
            ]
        },
    )

    title: str = PydField(min_length=1, max_length=300)
    description: str | None = PydField(default=None, max_length=5000)
    levels: list[LevelWrite] = PydField(min_length=2, max_length=10)


class PublishRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"change_note": "Rewords two capabilities for clarity."}]},
    )

    change_note: str | None = PydField(default=None, max_length=5000, description="Required unless the draft has one.")


class PublicationProblemPublic(BaseModel):
    code: str = PydField(examples=["missing-descriptor"])
    message: str
    item: uuid.UUID | None = None
    level: str | None = None


class PublicationCheck(BaseModel):
    publishable: bool
    problems: list[PublicationProblemPublic]


class ImportResult(BaseModel):
    version: VersionSummary
    items: int
    associations: int
    descriptors: int
