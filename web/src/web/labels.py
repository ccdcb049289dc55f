"""Every display label of the pages, in one place: the words people read for the services' values.

The values themselves (statuses, kinds, outcomes, item types) are the services' enumerations from
their generated clients; a label missing for a value the service adds later falls back to the
value in words (`label`), and tests/web checks that every value has one."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from collective_clients.framework.models import Audience, ItemType, VersionStatus
from collective_clients.monitoring.models import Direction, Factor, Frequency, PlanStatus
from collective_clients.recruitment.models import Outcome, StageKind, VacancyStatus

# --- framework-api ----------------------------------------------------------------------------

VERSION_STATUS_TAGS: Mapping[str, str] = {
    VersionStatus.published: "nhsuk-tag--green",
    VersionStatus.draft: "nhsuk-tag--grey",
    VersionStatus.deprecated: "nhsuk-tag--orange",
}
ITEM_TYPE_TAGS: Mapping[str, str] = {
    ItemType.component: "nhsuk-tag--blue",
    ItemType.value: "nhsuk-tag--purple",
    ItemType.capability: "nhsuk-tag--aqua-green",
    ItemType.behaviour: "nhsuk-tag--white",
    ItemType.indicator: "nhsuk-tag--grey",
    ItemType.cultural_characteristic: "nhsuk-tag--pink",
    ItemType.compassionate_behaviour: "nhsuk-tag--yellow",
    ItemType.community_characteristic: "nhsuk-tag--orange",
    ItemType.system_commitment: "nhsuk-tag--green",
    ItemType.team_criterion: "nhsuk-tag--red",
}
# An item type as the heading of its items, in the order a form lists them (a type missing here
# comes last, in words).
ITEM_TYPE_GROUPS: Mapping[str, str] = {
    ItemType.component: "Components",
    ItemType.value: "Values",
    ItemType.behaviour: "Behaviours",
    ItemType.capability: "Capabilities",
    ItemType.cultural_characteristic: "Cultural characteristics",
    ItemType.compassionate_behaviour: "Compassionate leadership behaviours",
    ItemType.community_characteristic: "Community characteristics",
    ItemType.system_commitment: "System leadership commitments",
    ItemType.team_criterion: "Team criteria",
    ItemType.indicator: "Indicators",
}
AUDIENCES: Mapping[str, str] = {
    Audience.all_staff: "All staff",
    Audience.team_leaders: "Team leaders",
    Audience.senior_system_leaders: "Senior system leaders",
}

# --- recruitment-api --------------------------------------------------------------------------

VACANCY_STATUS_TAGS: Mapping[str, str] = {
    VacancyStatus.draft: "nhsuk-tag--grey",
    VacancyStatus.open: "nhsuk-tag--blue",
    VacancyStatus.scoring: "nhsuk-tag--yellow",
    VacancyStatus.decided: "nhsuk-tag--green",
    VacancyStatus.closed: "nhsuk-tag--white",
}
# What moving a vacancy to each status means, for the button that moves it there.
STATUS_ACTIONS: Mapping[str, tuple[str, str]] = {
    VacancyStatus.open: ("Open the vacancy", "Candidates can be added; the panel cannot score yet."),
    VacancyStatus.scoring: ("Start scoring", "Assessors on the panels can score candidates."),
    VacancyStatus.decided: ("Mark as decided", "Scoring ends; decisions can still be recorded."),
    VacancyStatus.closed: ("Close the vacancy", "Nothing changes any more; the retention period starts."),
}
STAGE_KINDS: Mapping[str, str] = {
    StageKind.shortlisting: "Shortlisting",
    StageKind.interview: "Interview",
    StageKind.mmi_station: "MMI station",
    StageKind.sjt: "Situational judgement test (imported score)",
}
OUTCOMES: Mapping[str, str] = {
    Outcome.progress: "Progress to the next stage",
    Outcome.appoint: "Appoint",
    Outcome.reserve: "Reserve list",
    Outcome.reject: "Do not progress",
    Outcome.withdrawn: "Withdrawn",
}
# Reliability bands (Koo & Li for ICCs, Krippendorff for alpha), as recruitment-api names them.
BANDS: Mapping[str, str] = {
    "poor": "poor agreement",
    "moderate": "moderate agreement",
    "good": "good agreement",
    "excellent": "excellent agreement",
    "reliable": "reliable",
    "tentative": "tentative: use with care",
    "unreliable": "unreliable",
}
RELIABILITY_DESIGNS: Mapping[str, str] = {
    "fully_crossed": "Every assessor scored every candidate (fully crossed).",
    "one_way": "Each candidate was scored by the same number of assessors, but not always the same people.",
    "ragged": "Candidates were scored by different numbers of assessors, so only Krippendorff's alpha applies.",
}
COEFFICIENTS: Mapping[str, str] = {
    "ICC(2,1)": "How far one assessor's score can be relied on alone.",
    "ICC(2,k)": "How far the panel's mean score, the one used for results, can be relied on.",
    "ICC(1,k)": "How far the mean of the assessors who scored each candidate can be relied on.",
    "alpha (ordinal)": "Agreement between assessors on the order of scores, allowing for missing scores.",
}
# The Section 75 categories and community background, in the order the report offers them.
EQUALITY_CATEGORIES: Mapping[str, str] = {
    "community_background": "Community background",
    "sex": "Sex",
    "age_band": "Age",
    "religious_belief": "Religious belief",
    "political_opinion": "Political opinion",
    "racial_group": "Racial group",
    "marital_status": "Marital status",
    "sexual_orientation": "Sexual orientation",
    "disability": "Disability",
    "dependants": "Dependants",
}

# --- monitoring-api ---------------------------------------------------------------------------

# A plan item's status: its words, and the NHS.UK tag of its RAG colour (the words are always shown,
# so the colour is never the only way to tell).
PLAN_STATUSES: Mapping[str, str] = {
    PlanStatus.not_started: "Not started",
    PlanStatus.on_track: "On track",
    PlanStatus.at_risk: "At risk",
    PlanStatus.off_track: "Off track",
    PlanStatus.done: "Done",
}
PLAN_STATUS_TAGS: Mapping[str, str] = {
    PlanStatus.not_started: "nhsuk-tag--grey",
    PlanStatus.on_track: "nhsuk-tag--green",
    PlanStatus.at_risk: "nhsuk-tag--orange",
    PlanStatus.off_track: "nhsuk-tag--red",
    PlanStatus.done: "nhsuk-tag--blue",
}
# An indicator's definition, as the admin pages offer it.
FACTORS: Mapping[str, str] = {
    Factor.percent: "Percentage: numerator divided by denominator, times 100",
    Factor.per_1000: "Rate per 1,000: numerator divided by denominator, times 1,000",
    Factor.ratio: "Ratio: numerator divided by denominator",
    Factor.value: "A plain value: the numerator itself, no denominator",
}
DIRECTIONS: Mapping[str, str] = {
    Direction.increase: "Higher is better",
    Direction.decrease: "Lower is better",
    Direction.neutral: "Neither: watch for change either way",
}
FREQUENCIES: Mapping[str, str] = {
    Frequency.monthly: "Monthly",
    Frequency.quarterly: "Quarterly (from 1 January, April, July, October)",
    Frequency.annual: "Annual (from 1 April)",
}

# Every enumeration above whose every value needs a label (checked by tests/web).
LABELLED: Mapping[type[StrEnum], Mapping[str, object]] = {
    VersionStatus: VERSION_STATUS_TAGS,
    ItemType: ITEM_TYPE_TAGS,
    Audience: AUDIENCES,
    VacancyStatus: VACANCY_STATUS_TAGS,
    StageKind: STAGE_KINDS,
    Outcome: OUTCOMES,
    PlanStatus: PLAN_STATUSES,
    Factor: FACTORS,
    Direction: DIRECTIONS,
    Frequency: FREQUENCIES,
}


def humanise(value: str | None) -> str:
    """A value in words: "mmi_station" -> "Mmi station"."""
    return (value or "").replace("_", " ").capitalize()


def label(labels: Mapping[str, str], value: str | None) -> str:
    """The label of `value`, or the value in words when it has none."""
    return labels.get(value or "", humanise(value))
