"""Vacancies (campaigns), the criteria snapshot they score against, and their assessment design."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydField
from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.audit import utcnow


class VacancyStatus(StrEnum):
    draft = "draft"
    open = "open"
    scoring = "scoring"
    decided = "decided"
    closed = "closed"


# The only moves a vacancy can make; any other is refused with 409.
TRANSITIONS: dict[str, set[str]] = {
    VacancyStatus.draft: {VacancyStatus.open},
    VacancyStatus.open: {VacancyStatus.scoring},
    VacancyStatus.scoring: {VacancyStatus.decided},
    VacancyStatus.decided: {VacancyStatus.closed},
    VacancyStatus.closed: set(),
}


class CriterionKind(StrEnum):
    value = "value"
    behaviour = "behaviour"
    essential = "essential"  # an essential criterion of the person specification, for shortlisting


class StageKind(StrEnum):
    shortlisting = "shortlisting"
    interview = "interview"
    mmi_station = "mmi_station"
    sjt = "sjt"


# Score ranges by stage kind. "Not evidenced" is a separate answer, never a score of zero.
SCALES: dict[str, tuple[int, int]] = {
    StageKind.shortlisting: (0, 2),
    StageKind.interview: (1, 4),
    StageKind.mmi_station: (1, 4),
}


# --- tables ---------------------------------------------------------------------------------


class Vacancy(SQLModel, table=True):
    __tablename__ = "vacancy"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    org: str = Field(max_length=50, index=True)
    title: str = Field(max_length=300)
    band: str | None = Field(default=None, max_length=50)
    staff_group: str | None = Field(default=None, max_length=200)
    closing_date: date | None = None
    status: str = Field(default=VacancyStatus.draft.value, sa_type=String(20))
    criteria_source: str = Field(default="framework", sa_type=String(20))  # framework | inline
    framework_version_id: uuid.UUID | None = None
    framework_title: str | None = Field(default=None, max_length=300)
    framework_version: str | None = Field(default=None, max_length=50)
    framework_content_hash: str | None = Field(default=None, max_length=64)
    retention_days: int = 365
    design_locked_at: datetime | None = None
    decided_at: datetime | None = None
    closed_at: datetime | None = None
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Criterion(SQLModel, table=True):
    """A criterion as worded when the vacancy was created: a snapshot, never re-read."""

    __tablename__ = "criterion"
    __table_args__ = (UniqueConstraint("vacancy_id", "code", name="uq_criterion_code"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    vacancy_id: int = Field(foreign_key="vacancy.id", index=True)
    code: str = Field(max_length=50)
    kind: str = Field(sa_type=String(20))
    statement: str
    description: str | None = None
    value_code: str | None = Field(default=None, max_length=50)
    framework_item: uuid.UUID | None = None
    # [{"score": 1, "title": "Essential", "description": "..."}], the behavioural anchors.
    anchors: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    indicators: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sequence: int = 0


class Stage(SQLModel, table=True):
    __tablename__ = "stage"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    vacancy_id: int = Field(foreign_key="vacancy.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(sa_type=String(20))
    sequence: int = 0
    min_weighted_mean: float | None = None
    min_per_value: float | None = None
    essentials_required: bool = True
    pass_mark: float | None = None  # SJT: the imported score needed to progress


class StageCriterion(SQLModel, table=True):
    __tablename__ = "stage_criterion"
    __table_args__ = (UniqueConstraint("stage_id", "criterion_id", name="uq_stage_criterion"),)

    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    criterion_id: int = Field(foreign_key="criterion.id", index=True)
    weight: float = 1.0
    essential: bool = False


# --- API schemas ----------------------------------------------------------------------------


class Anchor(BaseModel):
    score: int = PydField(ge=0, le=10, examples=[2])
    title: str = PydField(min_length=1, max_length=200, examples=["Proficient"])
    description: str = PydField(min_length=1, max_length=5000)


class InlineCriterion(BaseModel):
    """A criterion an HR system gives directly, instead of taking it from the framework."""

    model_config = ConfigDict(extra="forbid")

    code: str = PydField(min_length=1, max_length=50, pattern=r"^\S+$", examples=["V1"])
    kind: CriterionKind = CriterionKind.value
    statement: str = PydField(min_length=1, max_length=2000, examples=["Working Together"])
    description: str | None = PydField(default=None, max_length=5000)
    value_code: str | None = PydField(default=None, max_length=50)
    anchors: list[Anchor] = PydField(default_factory=list, max_length=10)
    indicators: list[str] = PydField(default_factory=list, max_length=20)


class VacancyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Ward Sister, Respiratory",
                    "band": "Band 7",
                    "staff_group": "Nursing and Midwifery",
                    "closing_date": "2026-12-18",
                    "framework_version_id": "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef",
                    "values": ["V1", "V2", "V3", "V4"],
                }
            ]
        },
    )

    title: str = PydField(min_length=1, max_length=300)
    band: str | None = PydField(default=None, max_length=50)
    staff_group: str | None = PydField(default=None, max_length=200)
    closing_date: date | None = None
    retention_days: int | None = PydField(
        default=None, ge=30, le=3650, description="How long candidate data is kept after the vacancy closes."
    )
    framework_version_id: uuid.UUID | None = PydField(
        default=None, description="A published framework version; its values become the criteria."
    )
    values: list[str] | None = PydField(
        default=None,
        max_length=20,
        description="Codes of the framework's values (or behaviours) to score; all values if omitted.",
    )
    criteria: list[InlineCriterion] | None = PydField(
        default=None, max_length=50, description="Criteria given inline instead of a framework version."
    )

    @model_validator(mode="after")
    def _one_source(self) -> VacancyCreate:
        if (self.framework_version_id is None) == (self.criteria is None):
            raise ValueError("give either framework_version_id or criteria, not both and not neither")
        if self.criteria is not None:
            codes = [c.code for c in self.criteria]
            if len(codes) != len(set(codes)):
                raise ValueError("criteria codes must be unique")
        return self


class VacancyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"closing_date": "2027-01-08"}]})

    title: str | None = PydField(default=None, min_length=1, max_length=300)
    band: str | None = PydField(default=None, max_length=50)
    staff_group: str | None = PydField(default=None, max_length=200)
    closing_date: date | None = None
    retention_days: int | None = PydField(default=None, ge=30, le=3650)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "open"}]})

    status: VacancyStatus


class CriterionPublic(BaseModel):
    id: uuid.UUID
    code: str
    kind: CriterionKind
    statement: str
    description: str | None = None
    value_code: str | None = None
    framework_item: uuid.UUID | None = None
    anchors: list[Anchor]
    indicators: list[str]
    sequence: int


class StageCriterionWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criterion: str = PydField(min_length=1, max_length=50, description="The criterion's code.", examples=["V1"])
    weight: float = PydField(default=1.0, gt=0, le=100)
    essential: bool = False


class StageWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = PydField(min_length=1, max_length=200, examples=["Interview"])
    kind: StageKind
    min_weighted_mean: float | None = PydField(default=None, ge=0, le=10)
    min_per_value: float | None = PydField(default=None, ge=0, le=10)
    essentials_required: bool = True
    pass_mark: float | None = PydField(default=None, description="SJT stages: the score needed to progress.")
    criteria: list[StageCriterionWrite] = PydField(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _criteria_fit_the_kind(self) -> StageWrite:
        if self.kind == StageKind.sjt:
            if self.criteria:
                raise ValueError("an SJT stage imports one score per candidate and has no criteria")
        elif not self.criteria:
            raise ValueError("a scored stage needs at least one criterion")
        codes = [c.criterion for c in self.criteria]
        if len(codes) != len(set(codes)):
            raise ValueError("a criterion appears twice in the stage")
        return self


class DesignWrite(BaseModel):
    """The whole assessment design, replaced at once (refused once the first score is submitted)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "stages": [
                        {
                            "name": "Shortlisting",
                            "kind": "shortlisting",
                            "criteria": [
                                {"criterion": "V1", "essential": True},
                                {"criterion": "V2", "essential": True},
                            ],
                        },
                        {
                            "name": "Interview",
                            "kind": "interview",
                            "min_weighted_mean": 2.5,
                            "min_per_value": 2,
                            "criteria": [
                                {"criterion": "V1", "weight": 2},
                                {"criterion": "V2"},
                                {"criterion": "V3"},
                                {"criterion": "V4"},
                            ],
                        },
                    ]
                }
            ]
        },
    )

    stages: list[StageWrite] = PydField(min_length=1, max_length=20)

    @field_validator("stages")
    @classmethod
    def _unique_names(cls, stages: list[StageWrite]) -> list[StageWrite]:
        names = [s.name for s in stages]
        if len(names) != len(set(names)):
            raise ValueError("stage names must be unique")
        return stages


