"""Bulk ingest of survey responses (CSV or JSON): anonymous, all or nothing, every problem numbered by row,
memory bounded whatever the size.

The CSV is one response per row: `unit` (a code or path of the wave's frozen structure), any of the
breakdown columns (staff_group, band and the Section 75 categories), then one column per question
code, each cell an option name (`agree`) or its position 1-5, empty when not answered. JSON carries
the same as `{"responses": [{"unit", "groups", "answers"}]}`.

Rows are read one at a time and checked against the wave's units and the instrument's questions
(looked up once), and every row and answer goes to one temporary staging table in a single stream
(PostgreSQL: `COPY`; SQLite: `executemany` in batches), as the indicators' ingest does. Nothing is
written to the survey's tables unless every row is valid; then two INSERT ... SELECT statements copy
the staged responses and answers, with identifiers taken from a block reserved under a table lock.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session
from sqlmodel import select as sm_select

from monitoring_api.surveys import models as m
from monitoring_api.surveys.instruments import SCALES
from servicekit import audit
from servicekit.auth import Principal
from servicekit.db import table_of
from servicekit.errors import conflict, unprocessable

MAX_LISTED_ERRORS = 1000
# The tables the set-based statements write, as Core tables.
RESPONSES = table_of(m.SurveyResponse)
ANSWERS = table_of(m.SurveyAnswer)
_CATEGORY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.+-")

_metadata = MetaData()
staging = Table(
    "survey_staging",
    _metadata,
    Column("seq", Integer, nullable=False),
    Column("unit_id", Integer, nullable=False),
    Column("question_id", Integer, nullable=True),  # null: the response's own row (its groups)
    Column("option", SmallInteger, nullable=True),
    Column("points", Float, nullable=True),
    *(Column(b, String(50), nullable=True) for b in m.BREAKDOWNS),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
STAGED = ("seq", "unit_id", "question_id", "option", "points", *m.BREAKDOWNS)
_NO_GROUPS: tuple[None, ...] = (None,) * len(m.BREAKDOWNS)


@dataclass(frozen=True)
class QuestionLookup:
    id: int
    options: tuple[str, ...]
    points: tuple[float, ...]

    @cached_property
    def exact(self) -> dict[str | int, int]:
        """The answers written exactly as expected (an option's name, its position as text or number),
        to their option: most cells are found here at once."""
        found: dict[str | int, int] = {o: i for i, o in enumerate(self.options)}
        found.update({str(i + 1): i for i in range(len(self.options))})
        found.update({i + 1: i for i in range(len(self.options))})
        return found


@dataclass
class Lookups:
    units: dict[str, int]  # code and path -> wave unit id
    questions: dict[str, QuestionLookup]


def lookups(session: Session, wave: m.SurveyWave) -> Lookups:
    units: dict[str, int] = {}
    for uid, code, path in session.exec(
        sm_select(m.SurveyWaveUnit.id, m.SurveyWaveUnit.code, m.SurveyWaveUnit.path).where(
            m.SurveyWaveUnit.wave_id == wave.id
        )
    ):
        assert uid is not None
        units[code] = uid
        units[path] = uid
    questions: dict[str, QuestionLookup] = {}
    for q in session.exec(sm_select(m.SurveyQuestion).where(m.SurveyQuestion.instrument_id == wave.instrument_id)):
        scale = SCALES[q.scale]
        scores = scale.scores[::-1] if q.reverse else scale.scores
        assert q.id is not None
        questions[q.code] = QuestionLookup(q.id, scale.options, tuple(scores))
    return Lookups(units, questions)


class Checker:
    """Checks responses one by one into staged rows, collecting every problem with its row."""

    def __init__(self, found: Lookups) -> None:
        self.found = found
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.rows = 0
        self.answers = 0

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append({"row": row, "field": column, "message": message})

    def check(
        self, row: int, unit: str, groups: dict[str, str], answers: Iterable[tuple[str, str | int | None]]
    ) -> tuple[tuple[Any, ...], list[tuple[int, int, float]]] | None:
        """The response's staged groups and its answers (question id, option, points), or None."""
        self.rows += 1
        before = self.error_count
        unit_id = self.found.units.get(unit)
        if unit_id is None:
            self.problem(row, "unit", f"no unit {unit!r} in the wave's structure")
        values: list[str | None] = []
        for b in m.BREAKDOWNS:
            category = groups.get(b)
            value = None if category is None or str(category).strip() == "" else str(category).strip().lower()
            if value is not None and (len(value) > 50 or not set(value) <= _CATEGORY_CHARS or value[0] in "_.+-"):
                self.problem(row, b, "a category: lower-case letters, digits, '_', '.', '+' and '-' (up to 50)")
            values.append(value)
        for b in groups:
            if b not in m.BREAKDOWNS:
                self.problem(row, f"groups.{b}", f"not a breakdown (one of {', '.join(m.BREAKDOWNS)})")
        chosen: list[tuple[int, int, float]] = []
        for code, raw in answers:
            if raw is None or (isinstance(raw, str) and raw.strip() == ""):
                continue
            q = self.found.questions.get(code)
            if q is None:
                self.problem(row, code, "not a question of the wave's instrument")
                continue
            option = q.exact.get(raw) if not isinstance(raw, bool) else None
            if option is None:
                option = _option(q, raw)
            if option is None:
                self.problem(row, code, f"one of {', '.join(q.options)} (or 1 to {len(q.options)})")
                continue
            chosen.append((q.id, option, q.points[option]))
        if not chosen and self.error_count == before:
            self.problem(row, None, "no answers")
        if self.error_count != before or unit_id is None:
            return None
        self.answers += len(chosen)
        return (unit_id, *values), chosen


def _option(q: QuestionLookup, raw: str | int) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw - 1 if 1 <= raw <= len(q.options) else None
    text_ = raw.strip().lower()
    if text_.isdigit():
        k = int(text_)
        return k - 1 if 1 <= k <= len(q.options) else None
    try:
        return q.options.index(text_)
    except ValueError:
        return None


Row = tuple[int, str, dict[str, str], list[tuple[str, str | int | None]]]


def csv_rows(lines: Iterable[str], questions: Iterable[str]) -> Iterator[Row]:
    """(row number, unit, groups, answers) of a responses CSV after its header (checked here).

    Row numbers are spreadsheet rows: the header is row 1. Raises the 422 itself for a bad header."""
    known = set(questions)
    reader = csv.reader(lines)
    number = 0
    header: list[str] | None = None
    try:
        for record in reader:
            number = reader.line_num
            if header is None:
                if not any(c.strip() for c in record):
                    continue
                header = [c.strip().removeprefix("\ufeff") for c in record]
                header = [h.lower() if h.lower() in ("unit", *m.BREAKDOWNS) else h for h in header]
                problems = (
                    [{"row": number, "field": "unit", "message": "missing column"}] if "unit" not in header else []
                )
                problems += [
                    {"row": number, "field": c, "message": "unknown column: not a breakdown nor a question"}
                    for c in header
                    if c not in ("unit", *m.BREAKDOWNS) and c not in known
                ]
                problems += [
                    {"row": number, "field": c, "message": "repeated column"}
                    for i, c in enumerate(header)
                    if c in header[:i]
                ]
                if problems:
                    raise unprocessable(
                        "The CSV needs a unit column, any breakdown columns and one column per question.",
                        problems[:MAX_LISTED_ERRORS],
                        slug="csv-invalid",
                    )
                unit_at = header.index("unit")
                group_at = [(i, c) for i, c in enumerate(header) if c in m.BREAKDOWNS]
                answer_at = [(i, c) for i, c in enumerate(header) if c in known]
                width = len(header)
                continue
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) > width:
                yield number, "", {"": f"{len(record)} cells but the header has {width}"}, []
                continue
            cells = record + [""] * (width - len(record))
            yield (
                number,
                cells[unit_at].strip(),
                {c: cells[i] for i, c in group_at if cells[i].strip()},
                [(c, cells[i]) for i, c in answer_at],
            )
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
            "The CSV has no header row.", [{"row": 1, "field": "unit", "message": "missing header"}], slug="csv-invalid"
        )


