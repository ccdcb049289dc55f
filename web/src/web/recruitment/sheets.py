"""A score sheet as the pages show it: the stage's criteria in order, each with its scale of
behavioural anchors and the assessor's answer. Pure functions on recruitment-api's models (no I/O).

A score's anchor is the stage's own where the stage has a scale of its own (shortlisting's 0 to 2,
"not met" to "fully met"), otherwise the criterion's (the value's level descriptors)."""

from __future__ import annotations

from dataclasses import dataclass

from collective_clients.recruitment.models import (
    Anchor,
    CriterionPublic,
    ScorePublic,
    ScoreWrite,
    SheetPublic,
    StageCriterionPublic,
    StagePublic,
    VacancyPublic,
)
from web.clients.answers import answered, criterion_of, scale, score_in
from web.clients.base import unvalidated

NOT_EVIDENCED = "not_evidenced"


@dataclass(frozen=True)
class Option:
    """One answer on a criterion's scale: the score, its anchor's title and what it looks like."""

    score: int
    title: str
    description: str


@dataclass(frozen=True)
class SheetItem:
    """One criterion of the stage, as the n-th page of the sheet."""

    index: int  # 1-based
    link: StageCriterionPublic
    criterion: CriterionPublic
    score: ScorePublic | None
    options: list[Option]

    @property
    def code(self) -> str:
        return self.criterion.code

    @property
    def answered(self) -> bool:
        return answered(self.score)

    @property
    def answer(self) -> str:
        """The answer as the form's radio value: "", "not_evidenced" or the score."""
        return answer_value(self.score)

    @property
    def answer_text(self) -> str:
        return answer_text(self.score, self.options)


def _anchors(stage: StagePublic, criterion: CriterionPublic | None) -> dict[int, Anchor]:
    anchors = stage.anchors or (criterion.anchors if criterion else [])
    return {anchor.score: anchor for anchor in anchors}


def options_for(stage: StagePublic, criterion: CriterionPublic | None) -> list[Option]:
    anchors = _anchors(stage, criterion)
    return [
        Option(score, anchors[score].title, anchors[score].description) if score in anchors else Option(score, "", "")
        for score in scale(stage)
    ]


def stage_scale(stage: StagePublic, vacancy: VacancyPublic, code: str | None = None) -> list[Option]:
    """The stage's scale for a form that is not about one criterion yet (changing a score): each
    score with its level name where every criterion of the stage names it alike, and with the
    descriptor of criterion `code` once one is chosen."""
    criteria = [c for c in (criterion_of(vacancy, link.criterion) for link in stage.criteria) if c is not None]
    chosen = criterion_of(vacancy, code) if code else None
    if chosen is not None and chosen.code not in {c.code for c in criteria}:
        chosen = None
    if stage.anchors:
        return options_for(stage, None)
    described = {option.score: option for option in options_for(stage, chosen)} if chosen else {}
    options = []
    for score in scale(stage):
        titles = {anchor.title for c in criteria for anchor in c.anchors if anchor.score == score}
        title = titles.pop() if len(titles) == 1 else ""
        option = described.get(score)
        options.append(Option(score, (option.title if option else "") or title, option.description if option else ""))
    return options


def sheet_items(vacancy: VacancyPublic, stage: StagePublic, sheet: SheetPublic | None) -> list[SheetItem]:
    """The stage's criteria in the stage's order, each with the sheet's answer."""
    items: list[SheetItem] = []
    for link in stage.criteria:
        criterion = criterion_of(vacancy, link.criterion)
        if criterion is None:  # a design naming a criterion the vacancy lacks: never from the API
            continue
        score = score_in(sheet, link.criterion) if sheet else None
        items.append(SheetItem(len(items) + 1, link, criterion, score, options_for(stage, criterion)))
    return items


def answer_value(score: ScorePublic | None) -> str:
    if score is None:
        return ""
    if score.not_evidenced:
        return NOT_EVIDENCED
    return "" if score.score is None else str(score.score)


def answer_text(score: ScorePublic | None, options: list[Option]) -> str:
    if score is None or not answered(score):
        return "Not answered"
    if score.not_evidenced:
        return "Not evidenced"
    title = next((option.title for option in options if option.score == score.score), "")
    return f"{score.score}: {title}" if title else str(score.score)


def parse_answer(raw: str, stage: StagePublic) -> tuple[int | None, bool] | None:
    """(score, not evidenced) from the form's radio value; None when it is not on the scale."""
    raw = raw.strip()
    if raw == "":
        return None, False
    if raw == NOT_EVIDENCED:
        return None, True
    try:
        score = int(raw)
    except ValueError:
        return None
    return (score, False) if score in scale(stage) else None


def score_body(code: str, answer: tuple[int | None, bool], notes: str) -> ScoreWrite:
    score, not_evidenced = answer
    return unvalidated(
        ScoreWrite, criterion=code, score=score, not_evidenced=not_evidenced, notes=notes.strip() or None
    )


def first_unanswered(items: list[SheetItem]) -> int:
    return next((item.index for item in items if not item.answered), 1)
