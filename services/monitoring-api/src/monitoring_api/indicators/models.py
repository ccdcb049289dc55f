"""Indicators: definitions, targets over time, values per organisation unit and period (with
revisions), and the per-series SPC choices (rebases, ghosted points, annotations)."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema, field_validator, model_validator
from pydantic import Field as PydField
from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from monitoring_api.structure.models import UnitRef
from servicekit.audit import utcnow

INDICATOR_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_.-]{0,49}$"
COMPONENTS = ("C1", "C2", "C3", "C4")
DEMO_SOURCE = "Demo data"


class Factor(StrEnum):
    """How a value is formed from its numerator and denominator."""

    value = "value"  # the numerator itself; no denominator
    ratio = "ratio"  # numerator / denominator
    percent = "percent"  # numerator / denominator x 100
    per_1000 = "per_1000"  # numerator / denominator x 1,000


FACTORS: dict[str, float] = {Factor.value: 1.0, Factor.ratio: 1.0, Factor.percent: 100.0, Factor.per_1000: 1000.0}


class Direction(StrEnum):
    increase = "increase"
    decrease = "decrease"
    neutral = "neutral"


class Frequency(StrEnum):
    """Periods are named by their first day: monthly the 1st of any month, quarterly the 1st of
    January, April, July or October, annual the 1st of April (the HSC financial year)."""

    monthly = "monthly"
    quarterly = "quarterly"
    annual = "annual"


MONTHS_PER_PERIOD: dict[str, int] = {Frequency.monthly: 1, Frequency.quarterly: 3, Frequency.annual: 12}


def period_problem(frequency: str, period: date) -> str | None:
    """Why `period` cannot name a period of this frequency, or None."""
    if period.day != 1:
        return "a period is named by its first day (the 1st of the month)"
    if frequency == Frequency.quarterly and period.month not in (1, 4, 7, 10):
        return "a quarter starts on 1 January, 1 April, 1 July or 1 October"
    if frequency == Frequency.annual and period.month != 4:
        return "a year starts on 1 April (the HSC financial year)"
    return None


# --- tables ---------------------------------------------------------------------------------


class Indicator(SQLModel, table=True):
    __tablename__ = "indicator"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    code: str = Field(max_length=50, unique=True)
    org: str | None = Field(default=None, max_length=50, index=True)  # None: regional, seen by every organisation
    title: str = Field(max_length=300)
    description: str | None = Field(default=None, sa_type=Text)
    unit_of_measure: str = Field(max_length=50)
    numerator: str = Field(max_length=500)
    denominator: str | None = Field(default=None, max_length=500)
    factor: str = Field(sa_type=String(20))
    direction: str = Field(sa_type=String(20))
    frequency: str = Field(sa_type=String(20))
    source: str | None = Field(default=None, max_length=300)
    owner: str | None = Field(default=None, max_length=200)
    components: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    framework_items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # SPC choices for every chart of this indicator.
    screen_outliers: bool = True
    baseline_points: int | None = None
    trend_points: int = 7
    shift_points: int = 7
    two_sigma: bool = False
    demo: bool = False
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Target(SQLModel, table=True):
    """A target in force from `from_date` until the next target of the indicator starts."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("indicator_id", "from_date", name="uq_target_from"),)

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    value: float
    from_date: date
    note: str | None = Field(default=None, max_length=500)


