"""Culture surveys: instruments (versioned questionnaires), waves (an instrument run over a frozen copy
of the organisation tree), anonymous responses with their answers, and the API schemas.

Responses carry no person identifier: a response is its wave, its unit (a row of the wave's frozen
tree) and optional demographic groups; each answer stores the option chosen (0-4, most negative
first) and its score 0-10, fixed by the question when the answer is recorded (instruments never
change once created; a change is a new version).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField
from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from monitoring_api.structure.models import PATH_TYPE
from servicekit.audit import utcnow

INSTRUMENT_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,39}$"
QUESTION_CODE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
CATEGORY_PATTERN = r"^[a-z0-9][a-z0-9_.+-]{0,49}$"
NOT_GIVEN = "not_given"

# Demographic breakdowns a response may carry: staff group, band and the Section 75 categories.
BREAKDOWNS: tuple[str, ...] = (
    "staff_group",
    "band",
    "sex",
    "age_group",
    "religion",
    "political_opinion",
    "racial_group",
    "marital_status",
    "sexual_orientation",
    "disability",
    "dependants",
)


class Theme(StrEnum):
    """What a question measures: an engagement sub-score (built in), one of the strategy's six
    cultural characteristics, one of the four compassionate leadership behaviours, or framework items."""

    motivation = "motivation"
    involvement = "involvement"
    advocacy = "advocacy"
    vision = "vision"
    performance = "performance"
    people_management = "people_management"
    learning = "learning"
    team_working = "team_working"
    values = "values"
    attending = "attending"
    understanding = "understanding"
    empathising = "empathising"
    helping = "helping"
    framework = "framework"


ENGAGEMENT_THEMES = (Theme.motivation, Theme.involvement, Theme.advocacy)
THEME_TITLES: dict[str, str] = {
    "engagement": "Staff engagement",
    Theme.motivation: "Motivation",
    Theme.involvement: "Involvement",
    Theme.advocacy: "Advocacy",
    Theme.vision: "Inspirational vision and narrative focused on quality of care",
    Theme.performance: "Effective, efficient performance and accountability",
    Theme.people_management: "Supportive people management and employee engagement",
    Theme.learning: "Continuous learning and quality improvement",
    Theme.team_working: "Genuine team working and collaboration across boundaries",
    Theme.values: "Modelling the organisation's values in everyday behaviour",
    Theme.attending: "Compassionate leadership: attending",
    Theme.understanding: "Compassionate leadership: understanding",
    Theme.empathising: "Compassionate leadership: empathising",
    Theme.helping: "Compassionate leadership: helping",
    Theme.framework: "Framework items",
}


class ScaleName(StrEnum):
    agreement = "agreement"
    frequency = "frequency"


class WaveStatus(StrEnum):
    open = "open"
    closed = "closed"


# --- tables ----------------------------------------------------------------------------------


class SurveyInstrument(SQLModel, table=True):
    __tablename__ = "survey_instrument"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_survey_instrument_version"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    code: str = Field(max_length=40)
    version: int
    org: str | None = Field(default=None, max_length=50, index=True)  # None: regional (every organisation)
    title: str = Field(max_length=300)
    description: str | None = Field(default=None, max_length=2000)
    demo: bool = False
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("instrument_id", "code", name="uq_survey_question_code"),)

    id: int | None = Field(default=None, primary_key=True)
    instrument_id: int = Field(foreign_key="survey_instrument.id", index=True)
    position: int
    code: str = Field(max_length=80)
    text: str = Field(max_length=1000)
    scale: str = Field(sa_type=String(20))
    positive: list[str] = Field(sa_column=Column(JSON, nullable=False))
    reverse: bool = False
    theme: str = Field(sa_type=String(30))
    framework_items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class SurveyWave(SQLModel, table=True):
    __tablename__ = "survey_wave"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    instrument_id: int = Field(foreign_key="survey_instrument.id", index=True)
    org: str = Field(max_length=50, index=True)
    root_path: str = Field(sa_type=PATH_TYPE)  # the unit surveyed, with everything under it, when it opened
    title: str = Field(max_length=300)
    opens: date
    closes: date
    status: str = Field(sa_type=String(20), default=WaveStatus.open.value)
    responses: int = 0
    demo: bool = False
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class SurveyWaveUnit(SQLModel, table=True):
    """A unit of the organisation tree as it stood when the wave opened: the wave's own copy."""

    __tablename__ = "survey_wave_unit"
    __table_args__ = (UniqueConstraint("wave_id", "path", name="uq_survey_wave_unit_path"),)

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="survey_wave.id", index=True)
    unit_uid: uuid.UUID  # the organisation unit's identifier at the time
    code: str = Field(max_length=50)
    name: str = Field(max_length=300)
    kind: str = Field(sa_type=String(20))
    level: int
    path: str = Field(sa_type=PATH_TYPE)
    parent_id: int | None = Field(default=None, foreign_key="survey_wave_unit.id")