def json_rows(responses: list[m.ResponseWrite]) -> Iterator[Row]:
    for n, r in enumerate(responses, start=1):
        yield n, r.unit, dict(r.groups), list(r.answers.items())


class _Writer:
    """Staged rows into the staging table: one COPY on PostgreSQL, executemany batches elsewhere."""

    def __init__(self, connection: Connection, batch_rows: int) -> None:
        self.connection = connection
        self.batch_rows = batch_rows
        self.batch: list[tuple[Any, ...]] = []
        self._copy_context: Any = None
        self._copy: Any = None
        self._in_copy = 0
        if connection.dialect.name == "postgresql":
            raw: Any = connection.connection.driver_connection
            self._cursor = raw.cursor()
            self._open()

    def _open(self) -> None:
        self._copy_context = self._cursor.copy(f"COPY survey_staging ({', '.join(STAGED)}) FROM STDIN")
        self._copy = self._copy_context.__enter__()
        self._in_copy = 0

    def add(self, staged: tuple[Any, ...]) -> None:
        if self._copy is not None:
            self._copy.write_row(staged)
            self._in_copy += 1
            # One COPY statement lasts while rows are read and checked: end it every so many rows, so that
            # no statement outlives the database's statement timeout however long the upload.
            if self._in_copy >= self.batch_rows * 20:
                self._copy_context.__exit__(None, None, None)
                self._open()
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
            if ok:
                self._copy_context.__exit__(None, None, None)
            else:
                with contextlib.suppress(Exception):
                    self._copy_context.__exit__(RuntimeError, RuntimeError("ingest refused"), None)
            self._cursor.close()
        elif ok:
            self.flush()


