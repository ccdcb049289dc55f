"""Bulk ingest of indicator values (CSV or JSON): all or nothing, every problem numbered by row.

Memory stays bounded whatever the size: rows are read one at a time, checked against the
organisation's units and the indicators it may record (looked up once), and written in batches to a
temporary staging table (PostgreSQL: `COPY`; SQLite: `executemany`). The rest is set-based SQL in the
same transaction: a GROUP BY on the staging table finds repeated rows, an UPDATE ... FROM marks
rows equal to the current value (nothing to write) and notes each corrected value's revision, the
values that are corrected stop being current, and one INSERT ... SELECT writes the new revisions.
No million ORM objects, and nothing is written unless every row is valid.
"""

from __future__ import annotations

import contextlib
import csv
import math
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from monitoring_api.indicators import models as m
from monitoring_api.indicators.series import ancestors
from monitoring_api.structure.models import OrgUnit
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import table_of
from servicekit.errors import unprocessable

COLUMNS = ("indicator", "unit", "period", "numerator", "denominator")
MAX_LISTED_ERRORS = 1000
# The tables the set-based statements below write to and read from.
VALUES = table_of(m.IndicatorValue)
UNITS = table_of(OrgUnit)

_staging_metadata = MetaData()
staging = Table(
    "ingest_staging",
    _staging_metadata,
    Column("row_no", Integer, nullable=False),
    Column("indicator_id", Integer, nullable=False),
    Column("unit_id", Integer, nullable=False),
    Column("period", Date, nullable=False),
    Column("numerator", Float, nullable=False),
    Column("denominator", Float, nullable=True),
    Column("prev_rev", Integer, nullable=True),
    Column("same", Boolean, nullable=True),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
STAGED = ("row_no", "indicator_id", "unit_id", "period", "numerator", "denominator")


@dataclass
class Lookups:
    """What a row may name, read once: the caller's units (by code and by path) and indicators."""

    units: dict[str, int]
    indicators: dict[str, tuple[int, str, str]]  # code -> (id, factor, frequency)
    periods: dict[tuple[str, str], date | str] = field(default_factory=dict)  # (frequency, text) -> date or problem


def lookups(session: Session, org: str) -> Lookups:
    units: dict[str, int] = {}
    for uid, code, path in session.exec(sm_select(OrgUnit.id, OrgUnit.code, OrgUnit.path).where(OrgUnit.org == org)):
        if uid is not None:  # stored rows' keys: never None
            units[code] = uid
            units[path] = uid
    indicators = {
        code: (iid, factor, frequency)
        for iid, code, factor, frequency, owner in session.execute(  # five columns: more than sqlmodel's select types
            select(
                col(m.Indicator.id),
                col(m.Indicator.code),
                col(m.Indicator.factor),
                col(m.Indicator.frequency),
                col(m.Indicator.org),
            )
        )
        if iid is not None and (owner is None or owner == org)  # stored rows' keys: never None
    }
    return Lookups(units, indicators)


class Checker:
    """Checks rows one by one into staged tuples, collecting every problem with its row."""

    def __init__(self, found: Lookups) -> None:
        self.found = found
        self.errors: list[dict] = []
        self.error_count = 0
        self.rows = 0
        self.indicators_seen: set[str] = set()

    def problem(self, row: int, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append({"row": row, "field": column, "message": message})

    def _period(self, row: int, frequency: str, raw: str) -> date | None:
        key = (frequency, raw)
        known = self.found.periods.get(key)
        if known is None:
            try:
                day = date.fromisoformat(raw) if len(raw) == 10 else None
            except ValueError:
                day = None
            known = "a date written YYYY-MM-DD" if day is None else m.period_problem(frequency, day) or day
            self.found.periods[key] = known
        if isinstance(known, str):
            self.problem(row, "period", known)
            return None
        return known

    def _number(self, row: int, column: str, raw: str) -> float | None:
        try:
            value = float(raw)
        except ValueError:
            self.problem(row, column, "not a number")
            return None
        if not math.isfinite(value):
            self.problem(row, column, "not a finite number")
            return None
        return value

    def check(self, row: int, indicator: str, unit: str, period: str, numerator: str, denominator: str):
        """The staged tuple for one row, or None (its problems recorded)."""
        self.rows += 1
        before = self.error_count
        found = self.found.indicators.get(indicator)
        unit_id = self.found.units.get(unit)
        if found is None:
            self.problem(row, "indicator", f"no indicator {indicator!r} that your organisation records")
        if unit_id is None:
            self.problem(row, "unit", f"no unit {unit!r} in your organisation")
        num = self._number(row, "numerator", numerator) if numerator != "" else None
        if numerator == "":
            self.problem(row, "numerator", "required")
        den = None
        if found is not None:
            indicator_id, factor, frequency = found
            day = self._period(row, frequency, period)
            if factor == m.Factor.value:
                if denominator != "":
                    self.problem(row, "denominator", "this indicator is a plain value: leave the denominator empty")
            elif denominator == "":
                self.problem(row, "denominator", "required for this indicator")
            else:
                den = self._number(row, "denominator", denominator)
                if den is not None and den < 0:
                    self.problem(row, "denominator", "cannot be negative")
            if self.error_count == before:
                self.indicators_seen.add(indicator)
                return (row, indicator_id, unit_id, day, num, den)
        return None


@dataclass(frozen=True)
class WiderThanHeader:
    """A CSV row with more cells than the header: reported as a problem, never read."""

    message: str


Cells = list[str] | WiderThanHeader


def csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, Cells]]:
    """(row number, cells) of a values CSV after its header (checked here); blank lines are skipped.

    Row numbers are spreadsheet rows: the header is row 1. Raises the 422 itself for a bad header."""
    reader = csv.reader(lines)
    number = 0
    header = None
    try:
        for record in reader:
            number = reader.line_num
            if header is None:
                if not any(c.strip() for c in record):
                    continue
                header = [c.strip().lower().removeprefix("\ufeff") for c in record]
                missing = [c for c in COLUMNS if c != "denominator" and c not in header]
                unknown = [c for c in header if c not in COLUMNS]
                if missing or unknown:
                    raise unprocessable(
                        "The CSV needs the header indicator,unit,period,numerator,denominator.",
                        [{"row": number, "field": c, "message": "missing column"} for c in missing]
                        + [{"row": number, "field": c, "message": "unknown column"} for c in unknown],
                        slug="csv-invalid",
                    )
                positions = [header.index(c) if c in header else None for c in COLUMNS]
                width = len(header)
                continue
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) > width:
                yield number, WiderThanHeader(f"{len(record)} cells but the header has {width}")
                continue
            yield number, [record[p].strip() if p is not None and p < len(record) else "" for p in positions]
    except csv.Error as exc:
        raise unprocessable(
            f"The CSV cannot be read at row {number + 1}: {exc}.",
            [{"row": number + 1, "field": None, "message": str(exc)}],
            slug="csv-invalid",
        ) from exc
    except UnicodeDecodeError as exc:
        raise unprocessable(
            f"The CSV must be UTF-8 encoded (row {number + 1} is not).",
            [{"row": number + 1, "field": None, "message": "not UTF-8"}],
            slug="csv-invalid",
        ) from exc
    if header is None:
        raise unprocessable(
            "The CSV has no header row.",
            [{"row": 1, "field": "indicator", "message": "missing header"}],
            slug="csv-invalid",
        )