class SurveyResponse(SQLModel, table=True):
    """One anonymous response: no person identifier, only the wave, the unit and optional groups."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_wave_unit", "wave_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="survey_wave.id")
    unit_id: int = Field(foreign_key="survey_wave_unit.id")
    staff_group: str | None = Field(default=None, max_length=50)
    band: str | None = Field(default=None, max_length=50)
    sex: str | None = Field(default=None, max_length=50)
    age_group: str | None = Field(default=None, max_length=50)
    religion: str | None = Field(default=None, max_length=50)
    political_opinion: str | None = Field(default=None, max_length=50)
    racial_group: str | None = Field(default=None, max_length=50)
    marital_status: str | None = Field(default=None, max_length=50)
    sexual_orientation: str | None = Field(default=None, max_length=50)
    disability: str | None = Field(default=None, max_length=50)
    dependants: str | None = Field(default=None, max_length=50)


class SurveyAnswer(SQLModel, table=True):
    """One answer: the option chosen (0 = most negative) and its score 0-10 (reversal applied). The
    wave and unit are repeated from the response so results group answers without a join; they carry
    no foreign keys of their own (the ingest copies them from the response, and a check per answer
    would double the cost of writing a million)."""

    __tablename__ = "survey_answer"
    __table_args__ = (Index("ix_survey_answer_wave_unit", "wave_id", "unit_id"),)

    response_id: int = Field(foreign_key="survey_response.id", primary_key=True)
    question_id: int = Field(foreign_key="survey_question.id", primary_key=True)
    wave_id: int
    unit_id: int
    option: int = Field(sa_type=SmallInteger)
    points: float = Field(sa_type=Float)


class SurveyWavePublication(SQLModel, table=True):
    """A closed wave's published figures and disclosure decisions, computed when it closes, so that a
    results read is a lookup (in any process, after any restart). Keyed by the settings the decisions
    depend on: under other settings (or a wave closed before this table existed) the first read
    computes and stores its own row. `content` is results.encode's form (zlib-compressed JSON) of
    `format`; `responses` is the wave's count when computed (a closed wave's never changes)."""

    __tablename__ = "survey_wave_publication"
    __table_args__ = (
        UniqueConstraint("wave_id", "minimum", "protection", "complementary", name="uq_survey_wave_publication"),
    )

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(sa_column=Column(Integer, ForeignKey("survey_wave.id", ondelete="CASCADE"), nullable=False))
    minimum: int
    protection: int
    complementary: bool
    format: int
    responses: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# --- API schemas: instruments ------------------------------------------------------------------


class QuestionPublic(BaseModel):
    code: str = PydField(examples=["culture.vision.quality_priority"])
    position: int
    text: str
    scale: ScaleName
    options: list[str] = PydField(description="The scale's options, most negative first; each scores 0, 2.5, ... 10.")
    positive: list[str] = PydField(description="Options that count as positive.")
    reverse: bool = PydField(description="Scored from the other end (a negatively worded question).")
    theme: Theme
    framework_items: list[str] = PydField(description="Identifiers of leadership framework items it measures.")
    built_in: bool = PydField(description="One of the nine engagement questions every instrument carries.")


class InstrumentPublic(BaseModel):
    id: uuid.UUID
    code: str = PydField(examples=["HSC-CULTURE"])
    version: int
    org: str | None = PydField(description="The owning organisation; null for a regional instrument.")
    title: str
    description: str | None
    demo: bool
    created_at: datetime
    questions: list[QuestionPublic]


class InstrumentSummary(BaseModel):
    id: uuid.UUID
    code: str
    version: int
    org: str | None
    title: str
    questions: int
    created_at: datetime


class InstrumentImportResult(BaseModel):
    instrument: InstrumentPublic
    imported: int = PydField(description="Questions read from the CSV (the nine engagement questions are added).")


# --- API schemas: waves ------------------------------------------------------------------------


class WaveCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "instrument": "0b7d5f4e-6c1a-5c7e-9d34-2f8e3c1a7b90",
                    "title": "Culture survey autumn 2026",
                    "opens": "2026-10-01",
                    "closes": "2026-10-31",
                }
            ]
        },
    )

    instrument: uuid.UUID
    title: str = PydField(min_length=1, max_length=300)
    opens: date
    closes: date
    unit: uuid.UUID | None = PydField(
        default=None, description="The unit surveyed with everything under it; omitted: the whole organisation."
    )


class WaveUnitPublic(BaseModel):
    id: uuid.UUID = PydField(description="The organisation unit's identifier when the wave opened.")
    code: str
    name: str
    kind: str
    level: int
    path: str


class Suppressed(BaseModel):
    """Stands in for every figure of a suppressed cell: never a zero, never blank."""

    suppressed: bool = True
    reason: str = PydField(examples=["fewer than 10 responses"])


class WavePublic(BaseModel):
    id: uuid.UUID
    org: str
    title: str
    instrument: InstrumentSummary
    opens: date
    closes: date
    status: WaveStatus
    responses: int | Suppressed = PydField(
        description="Responses recorded so far: shown only while the wave is open, and only to its own "
        "organisation's administrators and survey tools (monitoring:admin or survey:ingest), as the progress of "
        "collection. Anyone else, and "
        "everyone once it closes, reads the counts in the wave's results, under disclosure control."
    )
    units: int = PydField(description="Units of the structure frozen when the wave opened.")
    root: WaveUnitPublic
    demo: bool
    created_at: datetime
    closed_at: datetime | None


class ResponseWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: str = PydField(max_length=500, description="Code or path of a unit of the wave's frozen structure.")
    groups: dict[str, str] = PydField(
        default_factory=dict, description=f"Optional demographic groups, by breakdown: {', '.join(BREAKDOWNS)}."
    )
    answers: dict[str, str | int | None] = PydField(
        description="Question code -> option name or its position 1-5 (null or missing: not answered)."
    )


class ResponsesWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "responses": [
                        {
                            "unit": "PROGRAMMES",
                            "groups": {"staff_group": "admin_clerical", "band": "band_5"},
                            "answers": {"engagement.look_forward": "often", "engagement.recommend_work": "agree"},
                        }
                    ]
                }
            ]
        },
    )

    responses: list[ResponseWrite]


class ResponsesIngestResult(BaseModel):
    received: int = PydField(description="Responses recorded.")
    answers: int = PydField(description="Answers recorded.")
    wave_responses: int = PydField(description="Responses in the wave now.")


# --- API schemas: results ----------------------------------------------------------------------


class ChangePublic(BaseModel):
    previous: float = PydField(description="The figure in the previous wave.")
    change: float = PydField(description="This wave minus the previous (percentage points for percent positive).")
    test: str = PydField(examples=["two-proportion z-test (pooled proportion, two-sided)"])
    statistic: float | None
    p_value: float
    significant: bool = PydField(description="p < 0.05.")


class ScorePublic(BaseModel):
    id: str = PydField(examples=["engagement"])
    title: str
    n: int | Suppressed = PydField(description="Respondents with a score.")
    score: float | Suppressed | None = PydField(description="Mean score 0-10; null when nobody has one.")
    change: ChangePublic | Suppressed | None = None


class QuestionFigures(BaseModel):
    code: str
    theme: Theme
    n: int | Suppressed = PydField(description="Respondents who answered.")
    percent_positive: float | Suppressed | None
    mean: float | Suppressed | None = PydField(description="Mean score 0-10.")
    change: ChangePublic | Suppressed | None = PydField(
        default=None, description="Change of percent positive from the previous wave (two-proportion z-test)."
    )


class CellPublic(BaseModel):
    unit: WaveUnitPublic
    breakdown: str | None = PydField(description="null: every respondent of the unit and everything under it.")
    category: str | None
    responses: int | Suppressed
    responses_change: int | Suppressed | None = None
    engagement: list[ScorePublic] = PydField(description="Engagement, then motivation, involvement, advocacy.")
    themes: list[ScorePublic]
    questions: list[QuestionFigures]


class ResultsPublic(BaseModel):
    wave: uuid.UUID
    title: str
    previous_wave: uuid.UUID | None
    minimum: int = PydField(description="Fewest responses a figure is shown for.")
    tests: dict[str, str] = PydField(description="The significance test of each kind of change.")
    alpha: float
    unit: WaveUnitPublic
    breakdown: str | None
    cells: list[CellPublic] = PydField(
        description="The unit, then each unit directly under it (or, with a breakdown, each of the unit's groups)."
    )


class FeedResult(BaseModel):
    indicator: str = PydField(examples=["SURVEY-ENGAGEMENT"])
    period: date
    written: int
    withheld: int = PydField(description="Units whose engagement is suppressed: nothing written for them.")
    units: list[str]