class StageCriterionPublic(BaseModel):
    criterion: str
    criterion_id: uuid.UUID
    weight: float
    essential: bool


class StagePublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: StageKind
    sequence: int
    scale_min: int | None = None
    scale_max: int | None = None
    min_weighted_mean: float | None = None
    min_per_value: float | None = None
    essentials_required: bool
    pass_mark: float | None = None
    anchors: list[Anchor] | None = PydField(
        default=None,
        description="The stage's own scale anchors (shortlisting 0, 1, 2); otherwise each criterion's anchors apply.",
    )
    criteria: list[StageCriterionPublic]


class DesignPublic(BaseModel):
    vacancy_id: uuid.UUID
    locked: bool
    locked_at: datetime | None = None
    stages: list[StagePublic]


class VacancyPublic(BaseModel):
    id: uuid.UUID
    org: str
    title: str
    band: str | None = None
    staff_group: str | None = None
    closing_date: date | None = None
    status: VacancyStatus
    next_statuses: list[VacancyStatus] = PydField(
        default=[],
        description="The statuses the vacancy may move to next with POST /status (one step at a time); "
        "empty once it is closed.",
    )
    criteria_source: str
    framework_version_id: uuid.UUID | None = None
    framework_title: str | None = None
    framework_version: str | None = None
    retention_days: int
    design_locked: bool
    created_at: datetime
    updated_at: datetime
    candidate_count: int = 0
    criteria: list[CriterionPublic] = []
