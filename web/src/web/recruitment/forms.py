"""The forms of the recruitment admin pages whose fields repeat (stages of a design, members of a
panel, rows of pasted SJT scores): read from a submitted form or from the service's answer,
checked, and turned into the body recruitment-api expects. Pure functions (no I/O)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from collective_clients.recruitment.models import (
    CriterionPublic,
    DesignPublic,
    DesignWrite,
    PanelMemberWrite,
    PanelPublic,
    PanelWrite,
    SjtImport,
    SjtScoreWrite,
    StageCriterionWrite,
    StageKind,
    StageWrite,
)
from web.clients import answers
from web.clients.base import unvalidated
from web.clients.limits import Bounds, bounds, max_items

# recruitment-api's limits, from its models.
MAX_STAGES = max_items(DesignWrite, "stages")
MAX_MEMBERS = max_items(PanelWrite, "members")
THRESHOLD = bounds(StageWrite, "min_weighted_mean")
MIN_PER_VALUE = bounds(StageWrite, "min_per_value")
WEIGHT = bounds(StageCriterionWrite, "weight")
SJT_SCORE = bounds(SjtScoreWrite, "score")
MAX_SJT_ROWS = max_items(SjtImport, "scores")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


# --- the assessment design ------------------------------------------------------------------


@dataclass
class CriterionChoice:
    chosen: bool = False
    weight: str = "1"
    essential: bool = False


@dataclass
class StageForm:
    name: str = ""
    kind: str = "interview"
    min_weighted_mean: str = ""
    min_per_value: str = ""
    essentials_required: bool = True
    pass_mark: str = ""
    criteria: dict[str, CriterionChoice] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not self.name.strip() and not any(c.chosen for c in self.criteria.values())


def blank_stage(codes: Iterable[str]) -> StageForm:
    return StageForm(criteria={code: CriterionChoice() for code in codes})


def stages_from_design(design: DesignPublic, codes: list[str]) -> list[StageForm]:
    forms = []
    for stage in design.stages:
        chosen = {link.criterion: link for link in stage.criteria}
        forms.append(
            StageForm(
                name=stage.name,
                kind=stage.kind,
                min_weighted_mean=_number(stage.min_weighted_mean),
                min_per_value=_number(stage.min_per_value),
                essentials_required=stage.essentials_required,
                pass_mark=_number(stage.pass_mark),
                criteria={
                    code: CriterionChoice(
                        chosen=code in chosen,
                        weight=_number(chosen[code].weight) if code in chosen else "1",
                        essential=chosen[code].essential if code in chosen else False,
                    )
                    for code in codes
                },
            )
        )
    return forms


def stages_from_form(form: Mapping[str, Any], codes: list[str]) -> list[StageForm]:
    """The stages as submitted: fields `stage-<i>-<name>`, criteria as `stage-<i>-criteria`
    (checkboxes, one value per code) with `stage-<i>-weight-<code>` and `stage-<i>-essential-<code>`."""
    try:
        count = min(int(str(form.get("stage_count", "0"))), MAX_STAGES)
    except ValueError:
        count = 0
    getlist = getattr(form, "getlist", None)
    stages = []
    for i in range(max(count, 0)):
        prefix = f"stage-{i}-"
        chosen = set(getlist(prefix + "criteria")) if getlist else set()
        stages.append(
            StageForm(
                name=str(form.get(prefix + "name", "")).strip(),
                kind=str(form.get(prefix + "kind", "interview")),
                min_weighted_mean=str(form.get(prefix + "min_weighted_mean", "")).strip(),
                min_per_value=str(form.get(prefix + "min_per_value", "")).strip(),
                essentials_required=form.get(prefix + "essentials_required") is not None,
                pass_mark=str(form.get(prefix + "pass_mark", "")).strip(),
                criteria={
                    code: CriterionChoice(
                        chosen=code in chosen,
                        weight=str(form.get(f"{prefix}weight-{code}", "1")).strip() or "1",
                        essential=form.get(f"{prefix}essential-{code}") is not None,
                    )
                    for code in codes
                },
            )
        )
    return stages


def _parse_number(raw: str, limits: Bounds) -> float | str | None:
    """The number, None when blank, or the error message."""
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        return "must be a number"
    if not limits.check(number):
        return f"must be {'more than' if limits.above_low else 'at least'} {limits.low:g} and at most {limits.high:g}"
    return number


def design_body(stages: list[StageForm]) -> tuple[DesignWrite, dict[str, str], list[int]]:
    """(body for PUT /design, errors by form field, the form index of each stage in the body).
    A blank stage (no name and no criteria) is left out."""
    errors: dict[str, str] = {}
    body_stages: list[StageWrite] = []
    slots = []
    names: set[str] = set()
    for i, stage in enumerate(stages):
        if stage.blank:
            continue
        prefix = f"stage-{i}-"
        if not stage.name:
            errors[prefix + "name"] = f"Enter a name for stage {i + 1}"
        elif stage.name in names:
            errors[prefix + "name"] = f"Stage {i + 1} has the same name as another stage: give each its own"
        names.add(stage.name)
        if answers.member(StageKind, stage.kind) is None:
            errors[prefix + "kind"] = f"Choose what kind of stage {i + 1} is"
        numbers: dict[str, float | None] = {}
        for name, label, limits in (
            ("min_weighted_mean", "The minimum weighted mean", THRESHOLD),
            ("min_per_value", "The minimum per value", MIN_PER_VALUE),
        ):
            parsed = _parse_number(getattr(stage, name), limits)
            if isinstance(parsed, str):
                errors[prefix + name] = f"{label} of stage {i + 1} {parsed}"
            else:
                numbers[name] = parsed
        # A pass mark is an SJT score: within the range of the scores it is compared with.
        pass_mark = _parse_number(stage.pass_mark, SJT_SCORE)
        if isinstance(pass_mark, str):
            errors[prefix + "pass_mark"] = f"The pass mark of stage {i + 1} {pass_mark}"
            pass_mark = None
        criteria = []
        for code, choice in stage.criteria.items():
            if not choice.chosen:
                continue
            weight = _parse_number(choice.weight, WEIGHT)
            if isinstance(weight, str) or weight is None:
                allowed = f"more than {WEIGHT.low:g} and at most {WEIGHT.high:g}"
                errors[f"{prefix}weight-{code}"] = f"The weight of {code} in stage {i + 1} must be {allowed}"
                weight = 1.0
            criteria.append(unvalidated(StageCriterionWrite, criterion=code, weight=weight, essential=choice.essential))
        if stage.kind == StageKind.sjt and criteria:
            errors[prefix + "criteria"] = (
                f"Stage {i + 1} is a situational judgement test: its score is imported, so choose no criteria"
            )
        elif stage.kind != StageKind.sjt and not criteria:
            errors[prefix + "criteria"] = f"Choose at least one criterion for stage {i + 1}"
        body_stages.append(
            unvalidated(
                StageWrite,
                name=stage.name,
                kind=stage.kind,
                min_weighted_mean=numbers.get("min_weighted_mean"),
                min_per_value=numbers.get("min_per_value"),
                essentials_required=stage.essentials_required,
                pass_mark=pass_mark if stage.kind == StageKind.sjt else None,
                criteria=criteria,
            )
        )
        slots.append(i)
    if not body_stages and not errors:
        errors["stage-0-name"] = "Add at least one stage"
    return unvalidated(DesignWrite, stages=body_stages), errors, slots


_STAGE_FIELDS = ("name", "kind", "min_weighted_mean", "min_per_value", "pass_mark")
_STAGE_FIELD = re.compile(r"^body\.stages\.(\d+)(?:\.([a-z_]+))?")


def design_problem_errors(field_errors: list[dict[str, Any]], slots: list[int], detail: str) -> dict[str, str]:
    """recruitment-api's 422 on a design, as messages beside the stage fields they concern."""
    errors: dict[str, str] = {}
    for error in field_errors:
        path = str(error.get("field") or "")
        message = str(error.get("message") or "is not valid").removeprefix("Value error, ")
        match = _STAGE_FIELD.match(path)
        if match and int(match.group(1)) < len(slots):
            slot = slots[int(match.group(1))]
            name = match.group(2) if match.group(2) in _STAGE_FIELDS else "criteria"
            target = f"stage-{slot}-{name}"
            errors.setdefault(target, f"Stage {slot + 1}: {message}")
        else:
            errors.setdefault("problem", message[:1].upper() + message[1:])
    if not errors:
        errors["problem"] = detail or "The design was not accepted"
    return errors