class IndicatorValue(SQLModel, table=True):
    """A value as recorded for one unit and period. A correction is a new revision; the earlier
    one stays, no longer current. A period without a row is a gap, never a zero."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "unit_id", "period", "revision", name="uq_value_revision"),
        # The current value of each (indicator, unit, period): at most one.
        Index(
            "ux_value_current",
            "indicator_id",
            "unit_id",
            "period",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id")
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    period: date
    numerator: float
    denominator: float | None = None
    revision: int = 1
    is_current: bool = True
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str = Field(max_length=200)


class Rebase(SQLModel, table=True):
    """A new SPC segment for one indicator at one unit from `on`, with the reason (an intervention)."""

    __tablename__ = "rebase"
    __table_args__ = (UniqueConstraint("indicator_id", "unit_id", "on_date", name="uq_rebase_on"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    on_date: date
    reason: str = Field(max_length=2000)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow)


class Ghost(SQLModel, table=True):
    """A point shown on the chart but left out of the calculation, with the reason."""

    __tablename__ = "ghost"
    __table_args__ = (UniqueConstraint("indicator_id", "unit_id", "period", name="uq_ghost_period"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    period: date
    reason: str = Field(max_length=2000)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow)


class Annotation(SQLModel, table=True):
    """What was done, and when: shown on the chart, never part of the calculation."""

    __tablename__ = "annotation"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    on_date: date
    text: str = Field(max_length=2000)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow)


# --- API schemas: definitions ----------------------------------------------------------------


class SpcSettings(BaseModel):
    """How every chart of the indicator is calculated. The defaults are NHSRplotthedots 0.2.2's."""

    model_config = ConfigDict(extra="forbid")

    screen_outliers: bool = PydField(
        default=True,
        description="Screen moving ranges of 3.267 x AMR or more out of the limits (the package's default).",
    )
    baseline_points: int | None = PydField(
        default=None,
        ge=12,
        le=1000,
        strict=True,
        description="fix_after_n_points: the mean and limits come from the first n points of each segment "
        "(at least 12).",
    )
    trend_points: int = PydField(
        default=7, ge=3, le=20, strict=True, description="Points in a trend (some tools use 6)."
    )
    shift_points: int = PydField(default=7, ge=3, le=20, strict=True, description="Points on one side of the mean.")
    two_sigma: bool = PydField(
        default=False,
        description="Making Data Count's 2023 reading of the 2-of-3 rule (every point beyond 2 sigma counts, "
        "beyond 3 included); off is the package's behaviour.",
    )


def _unique(values: list[Any] | None, what: str) -> list[Any] | None:
    if values is not None and len(values) != len(set(values)):
        raise ValueError(f"{what} appears twice")
    return values


_INDICATOR_EXAMPLE: dict[str, Any] = {
    "code": "STAFF-RECOMMEND-WORK",
    "title": "Staff who would recommend the organisation as a place to work",
    "description": "Staff survey: agree or strongly agree that they would recommend it as a place to work.",
    "unit_of_measure": "%",
    "numerator": "Respondents who agree or strongly agree",
    "denominator": "Respondents who answered the question",
    "factor": "percent",
    "direction": "increase",
    "frequency": "quarterly",
    "source": "HSC staff pulse survey",
    "owner": "Director of Human Resources",
    "components": ["C1"],
    "actions": ["A9"],
    "framework_items": ["ac116322-8222-5a37-8a2b-0ed44c933515"],
    "spc": {"screen_outliers": True, "baseline_points": None},
    "regional": True,
}


class IndicatorBase(BaseModel):
    title: str = PydField(min_length=1, max_length=300)
    description: str | None = PydField(default=None, max_length=10_000)
    unit_of_measure: str = PydField(min_length=1, max_length=50, description="What a value is in: %, days, GBP, ...")
    numerator: str = PydField(min_length=1, max_length=500, description="What the numerator counts.")
    denominator: str | None = PydField(
        default=None, max_length=500, description="What the denominator counts; none when the factor is `value`."
    )
    factor: Factor = PydField(
        description="value: the numerator itself; ratio: numerator / denominator; percent: x 100; per_1000: x 1,000."
    )
    direction: Direction = PydField(description="Which way is improvement.")
    frequency: Frequency
    source: str | None = PydField(default=None, max_length=300)
    owner: str | None = PydField(default=None, max_length=200)
    components: list[str] = PydField(
        default_factory=list, max_length=4, description="The strategy's components (C1 to C4) it evidences."
    )
    actions: list[str] = PydField(default_factory=list, max_length=20, description="Codes of the strategy's actions.")
    framework_items: list[uuid.UUID] = PydField(
        default_factory=list, max_length=50, description="Identifiers of framework-api items."
    )
    spc: SpcSettings = PydField(default_factory=SpcSettings)

    @field_validator("components")
    @classmethod
    def _components(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in COMPONENTS]
        if unknown:
            raise ValueError(f"unknown component(s) {', '.join(unknown)}: use C1 to C4")
        return _unique(values, "a component") or []

    @field_validator("actions", "framework_items")
    @classmethod
    def _no_repeats(cls, values: list[Any]) -> list[Any]:
        return _unique(values, "an entry") or []

    @model_validator(mode="after")
    def _denominator_fits_the_factor(self) -> IndicatorBase:
        if self.factor == Factor.value and self.denominator is not None:
            raise ValueError("a plain value (factor `value`) has no denominator")
        if self.factor != Factor.value and not self.denominator:
            raise ValueError(f"factor `{self.factor}` needs a denominator")
        return self


