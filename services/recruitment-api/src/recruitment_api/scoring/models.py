"""Panels, score sheets and moderation.

One score sheet per assessor, candidate and stage: a draft (autosaved) until submitted, then
locked. After submission a score changes only through moderation by the panel lead, as an
amendment with a reason; the raw score is never overwritten.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PydField
from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.audit import utcnow


class SheetStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"


class PanelMember(SQLModel, table=True):
    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("stage_id", "assessor", name="uq_panel_member"),)

    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    assessor: str = Field(max_length=200, index=True)  # the token subject of the assessor
    name: str | None = Field(default=None, max_length=300)
    is_lead: bool = False


class ScoreSheet(SQLModel, table=True):
    __tablename__ = "score_sheet"
    __table_args__ = (UniqueConstraint("stage_id", "candidate_id", "assessor", name="uq_score_sheet"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    assessor: str = Field(max_length=200, index=True)
    status: str = Field(default=SheetStatus.draft.value, sa_type=String(20))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None


class Score(SQLModel, table=True):
    """The raw score as the assessor gave it. Never changed after submission."""

    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion_id", name="uq_score"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="score_sheet.id", index=True)
    criterion_id: int = Field(foreign_key="criterion.id", index=True)
    score: int | None = None
    not_evidenced: bool = False
    notes: str | None = None


class ScoreAmendment(SQLModel, table=True):
    """A moderated change to a submitted score; the latest amendment is the score that counts."""

    __tablename__ = "score_amendment"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    sheet_id: int = Field(foreign_key="score_sheet.id", index=True)
    criterion_id: int = Field(foreign_key="criterion.id")
    previous_score: int | None = None
    previous_not_evidenced: bool = False
    score: int | None = None
    not_evidenced: bool = False
    reason: str
    amended_by: str = Field(max_length=200)
    amended_at: datetime = Field(default_factory=utcnow)


# --- API schemas ----------------------------------------------------------------------------


class PanelMemberWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessor: str = PydField(min_length=1, max_length=200, description="The assessor's user id (token subject).")
    name: str | None = PydField(default=None, max_length=300)
    is_lead: bool = False


class PanelWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "members": [
                        {"assessor": "3f9a8c1e-assessor-1", "name": "Ciara Doherty", "is_lead": True},
                        {"assessor": "7b2d4e6f-assessor-2", "name": "Mark Kelly"},
                    ]
                }
            ]
        },
    )

    members: list[PanelMemberWrite] = PydField(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_each(self) -> PanelWrite:
        ids = [m.assessor for m in self.members]
        if len(ids) != len(set(ids)):
            raise ValueError("an assessor appears twice on the panel")
        return self


class PanelMemberPublic(BaseModel):
    assessor: str
    name: str | None = None
    is_lead: bool


class PanelPublic(BaseModel):
    stage_id: uuid.UUID
    stage_name: str
    members: list[PanelMemberPublic]


class ScoreWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criterion: str = PydField(min_length=1, max_length=50, description="The criterion's code.", examples=["V1"])
    score: int | None = PydField(default=None, ge=0, le=10, description="On the stage's scale; null if not evidenced.")
    not_evidenced: bool = PydField(
        default=False, description="No evidence for the criterion: a separate answer, not 0."
    )
    notes: str | None = PydField(default=None, max_length=10000, description="The evidence the score rests on.")

    @model_validator(mode="after")
    def _score_or_not_evidenced(self) -> ScoreWrite:
        if self.not_evidenced and self.score is not None:
            raise ValueError("give a score or mark the criterion not evidenced, not both")
        return self


class SheetWrite(BaseModel):
    """A draft save: only the criteria sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "scores": [
                        {"criterion": "V1", "score": 3, "notes": "Clear example of joint working with pharmacy."},
                        {"criterion": "V2", "not_evidenced": True},
                    ]
                }
            ]
        },
    )

    scores: list[ScoreWrite] = PydField(max_length=50)


class ScorePublic(BaseModel):
    criterion: str
    criterion_id: uuid.UUID
    score: int | None = None
    not_evidenced: bool = False
    notes: str | None = None
    amended: bool = False
    raw_score: int | None = None
    raw_not_evidenced: bool = False


class SheetPublic(BaseModel):
    id: uuid.UUID
    stage_id: uuid.UUID
    candidate_id: uuid.UUID
    candidate_code: str
    assessor: str
    status: SheetStatus
    updated_at: datetime
    submitted_at: datetime | None = None
    scores: list[ScorePublic]
    missing: list[str] = PydField(
        default_factory=list, description="Criteria still without a score or 'not evidenced'."
    )


class AmendmentWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sheet_id": "9b1f0c4e-2c6d-4d0e-9f8a-1a2b3c4d5e6f",
                    "criterion": "V2",
                    "score": 3,
                    "reason": "Panel agreed the example met the anchor for 3.",
                }
            ]
        },
    )

    sheet_id: uuid.UUID
    criterion: str = PydField(min_length=1, max_length=50)
    score: int | None = PydField(default=None, ge=0, le=10)
    not_evidenced: bool = False
    reason: str = PydField(
        min_length=5, max_length=5000, description="Why the score changes; kept in the audit record."
    )

    @model_validator(mode="after")
    def _score_or_not_evidenced(self) -> AmendmentWrite:
        if self.not_evidenced == (self.score is not None):
            raise ValueError("give a new score, or not_evidenced true, but not both")
        return self


class AmendmentPublic(BaseModel):
    id: uuid.UUID
    sheet_id: uuid.UUID
    criterion: str
    previous_score: int | None = None
    previous_not_evidenced: bool
    score: int | None = None
    not_evidenced: bool
    reason: str
    amended_by: str
    amended_at: datetime