# --- a stage's panel ------------------------------------------------------------------------


@dataclass
class MemberForm:
    assessor: str = ""
    is_lead: bool = False


def members_from_panel(panel: PanelPublic) -> list[MemberForm]:
    return [MemberForm(member.assessor, member.is_lead) for member in panel.members]


def members_from_form(form: Mapping[str, Any]) -> list[MemberForm]:
    try:
        count = min(int(str(form.get("member_count", "0"))), MAX_MEMBERS + 5)
    except ValueError:
        count = 0
    return [
        MemberForm(str(form.get(f"member-{i}", "")).strip(), form.get(f"lead-{i}") is not None)
        for i in range(max(count, 0))
    ]


def panel_body(members: list[MemberForm], names: Mapping[str, str]) -> tuple[PanelWrite, dict[str, str]]:
    """(members for PUT /panel, errors by form field). `names` maps the user ids that may be
    chosen to the names shown; a row left empty is ignored."""
    errors: dict[str, str] = {}
    chosen: list[PanelMemberWrite] = []
    seen: set[str] = set()
    for i, member in enumerate(members):
        if not member.assessor:
            if member.is_lead:
                errors[f"member-{i}"] = f"Choose the assessor in row {i + 1}, or untick lead"
            continue
        if member.assessor not in names:
            errors[f"member-{i}"] = f"Choose an assessor from the list in row {i + 1}"
            continue
        if member.assessor in seen:
            errors[f"member-{i}"] = f"{names[member.assessor]} is on the panel already: choose each assessor once"
            continue
        seen.add(member.assessor)
        chosen.append(
            unvalidated(PanelMemberWrite, assessor=member.assessor, name=names[member.assessor], is_lead=member.is_lead)
        )
    if not chosen and not errors:
        errors["member-0"] = "Choose at least one assessor"
    if len(chosen) > MAX_MEMBERS:
        errors["member-0"] = f"A panel has at most {MAX_MEMBERS} assessors"
    return unvalidated(PanelWrite, members=chosen), errors