class IndicatorCreate(IndicatorBase):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_INDICATOR_EXAMPLE]})

    code: str = PydField(pattern=INDICATOR_CODE_PATTERN, description="Capitals, digits, '.', '-' and '_'; unique.")
    regional: bool = PydField(
        default=False,
        description="A regional definition every organisation sees (needs monitoring:regional); "
        "otherwise local to your organisation.",
    )


class IndicatorUpdate(BaseModel):
    """The whole definition but its code, replaced at once (PUT semantics on PATCH fields given)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"owner": "Deputy Director of HR", "spc": {"baseline_points": 12}}]},
    )

    title: str | None = PydField(default=None, min_length=1, max_length=300)
    description: str | None = PydField(default=None, max_length=10_000)
    unit_of_measure: str | None = PydField(default=None, min_length=1, max_length=50)
    source: str | None = PydField(default=None, max_length=300)
    owner: str | None = PydField(default=None, max_length=200)
    direction: Direction | None = None
    components: list[str] | None = PydField(default=None, max_length=4)
    actions: list[str] | None = PydField(default=None, max_length=20)
    framework_items: list[uuid.UUID] | None = PydField(default=None, max_length=50)
    spc: SpcSettings | None = None

    @field_validator("components")
    @classmethod
    def _components(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return IndicatorBase._components(values)

    @field_validator("actions", "framework_items")
    @classmethod
    def _no_repeats(cls, values: list[Any] | None) -> list[Any] | None:
        return _unique(values, "an entry")


class TargetWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float = PydField(allow_inf_nan=False, examples=[75])
    from_date: date = PydField(description="In force from this date until the next target starts.")
    note: str | None = PydField(default=None, max_length=500, examples=["Raised after the 2025 review"])


class TargetsWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "targets": [
                        {"value": 70, "from_date": "2024-04-01"},
                        {"value": 75, "from_date": "2025-04-01", "note": "Raised after the 2025 review"},
                    ]
                }
            ]
        },
    )

    targets: list[TargetWrite] = PydField(max_length=100)

    @field_validator("targets")
    @classmethod
    def _one_per_date(cls, targets: list[TargetWrite]) -> list[TargetWrite]:
        dates = [t.from_date for t in targets]
        if len(dates) != len(set(dates)):
            raise ValueError("two targets start on the same date")
        return sorted(targets, key=lambda t: t.from_date)


class TargetPublic(TargetWrite):
    until: date | None = PydField(
        default=None, description="The day before the next target starts; null: still in force."
    )


class IndicatorPublic(IndicatorBase):
    id: uuid.UUID
    code: str
    org: str | None = PydField(description="The organisation a local indicator belongs to; null when regional.")
    regional: bool
    targets: list[TargetPublic]
    demo: bool
    created_at: datetime
    updated_at: datetime


# --- API schemas: values ---------------------------------------------------------------------


class ValueWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str = PydField(
        min_length=1, max_length=50, description="The indicator's code.", examples=["SICKNESS-ABSENCE"]
    )
    unit: str = PydField(
        min_length=1,
        max_length=500,
        description="A unit of your organisation: its code, or its path.",
        examples=["WARD7"],
    )
    period: date = PydField(description="The first day of the period.", examples=["2026-10-01"])
    numerator: float = PydField(allow_inf_nan=False, examples=[412.5])
    denominator: float | None = PydField(default=None, allow_inf_nan=False, examples=[7300])


class ValuesWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "values": [
                        {
                            "indicator": "SICKNESS-ABSENCE",
                            "unit": "WARD7",
                            "period": "2026-10-01",
                            "numerator": 412.5,
                            "denominator": 7300,
                        }
                    ]
                }
            ]
        },
    )

    values: list[ValueWrite] = PydField(min_length=1, max_length=100_000)


class IngestResult(BaseModel):
    received: int = PydField(description="Rows in the request.")
    created: int = PydField(description="Values for a unit and period that had none.")
    corrected: int = PydField(description="New revisions of values that differed; the earlier ones are kept.")
    unchanged: int = PydField(description="Rows equal to the current value: nothing written.")


class SeriesValue(BaseModel):
    period: date
    value: float | None = PydField(description="numerator / denominator x factor; null for a gap.")
    numerator: float | None = None
    denominator: float | None = None
    reporting_units: int = PydField(description="Units of the subtree with a value for the period.")


class Revision(BaseModel):
    revision: int
    current: bool
    numerator: float
    denominator: float | None = None
    value: float | None = None
    recorded_at: datetime
    recorded_by: str


class ValueHistory(BaseModel):
    indicator: str
    unit: UnitRef
    period: date
    revisions: list[Revision] = PydField(description="Newest first.")


class Series(BaseModel):
    indicator: str
    unit: UnitRef
    frequency: Frequency
    values: list[SeriesValue] = PydField(description="Every period from the first value to the last; gaps are null.")


# --- API schemas: chart choices --------------------------------------------------------------


class RebaseWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"on": "2025-04-01", "reason": "New rostering system went live"}]},
    )

    on: date = PydField(description="The period from which a new segment starts.")
    reason: str = PydField(min_length=1, max_length=2000)


class RebasePublic(RebaseWrite):
    id: uuid.UUID
    recorded_by: str
    recorded_at: datetime


class GhostWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"period": "2024-12-01", "reason": "Data extract failed; partial month"}]},
    )

    period: date
    reason: str = PydField(min_length=1, max_length=2000)


class GhostPublic(GhostWrite):
    id: uuid.UUID
    recorded_by: str
    recorded_at: datetime


class AnnotationWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"on": "2025-01-15", "text": "Compassionate leadership workshops began"}]},
    )

    on: date
    text: str = PydField(min_length=1, max_length=2000)


class AnnotationPublic(AnnotationWrite):
    id: uuid.UUID
    recorded_by: str
    recorded_at: datetime


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


# --- API schemas: SPC -----------------------------------------------------------------------

# The package's colours (ptd_spc_colours()), by point type.
POINT_COLOURS: dict[str, str] = {
    "common_cause": "#a6a6a6",
    "special_cause_improvement": "#00b0f0",
    "special_cause_concern": "#e46c0a",
    "special_cause_neutral_high": "#490092",
    "special_cause_neutral_low": "#490092",
}
# The package's assurance icon files (icons/assurance/<name>.svg), by assurance type.
ASSURANCE_ICONS: dict[str, str] = {"consistent_pass": "pass", "consistent_fail": "fail", "inconsistent": "inconsistent"}
MAX_SPC_POINTS = 10_000


def _iso_date(value: Any) -> Any:
    """Dates are ISO 8601 calendar dates, `YYYY-MM-DD`, and nothing else (no timestamps, no times)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("must be a real date written YYYY-MM-DD") from exc


