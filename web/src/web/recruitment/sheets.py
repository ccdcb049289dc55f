"""A score sheet as the pages show it: the stage's criteria in order, each with its scale of
behavioural anchors and the assessor's answer. Pure functions on the clients' models (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web.clients.recruitment import Criterion, Score, Sheet, Stage, StageCriterion, Vacancy
from web.recruitment.deps import SHORTLISTING_LABELS

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
    link: StageCriterion
    criterion: Criterion
    score: Score | None
    options: list[Option]

    @property
    def code(self) -> str:
        return self.criterion.code

    @property
    def answered(self) -> bool:
        return self.score is not None and self.score.answered

    @property
    def answer(self) -> str:
        """The answer as the form's radio value: "", "not_evidenced" or the score."""
        return answer_value(self.score)

    @property
    def answer_text(self) -> str:
        return answer_text(self.score, self.options)


def options_for(stage: Stage, criterion: Criterion) -> list[Option]:
    anchors = {anchor.score: anchor for anchor in criterion.anchors}
    options = []
    for score in stage.scale:
        if stage.kind == "shortlisting":
            options.append(Option(score, SHORTLISTING_LABELS.get(score, ""), ""))
        elif score in anchors:
            options.append(Option(score, anchors[score].title, anchors[score].description))
        else:
            options.append(Option(score, "", ""))
    return options


def stage_scale(stage: Stage, vacancy: Vacancy, code: str | None = None) -> list[Option]:
    """The stage's scale for a form that is not about one criterion yet (changing a score): each
    score with its level name where every criterion of the stage names it alike, and with the
    descriptor of criterion `code` once one is chosen."""
    criteria = [c for c in (vacancy.criterion(link.criterion) for link in stage.criteria) if c is not None]
    chosen = vacancy.criterion(code) if code else None
    if chosen is not None and chosen.code not in {c.code for c in criteria}:
        chosen = None
    described = {option.score: option for option in options_for(stage, chosen)} if chosen else {}
    options = []
    for score in stage.scale:
        if stage.kind == "shortlisting":
            options.append(Option(score, SHORTLISTING_LABELS.get(score, ""), ""))
            continue
        titles = {anchor.title for c in criteria for anchor in c.anchors if anchor.score == score}
        title = titles.pop() if len(titles) == 1 else ""
        option = described.get(score)
        options.append(Option(score, (option.title if option else "") or title, option.description if option else ""))
    return options


def sheet_items(vacancy: Vacancy, stage: Stage, sheet: Sheet | None) -> list[SheetItem]:
    """The stage's criteria in the stage's order, each with the sheet's answer."""
    items = []
    for link in stage.criteria:
        criterion = vacancy.criterion(link.criterion)
        if criterion is None:  # a design naming a criterion the vacancy lacks: never from the API
            continue
        score = sheet.score_for(link.criterion) if sheet else None
        items.append(SheetItem(len(items) + 1, link, criterion, score, options_for(stage, criterion)))
    return items


def answer_value(score: Score | None) -> str:
    if score is None:
        return ""
    if score.not_evidenced:
        return NOT_EVIDENCED
    return "" if score.score is None else str(score.score)


def answer_text(score: Score | None, options: list[Option]) -> str:
    if score is None or not score.answered:
        return "Not answered"
    if score.not_evidenced:
        return "Not evidenced"
    title = next((option.title for option in options if option.score == score.score), "")
    return f"{score.score}: {title}" if title else str(score.score)


def parse_answer(raw: str, stage: Stage) -> tuple[int | None, bool] | None:
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
    return (score, False) if score in stage.scale else None


def score_body(code: str, answer: tuple[int | None, bool], notes: str) -> dict[str, Any]:
    score, not_evidenced = answer
    return {"criterion": code, "score": score, "not_evidenced": not_evidenced, "notes": notes.strip() or None}


def first_unanswered(items: list[SheetItem]) -> int:
    return next((item.index for item in items if not item.answered), 1)