def ingest(
    session: Session, principal: Principal, wave: m.SurveyWave, rows: Iterable[Row], *, batch_rows: int = 5000
) -> m.ResponsesIngestResult:
    """Check and store `rows` as responses of the (open) wave. Raises the 422 with every problem by row,
    having written nothing."""
    found = lookups(session, wave)
    checker = Checker(found)
    connection = session.connection()
    _create_staging(connection)
    writer = _Writer(connection, batch_rows)
    ok = False
    seq = 0
    try:
        for number, unit, groups, answers in rows:
            if "" in groups:  # a row wider than the header
                checker.rows += 1
                checker.problem(number, None, groups[""])
                continue
            checked = checker.check(number, unit, groups, answers)
            if checked is None or checker.error_count:
                continue
            seq += 1
            (unit_id, *values), chosen = checked
            writer.add((seq, unit_id, None, None, None, *values))
            for question_id, option, points in chosen:
                writer.add((seq, unit_id, question_id, option, points, *_NO_GROUPS))
        ok = True
    finally:
        writer.close(ok and not checker.error_count)
    if checker.rows == 0:
        raise unprocessable("There are no responses to record.", [{"row": None, "field": "body", "message": "no rows"}])
    if checker.error_count:
        raise unprocessable(
            f"{checker.error_count} problem(s) in {checker.rows} response(s); nothing was recorded.",
            checker.errors,
            slug="import-invalid",
        )
    base = _reserve(connection)
    s = staging.c
    connection.execute(
        insert(RESPONSES).from_select(
            ["id", "wave_id", "unit_id", *m.BREAKDOWNS],
            select(s.seq + base, literal(wave.id), s.unit_id, *(s[b] for b in m.BREAKDOWNS)).where(
                s.question_id.is_(None)
            ),
        )
    )
    connection.execute(
        insert(ANSWERS).from_select(
            ["response_id", "question_id", "wave_id", "unit_id", "option", "points"],
            select(s.seq + base, s.question_id, literal(wave.id), s.unit_id, s.option, s.points).where(
                s.question_id.is_not(None)
            ),
        )
    )
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('survey_response', 'id'), :top)"), {"top": base + seq}
        )
    else:
        connection.execute(text("DROP TABLE IF EXISTS temp.survey_staging"))
    total = _count_into_open_wave(connection, wave, seq)
    result = m.ResponsesIngestResult(received=seq, answers=checker.answers, wave_responses=total)
    audit.record(
        session, principal, "survey.responses.ingest", "survey_wave", wave.uid, after=result.model_dump(mode="json")
    )
    return result


def _count_into_open_wave(connection: Connection, wave: m.SurveyWave, received: int) -> int:
    """Adds the responses to the wave's count in one statement, only while it is still open: a close
    that committed after this import checked the wave (on PostgreSQL the statement waits for the close's
    row lock, then sees its status) refuses the import with nothing written, so a closed wave's
    published results never change; two imports at once never lose each other's count."""
    w = table_of(m.SurveyWave).c
    total = connection.execute(
        update(table_of(m.SurveyWave))
        .where(w.id == wave.id, w.status == m.WaveStatus.open.value)
        .values(responses=w.responses + received)
        .returning(w.responses)
    ).scalar()
    if total is None:
        raise conflict(
            "wave-closed", "The wave was closed while these responses were being checked: none was recorded."
        )
    set_committed_value(wave, "responses", total)
    return int(total)


def _reserve(connection: Connection) -> int:
    """The highest response id so far, with the table locked against other ingests until commit."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE survey_response IN SHARE ROW EXCLUSIVE MODE"))
    top = connection.execute(select(func.max(RESPONSES.c.id))).scalar()
    return int(top or 0)


# The two INSERT ... SELECT of a million answers outlast the 30 s a request's statement may take; a
# bulk ingest (one transaction, all or nothing) gets longer.
INGEST_STATEMENT_TIMEOUT = "10min"


def _create_staging(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SET LOCAL statement_timeout = '{INGEST_STATEMENT_TIMEOUT}'"))
        connection.execute(text("DROP TABLE IF EXISTS pg_temp.survey_staging"))
    else:
        connection.execute(text("DROP TABLE IF EXISTS temp.survey_staging"))
    staging.create(connection)
