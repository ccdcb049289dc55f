"""The implementation plan: the strategy's actions, each organisation's plan items, and check-ins.

An item's status changes only through a check-in; check-ins are never changed afterwards, except
that a reviewer may acknowledge one once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, field_validator
from pydantic import Field as PydField
from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitoring_api.structure.models import UnitRef
from servicekit.audit import utcnow


class PlanStatus(StrEnum):
    not_started = "not_started"
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"
    done = "done"


# RAG colours of each status, as the plan shows them.
RAG: dict[str, str] = {
    PlanStatus.not_started: "grey",
    PlanStatus.on_track: "green",
    PlanStatus.at_risk: "amber",
    PlanStatus.off_track: "red",
    PlanStatus.done: "blue",
}

DEFAULT_CADENCE_DAYS = 30


# --- tables ---------------------------------------------------------------------------------


class Action(SQLModel, table=True):
    """One of the strategy's actions (seeded): the same for every organisation."""

    __tablename__ = "action"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    code: str = Field(max_length=20, unique=True)
    phase: int
    title: str = Field(max_length=500)
    due: date
    due_label: str = Field(max_length=50)  # as the strategy words it: "March 2018", "2018 to 2026"
    components: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    framework_items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sequence: int = 0


class PlanItem(SQLModel, table=True):
    """An action in one organisation's plan: a strategy action it adopted, or a local one."""

    __tablename__ = "plan_item"
    __table_args__ = (UniqueConstraint("org", "action_id", name="uq_plan_item_action"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    org: str = Field(max_length=50, index=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    title: str = Field(max_length=500)
    description: str | None = Field(default=None, sa_type=Text)
    owner: str | None = Field(default=None, max_length=200)
    reviewer: str | None = Field(default=None, max_length=200)  # token subject of the reviewer
    reviewer_name: str | None = Field(default=None, max_length=200)
    due: date | None = None
    status: str = Field(default=PlanStatus.not_started.value, sa_type=String(20), index=True)
    confidence: int | None = None
    check_in_cadence_days: int = DEFAULT_CADENCE_DAYS
    last_check_in_at: datetime | None = None
    next_check_in_due: date = Field(index=True)
    indicators: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    framework_items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    demo: bool = False
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Milestone(SQLModel, table=True):
    __tablename__ = "milestone"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    plan_item_id: int = Field(foreign_key="plan_item.id", index=True)
    title: str = Field(max_length=500)
    due: date
    done_on: date | None = None
    sequence: int = 0


class CheckIn(SQLModel, table=True):
    """Append-only: a check-in is never changed, except by its one acknowledgement."""

    __tablename__ = "check_in"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    plan_item_id: int = Field(foreign_key="plan_item.id", index=True)
    status: str = Field(sa_type=String(20))
    confidence: int
    what_happened: str = Field(sa_type=Text)
    whats_next: str | None = Field(default=None, sa_type=Text)
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    author: str = Field(max_length=200)
    author_name: str | None = Field(default=None, max_length=200)
    at: datetime = Field(default_factory=utcnow, index=True)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    acknowledged_by_name: str | None = Field(default=None, max_length=200)
    acknowledged_at: datetime | None = None
    acknowledgement: str | None = Field(default=None, sa_type=Text)


# --- API schemas ----------------------------------------------------------------------------


class ActionRef(BaseModel):
    id: uuid.UUID
    code: str
    title: str


class ActionPublic(BaseModel):
    id: uuid.UUID
    code: str = PydField(examples=["A3"])
    phase: int = PydField(examples=[1])
    title: str = PydField(examples=["Design and implement a system to monitor the outcomes and review implementation"])
    due: date = PydField(description="The last day of the month the strategy names.", examples=["2018-06-30"])
    due_label: str = PydField(examples=["June 2018"])
    components: list[str] = PydField(
        description="Codes of the strategy's components in the framework (C1 to C4).", examples=[["C3"]]
    )
    framework_items: list[uuid.UUID] = PydField(description="Identifiers of those components in framework-api.")


class MilestoneWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = PydField(min_length=1, max_length=500, examples=["Board approves the local plan"])
    due: date = PydField(examples=["2027-03-31"])
    done_on: date | None = PydField(default=None, description="When it was done; empty while open.")


class MilestonePublic(MilestoneWrite):
    id: uuid.UUID
    overdue: bool = PydField(description="Due before today and not done.")


_PLAN_EXAMPLE: dict[str, Any] = {
    "action": "A3",
    "owner": "Director of Human Resources",
    "reviewer": "7d1f0c2e-2f4b-4f55-9a55-3d1c2b4f6e80",
    "reviewer_name": "Chief Executive",
    "due": "2027-03-31",
    "check_in_cadence_days": 30,
    "milestones": [{"title": "Board approves the local plan", "due": "2027-01-31"}],
    "indicators": [],
    "framework_items": ["323b1a9c-6923-5a11-8ee6-9028e6f60f01"],
}


class PlanItemCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                _PLAN_EXAMPLE,
                {"title": "Collective leadership induction for new ward managers", "owner": "Head of OD"},
            ]
        },
    )

    action: str | None = PydField(
        default=None,
        max_length=20,
        description="Code of the strategy action to adopt (A1 to A9); omit for a local action.",
    )
    title: str | None = PydField(
        default=None, min_length=1, max_length=500, description="A local action's title (adopted actions keep theirs)."
    )
    description: str | None = PydField(default=None, max_length=10_000)
    unit: uuid.UUID | None = PydField(
        default=None, description="The unit of your organisation that owns it; your organisation when omitted."
    )
    owner: str | None = PydField(default=None, max_length=200)
    reviewer: str | None = PydField(
        default=None, max_length=200, description="Token subject of the person who acknowledges check-ins."
    )
    reviewer_name: str | None = PydField(default=None, max_length=200)
    due: date | None = None
    check_in_cadence_days: int = PydField(
        default=DEFAULT_CADENCE_DAYS, ge=1, le=366, description="Days between check-ins; a later one is overdue."
    )
    milestones: list[MilestoneWrite] = PydField(default_factory=list, max_length=50)
    indicators: list[uuid.UUID] = PydField(
        default_factory=list, max_length=50, description="Indicators that are this item's key results."
    )
    framework_items: list[uuid.UUID] = PydField(
        default_factory=list, max_length=50, description="Identifiers of framework-api items (values, capabilities)."
    )

    @field_validator("indicators", "framework_items")
    @classmethod
    def _unique(cls, values: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(values) != len(set(values)):
            raise ValueError("an identifier appears twice")
        return values


class PlanItemUpdate(BaseModel):
    """Everything but the status, which changes only through a check-in."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"owner": "Deputy Director of HR", "check_in_cadence_days": 14}]},
    )

    title: str | None = PydField(default=None, min_length=1, max_length=500, description="Local actions only.")
    description: str | None = PydField(default=None, max_length=10_000)
    owner: str | None = PydField(default=None, max_length=200)
    reviewer: str | None = PydField(default=None, max_length=200)
    reviewer_name: str | None = PydField(default=None, max_length=200)
    due: date | None = None
    check_in_cadence_days: int | None = PydField(default=None, ge=1, le=366)
    milestones: list[MilestoneWrite] | None = PydField(default=None, max_length=50, description="Replaces the list.")
    indicators: list[uuid.UUID] | None = PydField(default=None, max_length=50)
    framework_items: list[uuid.UUID] | None = PydField(default=None, max_length=50)

    @field_validator("indicators", "framework_items")
    @classmethod
    def _unique(cls, values: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        if values is not None and len(values) != len(set(values)):
            raise ValueError("an identifier appears twice")
        return values


class CheckInCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "at_risk",
                    "confidence": 6,
                    "what_happened": "Two of five directorates have run their values workshops.",
                    "whats_next": "Workshops for the remaining three before the end of the quarter.",
                    "evidence": ["https://intranet.example.hscni.net/values/workshops"],
                }
            ]
        },
    )

    status: PlanStatus
    confidence: int = PydField(ge=0, le=10, strict=True, description="0 (none) to 10 (certain) that it will be done.")
    what_happened: str = PydField(min_length=1, max_length=5000)
    whats_next: str | None = PydField(default=None, max_length=5000)
    evidence: list[AnyHttpUrl] = PydField(default_factory=list, max_length=20, description="Links to evidence.")


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"comment": "Thanks: agreed."}]})

    comment: str | None = PydField(default=None, max_length=2000)


class CheckInPublic(BaseModel):
    id: uuid.UUID
    plan_item_id: uuid.UUID
    status: PlanStatus
    rag: str = PydField(description="grey, green, amber, red or blue.", examples=["amber"])
    confidence: int
    what_happened: str
    whats_next: str | None = None
    evidence: list[str]
    author: str
    author_name: str | None = None
    at: datetime
    acknowledged: bool
    acknowledged_by: str | None = None
    acknowledged_by_name: str | None = None
    acknowledged_at: datetime | None = None
    acknowledgement: str | None = None


class IndicatorLink(BaseModel):
    id: uuid.UUID
    code: str
    title: str


class PlanItemPublic(BaseModel):
    id: uuid.UUID
    org: str
    unit: UnitRef
    action: ActionRef | None = PydField(default=None, description="The strategy action adopted; null for a local one.")
    local: bool
    title: str
    description: str | None = None
    owner: str | None = None
    reviewer: str | None = None
    reviewer_name: str | None = None
    due: date | None = None
    status: PlanStatus
    rag: str = PydField(examples=["green"])
    confidence: int | None = None
    check_in_cadence_days: int
    last_check_in_at: datetime | None = None
    next_check_in_due: date
    check_in_overdue: bool = PydField(description="The next check-in is due before today (never for a done item).")
    milestones: list[MilestonePublic]
    indicators: list[IndicatorLink]
    framework_items: list[uuid.UUID]
    latest_check_in: CheckInPublic | None = None
    demo: bool
    created_at: datetime
    updated_at: datetime


class RollupRow(BaseModel):
    action: ActionRef
    due: date
    adopted: int = PydField(description="Organisations with this action in their plan.")
    statuses: dict[str, int] = PydField(
        description="Organisations in each status.",
        examples=[{"not_started": 1, "on_track": 3, "at_risk": 1, "off_track": 1, "done": 0}],
    )
    overdue_check_ins: int
    off_track: list[str] = PydField(description="Codes of the organisations off track.", examples=[["WHSCT"]])
    not_adopted: list[str] = PydField(description="Visible organisations that have not adopted it.")


class Rollup(BaseModel):
    organisations: list[str] = PydField(description="The organisations counted (all of them for a regional caller).")
    actions: list[RollupRow]