IsoDate = Annotated[date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]
StrictNumber = Annotated[float, PydField(strict=True, allow_inf_nan=False)]


class SpcInputPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: IsoDate = PydField(description="The period's date, YYYY-MM-DD; unique in the series.")
    value: StrictNumber | None = PydField(description="A finite number, or null for a gap (a period without a value).")


class SpcTargetPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_date: IsoDate = PydField(description="In force from this date until the next target starts.")
    value: StrictNumber


class SpcRequest(BaseModel):
    """An XmR chart of any series, computed as NHSRplotthedots 0.2.2's ptd_spc() computes it.

    Only `points` is required; every option left out takes the package's default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "points": [
                        {"date": "2024-01-01", "value": 52.1},
                        {"date": "2024-02-01", "value": 49.8},
                        {"date": "2024-03-01", "value": None},
                        {"date": "2024-04-01", "value": 55.0},
                    ],
                    "improvement_direction": "increase",
                    "target": 50,
                    "baseline_points": None,
                    "rebase_dates": [],
                    "screen_outliers": True,
                }
            ]
        },
    )

    points: list[SpcInputPoint] = PydField(
        min_length=1,
        max_length=MAX_SPC_POINTS,
        description="The series, in any order (it is sorted by date). Dates must be unique; a null value is a gap.",
    )
    improvement_direction: Direction = PydField(
        default=Direction.increase,
        description="increase, decrease or neutral (the package's improvement_direction; its default is increase).",
    )
    target: StrictNumber | None = PydField(
        default=None, description="The package's target: one number, or null for none (no assurance then)."
    )
    targets: list[SpcTargetPeriod] | None = PydField(
        default=None,
        max_length=100,
        description="Beyond the package: targets that change over time, instead of `target` (give one or neither). "
        "Each point gets the target in force on its date; assurance uses the last point's.",
    )
    baseline_points: Annotated[int, PydField(strict=True, ge=12, le=MAX_SPC_POINTS)] | None = PydField(
        default=None,
        description="The package's fix_after_n_points: the mean and limits of each segment come from its first n "
        "rows (at least 12). Null: from every row.",
    )
    rebase_dates: list[IsoDate] = PydField(
        default_factory=list,
        max_length=MAX_SPC_POINTS,
        description="The package's rebase: a new segment starts at the point with each of these dates. A date with "
        "no point is ignored, as in the package (the response's `warnings` says so).",
    )
    screen_outliers: Annotated[bool, PydField(strict=True)] = PydField(
        default=True,
        description="The package's screen_outliers: leave moving ranges of 3.267 x AMR or more out of the limits.",
    )
    ghosted_dates: list[IsoDate] = PydField(
        default_factory=list,
        max_length=MAX_SPC_POINTS,
        description="Beyond the package: points shown but left out of every calculation (each date must be a point's).",
    )
    trend_points: Annotated[int, PydField(strict=True, ge=3, le=20)] = PydField(
        default=7, description="Beyond the package: the points in a trend (the package's 7; some tools use 6)."
    )
    shift_points: Annotated[int, PydField(strict=True, ge=3, le=20)] = PydField(
        default=7, description="Beyond the package: the points on one side of the mean for a shift (7)."
    )
    two_sigma: Annotated[bool, PydField(strict=True)] = PydField(
        default=False,
        description="Beyond the package: Making Data Count's 2023 reading of the 2-of-3 rule, where every point "
        "beyond 2 sigma counts, beyond the process limits included. Off (the package's reading) by default.",
    )


class SpcPointOut(BaseModel):
    date: IsoDate = PydField(description="The point's date, as given.")
    value: float | None = PydField(description="null for a gap.")
    mean: float | None = PydField(description="The segment's mean (the package's mean_col).")
    lpl: float | None = PydField(description="Lower process limit: mean - 2.66 x AMR; null without a moving range.")
    upl: float | None = PydField(description="Upper process limit: mean + 2.66 x AMR.")
    near_lpl: float | None = PydField(description="mean - 2 x (2.66 / 3) x AMR: the 2-sigma line (the package's nlpl).")
    near_upl: float | None = PydField(description="mean + 2 x (2.66 / 3) x AMR (the package's nupl).")
    point_type: str | None = PydField(
        description="The package's point_type: common_cause, special_cause_improvement, special_cause_concern, "
        "special_cause_neutral_high, special_cause_neutral_low; null only for a ghosted point."
    )
    special_cause_type: str | None = PydField(
        description="The package's special_cause_type: 'Above UCL', 'Below LCL', '7 Point Trend (Increasing)', "
        "'2 in 3 Above CL', '7 Points Below CL', 'Common Cause', ...; null for a ghosted point."
    )
    special_cause_flag: bool = PydField(description="The package's special_cause_flag: not common cause.")
    relative_to_mean: int | None = PydField(description="1 above, -1 below, 0 on the mean; null for a gap.")
    outside_limits: bool | None = PydField(
        default=None, description="Strictly above upl or below lpl (the package's outside_limits); null for a gap."
    )
    close_to_limits: bool | None = PydField(description="Strictly beyond a near limit, not outside a process limit.")
    part_of_trend: bool = PydField(description="In a run of trend_points rising (or falling) points.")
    part_of_two_in_three: bool = PydField(description="One of 2 of 3 points close to a limit, on one side.")
    part_of_shift: bool = PydField(description="In a run of shift_points points on one side of the mean.")
    rebase_group: int = PydField(description="How many rebase dates are on or before this point (the package's).")
    baseline: bool = PydField(description="One of the rows the mean and limits come from.")
    provisional: bool = PydField(
        description="Its segment has fewer than 13 rows: trial limits (the package's short_group_warning)."
    )
    target: float | None = PydField(default=None, description="The target in force on the date.")
    ghosted: bool = PydField(description="Shown but left out of the calculation.")
    colour: str | None = PydField(description="The package's colour for the point type.", examples=["#00b0f0"])


class VariationOut(BaseModel):
    type: str | None = PydField(description="The last point's point_type.", examples=["special_cause_improvement"])
    icon: str | None = PydField(
        description="The package's variation icon (icons/variation/<icon>.svg): common_cause, improvement_high, "
        "improvement_low, concern_high, concern_low, neutral_high, neutral_low.",
        examples=["improvement_high"],
    )


class AssuranceOut(BaseModel):
    type: str | None = PydField(
        description="consistent_pass, consistent_fail or inconsistent; null without a target or with a neutral "
        "direction (the package gives none then).",
        examples=["consistent_pass"],
    )
    icon: str | None = PydField(
        description="The package's assurance icon (icons/assurance/<icon>.svg): pass, fail, inconsistent.",
        examples=["pass"],
    )


class SpcSegmentOut(BaseModel):
    rebase_group: int
    start: date
    end: date
    n: int = PydField(description="Rows in the calculation (gaps count, ghosted points do not).")
    mean: float | None
    amr: float | None = PydField(description="Average moving range, after screening when screening.")
    lpl: float | None
    upl: float | None
    near_lpl: float | None
    near_upl: float | None
    provisional: bool
    common_cause: int
    special_cause_improvement: int
    special_cause_concern: int
    special_cause_neutral: int
    variation_type: str | None


class SpcOptionsOut(BaseModel):
    improvement_direction: Direction
    baseline_points: int | None
    screen_outliers: bool
    trend_points: int
    shift_points: int
    two_sigma: bool


class SpcResponse(BaseModel):
    points: list[SpcPointOut] = PydField(description="One per input point, in date order.")
    variation: VariationOut
    assurance: AssuranceOut
    provisional: bool = PydField(description="The last point's segment has fewer than 13 rows (trial limits).")
    segments: list[SpcSegmentOut]
    options: SpcOptionsOut
    warnings: list[str] = PydField(default_factory=list, description="Inputs the package would also ignore.")


class IndicatorRef(BaseModel):
    id: uuid.UUID
    code: str
    title: str


class ChartPoint(SpcPointOut):
    numerator: float | None = None
    denominator: float | None = None
    reporting_units: int
    ghost_reason: str | None = None


class Chart(BaseModel):
    indicator: IndicatorRef
    unit: UnitRef
    frequency: Frequency
    direction: Direction
    unit_of_measure: str
    points: list[ChartPoint]
    variation: VariationOut
    assurance: AssuranceOut
    provisional: bool
    segments: list[SpcSegmentOut]
    options: SpcOptionsOut
    rebases: list[RebasePublic]
    ghosts: list[GhostPublic]
    annotations: list[AnnotationPublic]
    targets: list[TargetPublic]


# --- API schemas: the summary table -----------------------------------------------------------


class SummaryFilter(StrEnum):
    all_concerns = "all_concerns"  # the last point is a special cause of concern
    improvements = "improvements"
    special_causes = "special_causes"  # improvement, concern or neutral
    common_cause = "common_cause"
    consistently_failing = "consistently_failing"
    consistently_passing = "consistently_passing"
    hit_or_miss = "hit_or_miss"  # assurance inconsistent
    provisional = "provisional"
    no_data = "no_data"


class SummaryIndicator(BaseModel):
    id: uuid.UUID
    code: str
    title: str
    direction: Direction
    unit_of_measure: str


class SummaryRow(BaseModel):
    indicator: SummaryIndicator
    unit: UnitRef
    points: int = PydField(description="Periods in the series, gaps included.")
    latest_period: date | None = PydField(description="The last period with a value.")
    latest_value: float | None = None
    target: float | None = PydField(description="The target in force on the last period.")
    variation: VariationOut
    assurance: AssuranceOut
    provisional: bool = PydField(description="The last segment has fewer than 13 points: trial limits.")
    mean: float | None = None
    lpl: float | None = None
    upl: float | None = None
