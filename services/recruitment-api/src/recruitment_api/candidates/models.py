"""Candidates: a pseudonymous code and the evidence assessors see; personal details kept apart."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr
from pydantic import Field as PydField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.audit import utcnow


class Candidate(SQLModel, table=True):
    __tablename__ = "candidate"
    __table_args__ = (
        UniqueConstraint("vacancy_id", "code", name="uq_candidate_code"),
        UniqueConstraint("vacancy_id", "external_ref", name="uq_candidate_external_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    vacancy_id: int = Field(foreign_key="vacancy.id", index=True)
    code: str = Field(max_length=20)  # pseudonymous: what assessors know the candidate by
    external_ref: str | None = Field(default=None, max_length=200)  # the ATS's own id
    withdrawn: bool = False
    erased_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class CandidatePersonal(SQLModel, table=True):
    """Identity, visible only to recruitment admins; removed on erasure."""

    __tablename__ = "candidate_personal"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", unique=True)
    name: str = Field(max_length=300)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)


class Evidence(SQLModel, table=True):
    """What the candidate wrote or said that assessors score: answers, with no identity."""

    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    title: str = Field(max_length=300)
    text: str
    sequence: int = 0


class SjtScore(SQLModel, table=True):
    """A situational judgement test score, imported as a number."""

    __tablename__ = "sjt_score"
    __table_args__ = (UniqueConstraint("stage_id", "candidate_id", name="uq_sjt_score"),)

    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    score: float
    imported_at: datetime = Field(default_factory=utcnow)


# --- API schemas ----------------------------------------------------------------------------


class EvidenceWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = PydField(min_length=1, max_length=300, examples=["Tell us about a time you worked across teams"])
    text: str = PydField(min_length=1, max_length=20000)


class CandidateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Aoife Byrne",
                    "email": "aoife.byrne@example.org",
                    "external_ref": "ATS-100245",
                    "evidence": [
                        {"title": "Working together", "text": "On my ward we set up a huddle with the pharmacy team..."}
                    ],
                }
            ]
        },
    )

    name: str = PydField(min_length=1, max_length=300)
    email: EmailStr | None = None
    phone: str | None = PydField(default=None, max_length=50)
    external_ref: str | None = PydField(default=None, min_length=1, max_length=200)
    evidence: list[EvidenceWrite] = PydField(default_factory=list, max_length=20)


class CandidateImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    candidates: list[CandidateCreate] = PydField(min_length=1, max_length=50000)


class EvidencePublic(BaseModel):
    title: str
    text: str


class CandidateBlind(BaseModel):
    """What an assessor may see: the code and the evidence, never identity."""

    id: uuid.UUID
    code: str
    withdrawn: bool
    evidence: list[EvidencePublic] = []


class PersonalDetails(BaseModel):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class CandidateAdmin(CandidateBlind):
    """For recruitment admins only."""

    external_ref: str | None = None
    personal: PersonalDetails | None = None
    erased: bool = False
    created_at: datetime


class ImportedCandidate(BaseModel):
    """How one imported row maps to the candidate made from it."""

    row: int = PydField(description="The row of the import: from 1 in JSON; in CSV, counting the header as row 1.")
    external_ref: str | None = PydField(description="Your own id for the candidate, as imported.")
    id: uuid.UUID
    code: str


class ImportResult(BaseModel):
    imported: int
    mapping: list[ImportedCandidate] = PydField(
        description="Every imported row, in order, with the candidate's id and code: map your ids to ours "
        "without paging through the list. Also in an idempotent replay."
    )
    candidates: list[CandidateAdmin] | None = PydField(
        default=None, description="Omitted for large imports; page through GET .../candidates instead."
    )


class SjtScoreWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    candidate_id: uuid.UUID
    score: float = PydField(ge=-1000, le=1000)


class SjtImport(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"scores": [{"candidate_id": "3b2e1d4c-0000-4000-8000-000000000001", "score": 71.5}]}]
        },
    )

    scores: list[SjtScoreWrite] = PydField(min_length=1, max_length=50000)