def json_rows(values: list[m.ValueWrite]) -> Iterator[tuple[int, list[str]]]:
    """The JSON body's values in the CSV's terms (row n is the n-th value, counting from 1)."""
    for n, v in enumerate(values, start=1):
        yield (
            n,
            [
                v.indicator,
                v.unit,
                v.period.isoformat(),
                repr(v.numerator),
                "" if v.denominator is None else repr(v.denominator),
            ],
        )


class _Writer:
    """Staged tuples into the staging table in batches: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, connection: Connection, batch_rows: int) -> None:
        self.connection = connection
        self.batch_rows = batch_rows
        self.batch: list[tuple] = []
        self.postgres = connection.dialect.name == "postgresql"
        self._copy_context: Any = None  # psycopg's COPY context, on PostgreSQL
        self._copy: Any = None
        if self.postgres:
            raw = connection.connection.driver_connection
            assert raw is not None  # a live psycopg connection
            self._cursor = raw.cursor()
            self._copy_context = self._cursor.copy(f"COPY ingest_staging ({', '.join(STAGED)}) FROM STDIN")
            self._copy = self._copy_context.__enter__()

    def add(self, staged: tuple) -> None:
        if self._copy is not None:
            self._copy.write_row(staged)
            return
        self.batch.append(staged)
        if len(self.batch) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.connection.execute(insert(staging), [dict(zip(STAGED, row, strict=True)) for row in self.batch])
            self.batch = []

    def close(self, ok: bool) -> None:
        if self._copy_context is not None:
            self._copy_context.__exit__(None, None, None) if ok else self._abort()
            self._cursor.close()
        elif ok:
            self.flush()

    def _abort(self) -> None:
        # The COPY is cancelled; the transaction is rolled back anyway.
        with contextlib.suppress(Exception):
            self._copy_context.__exit__(RuntimeError, RuntimeError("ingest refused"), None)


def ingest(
    session: Session,
    principal: Principal,
    rows: Iterable[tuple[int, Cells]],
    *,
    batch_rows: int = 5000,
) -> m.IngestResult:
    """Check and store `rows` (row number, [indicator, unit, period, numerator, denominator]) for the
    caller's organisation. Raises the 422 with every problem by row, having written nothing."""
    found = lookups(session, principal.org)
    checker = Checker(found)
    connection = session.connection()
    _create_staging(connection)
    writer = _Writer(connection, batch_rows)
    ok = False
    try:
        for number, cells in rows:
            if isinstance(cells, WiderThanHeader):
                checker.rows += 1
                checker.problem(number, None, cells.message)
                continue
            staged = checker.check(number, *cells)
            if staged is not None and not checker.error_count:
                writer.add(staged)
        ok = True
    finally:
        writer.close(ok and not checker.error_count)
    if checker.rows == 0:
        raise unprocessable("There are no values to record.", [{"row": None, "field": "body", "message": "no rows"}])
    if checker.error_count:
        raise unprocessable(
            f"{checker.error_count} problem(s) in {checker.rows} row(s); nothing was recorded.",
            checker.errors,
            slug="import-invalid",
        )
    _refuse_repeats(connection)
    _refuse_two_levels(connection)
    received, corrected, unchanged = _classify(connection)
    now = utcnow()
    s = staging.c
    v = VALUES.c
    keys = and_(v.indicator_id == s.indicator_id, v.unit_id == s.unit_id, v.period == s.period)
    connection.execute(update(VALUES).where(keys, v.is_current.is_(True), s.same.is_(False)).values(is_current=False))
    connection.execute(
        insert(VALUES).from_select(
            [
                "indicator_id",
                "unit_id",
                "period",
                "numerator",
                "denominator",
                "revision",
                "is_current",
                "recorded_at",
                "recorded_by",
            ],
            select(
                s.indicator_id,
                s.unit_id,
                s.period,
                s.numerator,
                s.denominator,
                func.coalesce(s.prev_rev, 0) + 1,
                literal(True),
                literal(now, VALUES.c.recorded_at.type),
                literal(principal.subject),
            ).where(s.same.is_not(True)),
        )
    )
    if connection.dialect.name != "postgresql":
        connection.execute(text("DROP TABLE IF EXISTS temp.ingest_staging"))
    result = m.IngestResult(
        received=received, created=received - corrected - unchanged, corrected=corrected, unchanged=unchanged
    )
    audit.record(
        session,
        principal,
        "values.ingest",
        "indicator_value",
        uuid.uuid4(),
        after={**result.model_dump(), "indicators": sorted(checker.indicators_seen)},
    )
    return result


