"""Progression decisions, and the result schemas (per criterion, weighted, appointable, ranked)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from servicekit.audit import utcnow


class Outcome(StrEnum):
    progress = "progress"
    reject = "reject"
    appoint = "appoint"
    reserve = "reserve"
    withdrawn = "withdrawn"


class Decision(SQLModel, table=True):
    """Who decided what for a candidate at a stage, and why. The latest decision stands."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    outcome: str = Field(sa_type=String(20))
    reason: str
    decided_by: str = Field(max_length=200)
    decided_at: datetime = Field(default_factory=utcnow)


class DecisionWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "candidate_id": "3b2e1d4c-0000-4000-8000-000000000001",
                    "outcome": "progress",
                    "reason": "Appointable; ranked 2 of 14.",
                }
            ]
        },
    )

    candidate_id: uuid.UUID
    outcome: Outcome
    reason: str = PydField(min_length=3, max_length=5000)


class DecisionPublic(BaseModel):
    id: uuid.UUID
    stage_id: uuid.UUID
    candidate_id: uuid.UUID
    candidate_code: str
    outcome: Outcome
    reason: str
    decided_by: str
    decided_at: datetime


class CriterionResultPublic(BaseModel):
    criterion: str
    mean: float | None = None
    minimum: float | None = None  # whole numbers on panel scales; SJT scores may be fractional
    maximum: float | None = None
    spread: float | None = None
    sd: float | None = None
    n_scores: int
    n_not_evidenced: int


class CandidateResultPublic(BaseModel):
    candidate_id: uuid.UUID
    candidate_code: str
    rank: int | None = None
    weighted_mean: float | None = None
    weighted_total: float | None = None
    value_means: dict[str, float | None]
    appointable: bool
    reasons: list[str]
    criteria: list[CriterionResultPublic]
    sheets_submitted: int
    flags: list[str] = []
    decision: DecisionPublic | None = None


class StageResultsPublic(BaseModel):
    vacancy_id: uuid.UUID
    stage_id: uuid.UUID
    stage_name: str
    candidates: list[CandidateResultPublic]
    complete: bool = PydField(
        default=True,
        description="False for a caller on this panel who has not yet submitted every candidate the others have "
        "scored: those candidates are left out, and ranks are among the candidates shown.",
    )
    next: str | None = None


class CoefficientPublic(BaseModel):
    name: str = PydField(examples=["ICC(2,k)"])
    value: float | None = None
    band: str | None = PydField(default=None, examples=["good"])
    n_candidates: int
    n_assessors: int


class LeniencyPublic(BaseModel):
    assessor: str
    mean: float
    z: float | None = None
    n: int


class ReliabilityPublic(BaseModel):
    vacancy_id: uuid.UUID
    stage_id: uuid.UUID
    design: str = PydField(examples=["fully_crossed"])
    coefficients: list[CoefficientPublic]
    leniency: list[LeniencyPublic]
    flagged_candidates: int


class FeedbackValue(BaseModel):
    criterion: str
    statement: str
    your_score: float | None = None
    cohort_mean: float | None = None
    cohort_spread: float | None = None


class CandidateFeedback(BaseModel):
    candidate_id: uuid.UUID
    candidate_code: str
    stage_id: uuid.UUID
    stage_name: str
    cohort_size: int | None = PydField(default=None, description="Withheld when the cohort is too small.")
    cohort_withheld: bool
    values: list[FeedbackValue]
