"""Equality monitoring, kept apart from assessment: written by the candidate channel, read only
with `equality:read`, and never joined into anything an assessor sees."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField
from sqlmodel import Field, SQLModel

from servicekit.audit import utcnow


class CommunityBackground(StrEnum):
    protestant = "protestant"
    roman_catholic = "roman_catholic"
    neither = "neither"
    not_stated = "not_stated"


# Section 75 categories and community background, each a free category code chosen by the
# candidate ("not_stated" when they prefer not to say).
CATEGORIES = (
    "community_background",
    "sex",
    "age_band",
    "religious_belief",
    "political_opinion",
    "racial_group",
    "marital_status",
    "sexual_orientation",
    "disability",
    "dependants",
)


class EqualityRecord(SQLModel, table=True):
    __tablename__ = "equality_record"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", unique=True)
    community_background: str | None = Field(default=None, max_length=50)
    sex: str | None = Field(default=None, max_length=50)
    age_band: str | None = Field(default=None, max_length=50)
    religious_belief: str | None = Field(default=None, max_length=100)
    political_opinion: str | None = Field(default=None, max_length=100)
    racial_group: str | None = Field(default=None, max_length=100)
    marital_status: str | None = Field(default=None, max_length=50)
    sexual_orientation: str | None = Field(default=None, max_length=50)
    disability: str | None = Field(default=None, max_length=50)
    dependants: str | None = Field(default=None, max_length=50)
    recorded_at: datetime = Field(default_factory=utcnow)


class EqualityWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"community_background": "roman_catholic", "sex": "female", "age_band": "35-44", "disability": "no"}
            ]
        },
    )

    community_background: CommunityBackground | None = None
    sex: str | None = PydField(default=None, max_length=50)
    age_band: str | None = PydField(default=None, max_length=50)
    religious_belief: str | None = PydField(default=None, max_length=100)
    political_opinion: str | None = PydField(default=None, max_length=100)
    racial_group: str | None = PydField(default=None, max_length=100)
    marital_status: str | None = PydField(default=None, max_length=50)
    sexual_orientation: str | None = PydField(default=None, max_length=50)
    disability: str | None = PydField(default=None, max_length=50)
    dependants: str | None = PydField(default=None, max_length=50)


class GroupImpactPublic(BaseModel):
    group: str
    considered: int | None = None
    selected: int | None = None
    selection_rate: float | None = None
    impact_ratio: float | None = None
    flagged: bool
    fisher_p: float | None = None
    suppressed: bool
    reference: bool


class AdverseImpactPublic(BaseModel):
    vacancy_id: uuid.UUID
    stage_id: uuid.UUID
    stage_name: str
    category: str = PydField(examples=["community_background"])
    threshold: float
    min_cell: int
    reference_group: str | None = None
    groups: list[GroupImpactPublic]
    note: str | None = None
