"""API schemas of the exchange endpoints (the diff between two versions)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from framework_api.frameworks.models import ItemRef, VersionSummary


class FieldChange(BaseModel):
    field: str = Field(examples=["statement"])
    before: str | None = None
    after: str | None = None


class Reworded(BaseModel):
    item: ItemRef
    changes: list[FieldChange]


class Moved(BaseModel):
    item: ItemRef
    from_parent: ItemRef | None = None
    to_parent: ItemRef | None = None
    from_sequence: int
    to_sequence: int


class DescriptorChange(BaseModel):
    item: ItemRef
    level: str
    before: str | None = None
    after: str | None = None


class AssociationChange(BaseModel):
    type: str
    origin: ItemRef
    destination: ItemRef
    change: str = Field(examples=["added"])


class VersionDiffPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_version: VersionSummary = Field(alias="from", serialization_alias="from")
    to_version: VersionSummary = Field(alias="to", serialization_alias="to")
    added: list[ItemRef]
    removed: list[ItemRef]
    reworded: list[Reworded]
    moved: list[Moved]
    descriptors: list[DescriptorChange]
    associations: list[AssociationChange]