def criteria_codes(criteria: Iterable[CriterionPublic]) -> list[str]:
    return [criterion.code for criterion in criteria]


# --- situational judgement test scores ------------------------------------------------------

SJT_HEADERS = ("candidate_code", "code", "candidate")
SJT_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")  # 71, 71.5, -3, .5 (not 1e3, nan or 1_000)


@dataclass(frozen=True)
class RowProblem:
    row: int  # the line of the pasted text, from 1
    code: str
    message: str


def sjt_scores(text: str, codes: Mapping[str, uuid.UUID]) -> tuple[list[SjtScoreWrite], list[RowProblem]]:
    """Pasted `candidate_code,score` lines as the scores of POST .../sjt-scores, or every problem
    by row. `codes` maps the vacancy's candidate codes to their ids (matched ignoring case). A
    header line naming the columns is skipped, and so are blank lines."""
    known = {code.casefold(): candidate_id for code, candidate_id in codes.items()}
    scores: list[SjtScoreWrite] = []
    problems: list[RowProblem] = []
    first_row: dict[uuid.UUID, int] = {}
    reader = csv.reader(io.StringIO(text.replace("\x00", "")))
    try:
        rows = list(reader)
    except csv.Error:
        return [], [RowProblem(reader.line_num, "", "This line cannot be read as CSV")]
    first_line = True
    for number, cells in enumerate(rows, start=1):
        cells = [cell.strip() for cell in cells]
        while cells and not cells[-1]:
            cells.pop()  # spreadsheets add empty columns
        if not cells:
            continue
        header, first_line = first_line and cells[0].casefold() in SJT_HEADERS, False
        if header:
            continue
        code = cells[0]
        if len(cells) != 2:
            missing = len(cells) == 1
            message = "Give the score after the code, with a comma" if missing else "Give only a code and a score"
            problems.append(RowProblem(number, code, message))
            continue
        candidate_id = known.get(code.casefold())
        score = float(cells[1]) if SJT_NUMBER.fullmatch(cells[1]) else None
        found = []
        if candidate_id is None:
            found.append(RowProblem(number, code, f"No candidate of this vacancy has the code {code}"))
        if score is None:
            found.append(RowProblem(number, code, f"The score “{cells[1]}” is not a number"))
        elif not SJT_SCORE.check(score):
            found.append(RowProblem(number, code, f"The score must be from {SJT_SCORE.low:g} to {SJT_SCORE.high:g}"))
        if found:
            problems.extend(found)
            continue
        assert candidate_id is not None and score is not None  # either missing is one of the problems found
        if candidate_id in first_row:
            problems.append(RowProblem(number, code, f"Candidate {code} has a score on row {first_row[candidate_id]}"))
            continue
        first_row[candidate_id] = number
        scores.append(unvalidated(SjtScoreWrite, candidate_id=candidate_id, score=score))
    return scores, problems


# --- candidate import -----------------------------------------------------------------------

# The columns recruitment-api's CSV import accepts, in the order of the template; answers are one
# column each, named `evidence:` and the question.
IMPORT_COLUMNS = ("name", "email", "phone", "external_ref")
EVIDENCE_PREFIX = "evidence:"
_COLUMN_WORDS = {
    "name": "the candidate's name",
    "email": "the email address",
    "phone": "the phone number",
    "external_ref": "the reference (external_ref)",
}
_AT_MOST = re.compile(r"at most (\d+) (character|item)")
_DUPLICATE_ROW = re.compile(r"duplicate of row (\d+)")
_EVIDENCE_FIELD = re.compile(r"^evidence\.(\d+)\.(title|text)$")
_TOO_MANY_CELLS = re.compile(r"^(\d+) cells but the header has (\d+)")


