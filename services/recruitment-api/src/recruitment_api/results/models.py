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
    criterion: str = PydField(description="The criterion's code.")
    mean: float | None = PydField(
        default=None,
        description='Mean of the scores given. "Not evidenced" is not a score and stays out: null when no '
        "assessor found evidence.",
    )
    minimum: float | None = PydField(
        default=None, description="Lowest score (whole numbers on panel scales; SJT scores may be fractional)."
    )
    maximum: float | None = PydField(default=None, description="Highest score.")
    spread: float | None = PydField(default=None, description="maximum - minimum.")
    sd: float | None = PydField(
        default=None, description="Sample standard deviation (n - 1); null with fewer than 2 scores."
    )
    n_scores: int = PydField(
        description="How many assessors found evidence and scored the criterion: the mean rests on these."
    )
    n_not_evidenced: int = PydField(description="How many assessors marked the criterion not evidenced.")


class EssentialPublic(BaseModel):
    criterion: str = PydField(description="The essential criterion's code.")
    mean: float | None = PydField(default=None, description="Its mean; null when no assessor found evidence.")
    pass_mark: float = PydField(description="The mean it needs: 1 at shortlisting (0 to 2), 2 on the 1-to-4 scales.")
    met: bool = PydField(description="Mean at or above the pass mark; false when nobody could score it.")


class CandidateResultPublic(BaseModel):
    candidate_id: uuid.UUID
    candidate_code: str
    rank: int | None = PydField(
        default=None,
        description="Standard competition rank by weighted mean (ties share a rank: 1, 2, 2, 4); null without one.",
    )
    weighted_mean: float | None = PydField(
        default=None, description="Weighted mean of the criterion means over the criteria with a score."
    )
    weighted_total: float | None = PydField(
        default=None,
        description="Weighted sum of the criterion means over the criteria with a score. Compare totals only "
        "where `weighted_total_complete` is true.",
    )
    weighted_total_complete: bool = PydField(
        default=True,
        description="False when some criterion has no score from any assessor (`unscored_criteria`): the total "
        "then leaves it out and is not comparable with other candidates' totals.",
    )
    unscored_criteria: list[str] = PydField(
        default_factory=list, description="Criteria no assessor could score (every assessor marked them not evidenced)."
    )
    value_means: dict[str, float | None] = PydField(
        description="Per value (values only: essential criteria are not values), the mean of its criteria's "
        "means; each is tested against the stage's `min_per_value`."
    )
    essentials: list[EssentialPublic] = PydField(
        default_factory=list,
        description="The essential criteria (marked essential in the stage, or of kind `essential`), each with "
        "its mean, pass mark and whether it is met; tested when the stage has `essentials_required`.",
    )
    essentials_met: bool | None = PydField(
        default=None, description="Every essential criterion met; null when the stage has none."
    )
    appointable: bool = PydField(description="True exactly when `reasons` is empty.")
    reasons: list[str] = PydField(description="Every reason the candidate is not appointable, in plain English.")
    criteria: list[CriterionResultPublic]
    sheets_submitted: int = PydField(description="Submitted score sheets for the candidate at this stage.")
    flags: list[str] = PydField(
        default_factory=list,
        description="Divergence worth moderation, one sentence per flag prefixed with the criterion: scores 2 or "
        "more points apart, assessors on both sides of `min_per_value`, or some assessors finding no evidence "
        "where others scored.",
    )
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
    name: str = PydField(examples=["ICC(2,k)"], description="ICC(2,1), ICC(2,k), ICC(1,k) or alpha (ordinal).")
    value: float | None = PydField(
        default=None,
        description="From -1 to 1. One rule for every coefficient: null when it is undefined for these ratings "
        "or its estimate falls outside -1 to 1 (assessors disagreeing more than candidates differ); "
        "`reason` says which.",
    )
    band: str | None = PydField(
        default=None,
        examples=["good"],
        description="Koo & Li (2016) for ICCs: poor, moderate, good, excellent; Krippendorff (2004) for alpha: "
        "unreliable, tentative, reliable. Null exactly when `value` is.",
    )
    reason: str | None = PydField(default=None, description="Why `value` is null; null when there is a value.")
    ci95: list[float] | None = PydField(
        default=None,
        min_length=2,
        max_length=2,
        examples=[[0.41, 0.93]],
        description="95% confidence interval [low, high] of an ICC, from the F distribution (McGraw & Wong 1996; "
        "pingouin.intraclass_corr's CI95%), bounds clipped to -1 to 1: a low bound of -1 means the ratings "
        "cannot rule out agreement no better than chance.",
    )
    ci95_reason: str | None = PydField(
        default=None,
        description="Why `ci95` is null (no value to bound, a degenerate F distribution, or alpha, which has no "
        "analytic interval); null when there is an interval.",
    )
    n_candidates: int
    n_assessors: int


class LeniencyPublic(BaseModel):
    assessor: str
    mean: float = PydField(description="The assessor's mean weighted score over the candidates they scored.")
    z: float | None = PydField(default=None, description="(assessor mean - overall mean) / overall standard deviation.")
    z_reason: str | None = PydField(default=None, description="Why `z` is null; null when there is a z.")
    n: int


class ReliabilityPublic(BaseModel):
    vacancy_id: uuid.UUID
    stage_id: uuid.UUID
    design: str = PydField(
        examples=["fully_crossed"],
        description="fully_crossed (ICC(2,1), ICC(2,k)), one_way (ICC(1,k) and alpha) or ragged (alpha).",
    )
    coefficients: list[CoefficientPublic]
    leniency: list[LeniencyPublic]
    flagged_candidates: int = PydField(description="Candidates with at least one divergence flag.")
    n_candidates: int = PydField(
        description="Candidates in the figures: the same candidates as the stage's results (withdrawn ones left out)."
    )


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