def _create_staging(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("DROP TABLE IF EXISTS pg_temp.ingest_staging"))
    else:
        connection.execute(text("DROP TABLE IF EXISTS temp.ingest_staging"))
    staging.create(connection)


def _refuse_repeats(connection: Connection) -> None:
    """One value per indicator, unit and period in a request; the rows that repeat one are named."""
    s = staging.c
    repeats = connection.execute(
        select(func.min(s.row_no), func.max(s.row_no))
        .group_by(s.indicator_id, s.unit_id, s.period)
        .having(func.count() > 1)
        .order_by(func.min(s.row_no))
        .limit(MAX_LISTED_ERRORS)
    ).all()
    if not repeats:
        return
    errors = [
        {"row": last, "field": "period", "message": f"the same indicator, unit and period as row {first}"}
        for first, last in repeats
    ]
    raise unprocessable(
        f"{len(errors)} row(s) repeat an indicator, unit and period; nothing was recorded.",
        errors,
        slug="import-invalid",
    )


def _refuse_two_levels(connection: Connection) -> None:
    """An indicator is recorded at one level of any subtree: values at a unit and at one of its
    ancestors would be counted twice when the tree is summed. The first row of each offending unit is named."""
    s = staging.c
    u = UNITS.c
    v = VALUES.c
    staged = connection.execute(
        select(s.indicator_id, u.path, func.min(s.row_no))
        .join_from(staging, UNITS, u.id == s.unit_id)
        .group_by(s.indicator_id, u.path)
    ).all()
    indicator_ids = sorted({indicator_id for indicator_id, _, _ in staged})
    existing = connection.execute(
        select(v.indicator_id, u.path)
        .distinct()
        .join_from(VALUES, UNITS, u.id == v.unit_id)
        .where(v.is_current.is_(True), v.indicator_id.in_(indicator_ids))
    ).all()
    recorded: dict[int, set[str]] = {}
    for indicator_id, path in existing:
        recorded.setdefault(indicator_id, set()).add(path)
    rows = {(indicator_id, path): row for indicator_id, path, row in staged}
    for indicator_id, path, _ in staged:
        recorded.setdefault(indicator_id, set()).add(path)
    errors = []
    for indicator_id, paths in recorded.items():
        for path in paths:
            for above in ancestors(path)[:-1]:
                if above not in paths:
                    continue
                for where, other, relation in ((path, above, "an ancestor"), (above, path, "a unit below it")):
                    row = rows.get((indicator_id, where))
                    if row is not None:
                        errors.append(
                            {
                                "row": row,
                                "field": "unit",
                                "message": f"this indicator is also recorded at {other} ({relation}); record it at "
                                "one level of a subtree, so that sums up the tree count each value once",
                            }
                        )
    if errors:
        errors = sorted({e["row"]: e for e in reversed(errors)}.values(), key=lambda e: e["row"])
        raise unprocessable(
            f"{len(errors)} row(s) record an indicator at two levels of one subtree; nothing was recorded.",
            errors[:MAX_LISTED_ERRORS],
            slug="import-invalid",
        )


def _classify(connection: Connection) -> tuple[int, int, int]:
    """Note on each staged row whether a current value exists and equals it; returns (rows, corrected, unchanged)."""
    s = staging.c
    v = VALUES.c
    connection.execute(
        update(staging)
        .where(
            v.indicator_id == s.indicator_id,
            v.unit_id == s.unit_id,
            v.period == s.period,
            v.is_current.is_(True),
        )
        .values(
            prev_rev=v.revision,
            same=and_(v.numerator == s.numerator, v.denominator.is_not_distinct_from(s.denominator)),
        )
    )
    received, existing, unchanged = connection.execute(
        select(func.count(), func.count(s.prev_rev), func.coalesce(func.sum(case((s.same.is_(True), 1), else_=0)), 0))
    ).one()
    return int(received), int(existing) - int(unchanged), int(unchanged)
