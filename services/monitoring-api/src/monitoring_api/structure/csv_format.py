"""The organisation-structure CSV: `code,name,kind,parent`, one unit per row. Pure: text in, rows out.

Rows are numbered as a spreadsheet shows them (the header is row 1; blank rows count and are
skipped). Every problem is collected with its row, so one answer lists them all.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from monitoring_api.structure.models import CODE_PATTERN, UnitKind

COLUMNS = ("code", "name", "kind", "parent")
REQUIRED = ("code", "name", "kind")
CREATABLE_KINDS = (UnitKind.directorate.value, UnitKind.team.value)
_CODE = re.compile(CODE_PATTERN)


@dataclass(frozen=True)
class UnitRow:
    row: int
    code: str
    name: str
    kind: str
    parent: str | None  # None: directly under the organisation


class CsvProblems(Exception):
    """Every problem found, each {"row", "field", "message"}; `fatal` when the file cannot be read at all."""

    def __init__(self, errors: list[dict], fatal: bool = False) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors
        self.fatal = fatal


def export_header() -> list[str]:
    return list(COLUMNS)


def parse_units(text: str, organisation: str) -> list[UnitRow]:
    """Rows of a structure CSV. `parent` may be empty or the organisation's own code (directly under it)."""
    records: list[list[str]] = []
    try:
        records.extend(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error as exc:
        raise CsvProblems([{"row": len(records) + 1, "field": None, "message": str(exc)}], fatal=True) from exc
    numbered = [(n, r) for n, r in enumerate(records, start=1) if any(cell.strip() for cell in r)]
    if not numbered:
        raise CsvProblems([{"row": 1, "field": "code", "message": "the CSV has no header row"}], fatal=True)
    header_row, header = numbered[0][0], [cell.strip().lower() for cell in numbered[0][1]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        header_errors = [{"row": header_row, "field": c, "message": "missing column"} for c in missing]
        header_errors += [{"row": header_row, "field": c, "message": "unknown column"} for c in unknown]
        raise CsvProblems(header_errors, fatal=True)
    if not numbered[1:]:
        raise CsvProblems([{"row": header_row + 1, "field": None, "message": "the CSV has no units"}], fatal=True)
    errors: list[dict] = []
    rows: list[UnitRow] = []
    first_row: dict[str, int] = {}
    for number, record in numbered[1:]:
        if len(record) > len(header):
            errors.append(
                {
                    "row": number,
                    "field": None,
                    "message": f"{len(record)} cells but the header has {len(header)}: quote a cell that holds a comma",
                }
            )
            continue
        cells = {name: (value or "").strip() for name, value in zip(header, record, strict=False)}
        code, name, kind = cells.get("code", ""), cells.get("name", ""), cells.get("kind", "").lower()
        parent = cells.get("parent") or None
        if not _CODE.fullmatch(code):
            errors.append({"row": number, "field": "code", "message": "capitals, digits, - and _ (at most 40)"})
        elif code in first_row:
            errors.append({"row": number, "field": "code", "message": f"{code} is also on row {first_row[code]}"})
        else:
            first_row[code] = number
        if code == organisation:
            errors.append({"row": number, "field": "code", "message": "the organisation itself is not imported"})
        if not name or len(name) > 300:
            errors.append({"row": number, "field": "name", "message": "1 to 300 characters"})
        if kind not in CREATABLE_KINDS:
            errors.append({"row": number, "field": "kind", "message": "directorate or team"})
        if parent is not None and not _CODE.fullmatch(parent):
            errors.append({"row": number, "field": "parent", "message": "not a unit code"})
        if parent == organisation:
            parent = None
        rows.append(UnitRow(number, code, name, kind, parent))
    if errors:
        raise CsvProblems(errors)
    return rows
