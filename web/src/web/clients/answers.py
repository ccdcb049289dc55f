"""Reading the services' answers: small pure functions on the generated models, for what the
pages ask of them more than once (and the templates' tests: `stage is scored`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from collective_clients.framework.models import VersionDiffPublic
from collective_clients.recruitment.models import (
    CandidateAdmin,
    CandidateBlind,
    CriterionPublic,
    DesignPublic,
    MyPanel,
    ScorePublic,
    SheetPublic,
    SheetStatus,
    StagePublic,
    VacancyPublic,
)


def scale(stage: StagePublic) -> list[int]:
    """The scores of the stage's scale, lowest first; none for a stage whose score is imported."""
    if stage.scale_min is None or stage.scale_max is None:
        return []
    return list(range(stage.scale_min, stage.scale_max + 1))


def scored(stage: StagePublic) -> bool:
    """Whether a panel scores the stage on a scale (an SJT's score is imported instead)."""
    return bool(scale(stage))


def stage_in(design: DesignPublic, stage_id: uuid.UUID) -> StagePublic | None:
    return next((stage for stage in design.stages if stage.id == stage_id), None)


def criterion_of(vacancy: VacancyPublic, code: str) -> CriterionPublic | None:
    return next((criterion for criterion in vacancy.criteria if criterion.code == code), None)


def submitted(sheet: SheetPublic) -> bool:
    return sheet.status == SheetStatus.submitted


def score_in(sheet: SheetPublic, code: str) -> ScorePublic | None:
    return next((score for score in sheet.scores if score.criterion == code), None)


def answered(score: ScorePublic | None) -> bool:
    return score is not None and (score.score is not None or score.not_evidenced)


def seat_on(panels: Iterable[MyPanel], stage_id: uuid.UUID) -> MyPanel | None:
    """The user's seat on the stage's panel, among their panels."""
    return next((panel for panel in panels if panel.stage_id == stage_id), None)


def blind(candidate: CandidateAdmin | CandidateBlind) -> CandidateBlind:
    """A candidate as an assessor sees them, the code and the evidence, whatever the service sent
    (an admin's view has personal details too): no page that shows this can show a name."""
    return CandidateBlind.model_validate(candidate.model_dump(include=set(CandidateBlind.model_fields)))


def unchanged(diff: VersionDiffPublic) -> bool:
    return not (diff.added or diff.removed or diff.reworded or diff.moved or diff.descriptors or diff.associations)


E = TypeVar("E", bound=StrEnum)


def member(kind: type[E], value: str | None) -> E | None:
    """The member of a service's enumeration that `value` names, or None (what a form sent)."""
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None