@dataclass(frozen=True)
class ImportProblem:
    """One problem of an import as the page shows it: the row of the file (1 is the header), the
    column as headed in the file, and what to do, in plain words."""

    row: int | None
    column: str
    message: str


def import_template(statements: Iterable[str]) -> str:
    """The header row the import accepts, with an answer column per criterion of the vacancy. Every
    cell starts with a letter, so no spreadsheet reads one as a formula."""
    columns = [*IMPORT_COLUMNS, *(EVIDENCE_PREFIX + s.replace("\r", " ").replace("\n", " ") for s in statements)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(columns)
    return out.getvalue()


def _answer_columns(text: str) -> dict[int, list[str]]:
    """Row number -> the headers of the answers that row gives, in order (the import leaves out
    blank answers, so recruitment-api's `evidence.<n>` counts only those)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader, [])
        found: dict[int, list[str]] = {}
        for number, cells in enumerate(reader, start=2):
            found[number] = [
                column
                for column, cell in zip(header, cells, strict=False)
                if column.startswith(EVIDENCE_PREFIX) and cell.strip()
            ]
    except csv.Error:
        return {}
    return found


def _plain(field: str, message: str, row: int | None, answers: Mapping[int, list[str]]) -> tuple[str, str]:
    """(column as headed in the file, what to do) for one of recruitment-api's row errors."""
    limit = _AT_MOST.search(message)
    if message == "missing column":
        return field, f"Add a column headed {field} to the header row (the first row of the file)"
    if message == "unknown column":
        return field, (
            f"The import does not know the column {field}: use name, email, phone, external_ref, "
            "or evidence: followed by the question"
        )
    if field in _COLUMN_WORDS:
        words = _COLUMN_WORDS[field]
        if message == "is required":
            return field, f"Enter {words}"
        if field == "email" and "email" in message:
            return field, "Enter the email address in the right format, like name@example.org"
        if limit:
            return field, f"Shorten {words} to {int(limit.group(1)):,} characters or fewer"
        duplicate = _DUPLICATE_ROW.search(message)
        if duplicate:
            return field, f"Row {duplicate.group(1)} has the same {field}: give each candidate their own"
        if "existing candidate" in message:
            return field, f"A candidate of this vacancy already has this {field}: give each candidate their own"
    answer = _EVIDENCE_FIELD.match(field)
    if answer:
        index, part = int(answer.group(1)), answer.group(2)
        columns = answers.get(row or 0, [])
        column = columns[index] if index < len(columns) else "an evidence: column"
        if part == "title":
            return column, "Shorten the question in this column's header to 300 characters or fewer"
        if limit:
            return column, f"Shorten this answer to {int(limit.group(1)):,} characters or fewer"
        return column, "Enter the answer, or leave the cell empty"
    if field == "evidence" and limit:
        return "evidence:", f"Give at most {int(limit.group(1))} answers (evidence: columns) for one candidate"
    if field == "body.candidates":
        return "", "There are no candidates: add one row per candidate below the header row"
    cells = _TOO_MANY_CELLS.match(message)
    if cells:
        return "", (
            f"This row has {cells.group(1)} cells but the header has {cells.group(2)}: put quotation "
            "marks round a cell that holds a comma, or remove the extra cells"
        )
    if not field and row is not None:
        return "", "This row cannot be read as CSV: check its quotation marks and commas"
    text = message.strip().removeprefix("Value error, ")
    return field, text[:1].upper() + text[1:]


def import_problems(
    errors: list[dict[str, Any]], text: str, count: int | None = None
) -> tuple[str, list[ImportProblem]]:
    """recruitment-api's refusal of an import as (a summary to show by the file field, the problems
    by row and column in plain words). `text` is the CSV sent, to name the answer columns."""
    answers = _answer_columns(text) if any("evidence." in str(e.get("field") or "") for e in errors) else {}
    problems = []
    for error in errors:
        row = error.get("row")
        row = row if isinstance(row, int) else None
        column, message = _plain(str(error.get("field") or ""), str(error.get("message") or ""), row, answers)
        problems.append(ImportProblem(row, column, message))
    total = count if count and count >= len(problems) else len(problems)
    if total == 1:
        summary = "The file has 1 problem, listed below: fix it and import the file again"
    else:
        summary = f"The file has {total:,} problems, listed below: fix them and import the file again"
    return summary, problems
