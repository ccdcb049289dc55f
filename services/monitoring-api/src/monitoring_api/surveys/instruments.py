"""Instrument definitions: the nine built-in engagement questions, the scoring view of a question, and
the instrument CSV. Pure: text in, rows out; no I/O.

The CSV has one question per row, header `code,text,scale,positive,reverse,theme,framework_items`:
`scale` agreement (default) or frequency; `positive` the options that count as positive separated by
`|` (default: the top two of the scale); `reverse` yes/no; `theme` one of the six cultural
characteristics, the four compassionate leadership behaviours, or `framework` (then
`framework_items`, identifiers separated by `|`, is required). Rows are numbered as a spreadsheet
shows them (the header is row 1). The nine engagement questions are added to every instrument; the
CSV may not define them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from monitoring_api.surveys import scoring
from monitoring_api.surveys.models import ENGAGEMENT_THEMES, QUESTION_CODE_PATTERN, ScaleName, Theme

COLUMNS = ("code", "text", "scale", "positive", "reverse", "theme", "framework_items")
REQUIRED = ("code", "text", "theme")
SCALES: dict[str, scoring.Scale] = {ScaleName.agreement: scoring.AGREEMENT, ScaleName.frequency: scoring.FREQUENCY}
MAX_QUESTIONS = 200
_CODE = re.compile(QUESTION_CODE_PATTERN)
_ITEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$")


@dataclass(frozen=True)
class QuestionDef:
    code: str
    text: str
    scale: str
    positive: tuple[str, ...]
    reverse: bool
    theme: str
    framework_items: tuple[str, ...] = ()
    built_in: bool = False

    def scoring(self) -> scoring.Question:
        scale = SCALES[self.scale]
        return scoring.Question(self.code, self.text, scale, frozenset(self.positive), self.reverse)


def built_in_questions() -> list[QuestionDef]:
    """The NHS staff survey's nine engagement questions, three per sub-score, as scoring.py defines them."""
    out = []
    for theme, part in zip(ENGAGEMENT_THEMES, scoring.ENGAGEMENT.parts, strict=True):
        for q in part.questions:
            out.append(
                QuestionDef(q.id, q.text, q.scale.id, tuple(sorted(q.positive_options)), q.reverse, theme, (), True)
            )
    return out


BUILT_IN_CODES = frozenset(q.code for q in built_in_questions())
CHOOSABLE_THEMES = tuple(t.value for t in Theme if t not in ENGAGEMENT_THEMES)


class CsvProblems(Exception):
    """Every problem found, each {"row", "field", "message"}."""

    def __init__(self, errors: list[dict[str, object]]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


def _split(cell: str) -> list[str]:
    return [p.strip() for p in cell.split("|") if p.strip()]


def parse_instrument(text: str) -> list[QuestionDef]:
    """The questions of an instrument CSV (without the built-in ones), or CsvProblems with them all."""
    try:
        records = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error as exc:
        raise CsvProblems([{"row": None, "field": None, "message": f"the CSV cannot be read: {exc}"}]) from exc
    numbered = [(n, r) for n, r in enumerate(records, start=1) if any(c.strip() for c in r)]
    if not numbered:
        raise CsvProblems([{"row": 1, "field": "code", "message": "the CSV has no header row"}])
    header_row, header = numbered[0][0], [c.strip().lower() for c in numbered[0][1]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise CsvProblems(
            [{"row": header_row, "field": c, "message": "missing column"} for c in missing]
            + [{"row": header_row, "field": c, "message": "unknown column"} for c in unknown]
        )
    errors: list[dict[str, object]] = []
    out: list[QuestionDef] = []
    seen: dict[str, int] = {}
    for number, record in numbered[1:]:
        if len(record) > len(header):
            errors.append(
                {"row": number, "field": None, "message": f"{len(record)} cells but the header has {len(header)}"}
            )
            continue
        cells = {c: (record[i].strip() if i < len(record) else "") for i, c in enumerate(header)}
        before = len(errors)

        def problem(field: str, message: str, number: int = number) -> None:
            errors.append({"row": number, "field": field, "message": message})

        code = cells.get("code", "")
        if not _CODE.match(code):
            problem("code", "lower-case letters, digits, '.', '_' and '-' (up to 80)")
        elif code in BUILT_IN_CODES:
            problem("code", "an engagement question: every instrument carries the nine already")
        elif code in seen:
            problem("code", f"the same code as row {seen[code]}")
        seen.setdefault(code, number)
        text_ = cells.get("text", "")
        if not 1 <= len(text_) <= 1000:
            problem("text", "required, at most 1,000 characters")
        scale_name = cells.get("scale", "") or ScaleName.agreement.value
        scale = SCALES.get(scale_name)
        if scale is None:
            problem("scale", "agreement or frequency")
        positive = tuple(_split(cells.get("positive", "")))
        if scale is not None:
            wrong = [p for p in positive if p not in scale.options]
            if wrong:
                problem("positive", f"not options of the {scale_name} scale: {', '.join(wrong)}")
            if not positive:
                positive = tuple(sorted(scale.positive))
        reverse_cell = cells.get("reverse", "").lower()
        if reverse_cell not in ("", "yes", "no", "true", "false", "1", "0"):
            problem("reverse", "yes or no")
        theme = cells.get("theme", "")
        if theme not in CHOOSABLE_THEMES:
            problem("theme", f"one of {', '.join(CHOOSABLE_THEMES)}")
        items = tuple(_split(cells.get("framework_items", "")))
        if any(not _ITEM.match(i) for i in items):
            problem("framework_items", "framework item identifiers separated by |")
        if theme == Theme.framework and not items:
            problem("framework_items", "required for the framework theme")
        if len(errors) == before:
            out.append(
                QuestionDef(
                    code, text_, scale_name, positive, reverse_cell in ("yes", "true", "1"), theme, items, False
                )
            )
    if not numbered[1:]:
        errors.append({"row": header_row + 1, "field": "code", "message": "no questions"})
    if len(numbered) - 1 > MAX_QUESTIONS:
        errors.append({"row": None, "field": None, "message": f"at most {MAX_QUESTIONS} questions"})
    if errors:
        raise CsvProblems(errors[:1000])
    return out
