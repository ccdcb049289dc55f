"""Survey results: additive figures from SQL, rolled up the wave's frozen tree, under disclosure control.

What comes out of the database is additive only (scoring.py's design): respondents per unit and group,
answers per option of each question, and per theme the number of respondents with a score, the sum
and the sum of squares of their scores (a respondent's theme score is the mean of the theme's items
they answered; engagement is the mean of a respondent's three sub-scores). They are recorded per
unit of the wave (the unit's own responses) and summed up the frozen tree here.

Disclosure control (disclosure.py) protects each closed wave on its own: the respondent counts per
unit rolled up and per group of every breakdown given in the wave. Every figure of a cell (percent
positive, means, scores) is shown only when the cell is, and a change from the previous wave only
when both waves' cells are (otherwise it gives the worse reason of the two), exactly as `protect`
decides changes; a change of two shown counts tells nothing more, so waves need no joint
protection, and a wave's decisions never change when a later one closes. A question or theme that
some respondents of a cell did not answer has counts of its own; where those differ from the
respondents' anywhere, the measure's table is protected too, with the respondents' suppressions
forced and the shown respondent counts as upper bounds known to an attacker, so a question's n below
the minimum inside a shown cell is suppressed and cannot be worked out either.

Closed waves never change (no ingest after closing), so each wave's figures and decisions are computed
once, when it closes (`compute_wave`), and stored in the form `encode` gives (service.py writes and
reads the row, keyed by the settings); `decode` gives them back, parsing a cell only when it is shown.
Each process also keeps the waves it has read in a cache keyed by the wave and the settings.
"""

from __future__ import annotations

import json
import threading
import uuid
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, literal, select, text
from sqlalchemy.engine import Connection

from monitoring_api.surveys import models as m
from monitoring_api.surveys import scoring
from monitoring_api.surveys.disclosure import (
    METHOD_VERSION,
    Cell,
    Change,
    Decision,
    Protection,
    Status,
    UnitCounts,
    WaveCounts,
    default_protection,
    protect,
)
from monitoring_api.surveys.ingest import INGEST_STATEMENT_TIMEOUT
from monitoring_api.surveys.instruments import SCALES
from servicekit.db import table_of

ENGAGEMENT = "engagement"
Key = tuple[int, str | None, str | None]  # (wave unit id, breakdown, category)
ALPHA = 0.05
# The tables the aggregate queries read, as Core tables.
WAVE_UNITS = table_of(m.SurveyWaveUnit)
QUESTIONS = table_of(m.SurveyQuestion)
RESPONSES = table_of(m.SurveyResponse)
ANSWERS = table_of(m.SurveyAnswer)


@dataclass(frozen=True)
class UnitRow:
    id: int
    parent_id: int | None
    path: str
    code: str
    name: str
    kind: str
    level: int
    unit_uid: str


@dataclass(frozen=True)
class QuestionRow:
    id: int
    code: str
    theme: str
    question: scoring.Question


@dataclass
class WaveData:
    """One closed wave's figures, rolled up the tree: per (unit, breakdown, category)."""

    wave_id: int
    uid: str
    title: str
    units: list[UnitRow]
    questions: list[QuestionRow]
    themes: list[str]
    # Rolled up (a stored wave's are read from its stored form cell by cell, as asked for) ...
    respondents: Mapping[Key, int] = field(default_factory=dict)
    hist: Mapping[Key, dict[str, list[int]]] = field(default_factory=dict)  # question code -> counts per option
    scores: Mapping[Key, dict[str, scoring.ScoreSummary]] = field(default_factory=dict)
    # ... and the units' own, which only the protection needs (empty for a stored wave).
    own_respondents: dict[Key, int] = field(default_factory=dict)
    own_hist: dict[Key, dict[str, list[int]]] = field(default_factory=dict)
    own_scores: dict[Key, dict[str, scoring.ScoreSummary]] = field(default_factory=dict)
    categories: dict[str, set[str]] = field(default_factory=dict)
    breakdowns: dict[str, list[str]] = field(default_factory=dict)
    """Each breakdown given by someone in this wave, with its categories (and "not given")."""

    def unit_by_id(self) -> dict[int, UnitRow]:
        return {u.id: u for u in self.units}


@dataclass(frozen=True)
class WaveProtection:
    """One wave's decisions: its respondents' table, and the tables of the measures (questions, themes)
    whose counts differ from the respondents'."""

    respondents: Protection
    measures: dict[str, Protection]

    def cell(self, measure: str | None, cell: Cell) -> Decision | None:
        protection = self.measures.get(measure, self.respondents) if measure is not None else self.respondents
        return protection.decisions.get(cell)


@dataclass
class Publication:
    """Waves (oldest first), each with the decisions of its own protection."""

    waves: list[WaveData]
    protections: list[WaveProtection]

    def _wave(self, uid: str) -> int:
        return next(i for i, w in enumerate(self.waves) if w.uid == uid)

    def decision(self, measure: str | None, key: Cell | Change) -> Decision:
        """A cell's decision; a change's is shown only when both its cells are, and otherwise takes
        the worse reason of the two (as disclosure.protect decides changes). KeyError: no such cell."""
        if isinstance(key, Cell):
            found = self.protections[self._wave(key.wave)].cell(measure, key)
            if found is None:
                raise KeyError(key)
            return found
        after = self.protections[self._wave(key.after)].cell(
            measure, Cell(key.after, key.unit, key.breakdown, key.category)
        )
        before = self.protections[self._wave(key.before)].cell(
            measure, Cell(key.before, key.unit, key.breakdown, key.category)
        )
        if after is None or before is None:
            raise KeyError(key)
        if after.shown and before.shown:
            n = after.n - before.n if after.n is not None and before.n is not None else None
            return Decision(Status.SHOWN, n, None)
        worst = max((before, after), key=lambda d: (not d.shown, d.status is Status.PRIMARY))
        return Decision(worst.status, None, worst.reason)


# --- SQL -------------------------------------------------------------------------------------


def _load_wave(connection: Connection, wave: m.SurveyWave, breakdowns: Sequence[str]) -> WaveData:
    wu = WAVE_UNITS.c
    units = [
        UnitRow(r.id, r.parent_id, r.path, r.code, r.name, r.kind, r.level, str(r.unit_uid))
        for r in connection.execute(select(WAVE_UNITS).where(wu.wave_id == wave.id).order_by(wu.path))
    ]
    qc = QUESTIONS.c
    questions = []
    for r in connection.execute(select(QUESTIONS).where(qc.instrument_id == wave.instrument_id).order_by(qc.position)):
        question = scoring.Question(r.code, r.text, SCALES[r.scale], frozenset(r.positive), r.reverse)
        questions.append(QuestionRow(r.id, r.code, r.theme, question))
    themes = list(dict.fromkeys(q.theme for q in questions))
    data = WaveData(wave.id or 0, str(wave.uid), wave.title, units, questions, themes)
    by_id = {q.id: q for q in questions}
    rc = RESPONSES.c
    ac = ANSWERS.c
    for b in (None, *breakdowns):
        group = func.coalesce(rc[b], m.NOT_GIVEN) if b else literal(None)
        for unit_id, category, n in connection.execute(
            select(rc.unit_id, group, func.count()).where(rc.wave_id == wave.id).group_by(rc.unit_id, group)
        ):
            data.own_respondents[(unit_id, b, category)] = int(n)
            if b:
                data.categories.setdefault(b, set()).add(category)
        # answers per option
        if b:
            joined = ac.response_id == rc.id
            query: Select[Any] = (
                select(ac.unit_id, group, ac.question_id, ac.option, func.count())
                .select_from(ANSWERS.join(RESPONSES, joined))
                .where(ac.wave_id == wave.id)
                .group_by(ac.unit_id, group, ac.question_id, ac.option)
            )
        else:
            query = (
                select(ac.unit_id, literal(None), ac.question_id, ac.option, func.count())
                .where(ac.wave_id == wave.id)
                .group_by(ac.unit_id, ac.question_id, ac.option)
            )
        for unit_id, category, question_id, option, n in connection.execute(query):
            q = by_id[question_id]
            counts = data.own_hist.setdefault((unit_id, b, category), {}).setdefault(
                q.code, [0] * len(q.question.scale.options)
            )
            counts[option] += int(n)
        # theme scores per respondent, then summed per unit (and group)
        sub = (
            select(
                ac.response_id.label("response_id"),
                ac.unit_id.label("unit_id"),
                qc.theme.label("theme"),
                func.avg(ac.points).label("s"),
            )
            .select_from(ANSWERS.join(QUESTIONS, qc.id == ac.question_id))
            .where(ac.wave_id == wave.id)
            .group_by(ac.response_id, ac.unit_id, qc.theme)
            .subquery()
        )
        eng = (
            select(sub.c.response_id, sub.c.unit_id, literal(ENGAGEMENT).label("theme"), func.avg(sub.c.s).label("s"))
            .where(sub.c.theme.in_([t.value for t in m.ENGAGEMENT_THEMES]))
            .group_by(sub.c.response_id, sub.c.unit_id)
            .subquery()
        )
        for source in (sub, eng):
            if b:
                bgroup = func.coalesce(rc[b], m.NOT_GIVEN)
                q2: Select[Any] = (
                    select(
                        source.c.unit_id,
                        bgroup,
                        source.c.theme,
                        func.count(),
                        func.sum(source.c.s),
                        func.sum(source.c.s * source.c.s),
                    )
                    .select_from(source.join(RESPONSES, rc.id == source.c.response_id))
                    .group_by(source.c.unit_id, bgroup, source.c.theme)
                )
            else:
                q2 = select(
                    source.c.unit_id,
                    literal(None),
                    source.c.theme,
                    func.count(),
                    func.sum(source.c.s),
                    func.sum(source.c.s * source.c.s),
                ).group_by(source.c.unit_id, source.c.theme)
            for unit_id, category, theme, n, total, squares in connection.execute(q2):
                data.own_scores.setdefault((unit_id, b, category), {})[theme] = scoring.ScoreSummary(
                    int(n), float(total or 0.0), float(squares or 0.0)
                )
    return data


def _roll_up(data: WaveData, breakdowns: Mapping[str, Sequence[str]]) -> None:
    children: dict[int | None, list[int]] = {}
    for u in data.units:
        children.setdefault(u.parent_id, []).append(u.id)
    columns: list[tuple[str | None, str | None]] = [(None, None)]
    columns += [(b, c) for b, cs in breakdowns.items() for c in cs]
    order: list[int] = []

    def visit(uid: int) -> None:
        for k in children.get(uid, []):
            visit(k)
        order.append(uid)

    for root in children.get(None, []):
        visit(root)
    respondents: dict[Key, int] = {}
    hists: dict[Key, dict[str, list[int]]] = {}
    summaries: dict[Key, dict[str, scoring.ScoreSummary]] = {}
    for uid in order:  # children before parents
        for b, c in columns:
            key = (uid, b, c)
            n = data.own_respondents.get(key, 0)
            hist = {q: list(v) for q, v in data.own_hist.get(key, {}).items()}
            scores = dict(data.own_scores.get(key, {}))
            for kid in children.get(uid, []):
                kk = (kid, b, c)
                n += respondents[kk]
                for q, counts in hists[kk].items():
                    mine = hist.setdefault(q, [0] * len(counts))
                    for i, k in enumerate(counts):
                        mine[i] += k
                for t, summary in summaries[kk].items():
                    scores[t] = scores.get(t, scoring.ScoreSummary()) + summary
            respondents[key] = n
            hists[key] = hist
            summaries[key] = scores
    data.respondents, data.hist, data.scores = respondents, hists, summaries


def breakdowns_in_use(connection: Connection, wave_ids: Sequence[int]) -> list[str]:
    rc = RESPONSES.c
    counts = connection.execute(
        select(*(func.count(rc[b]) for b in m.BREAKDOWNS)).where(rc.wave_id.in_(list(wave_ids)))
    ).one()
    return [b for b, n in zip(m.BREAKDOWNS, counts, strict=True) if n]


# --- the publication ---------------------------------------------------------------------------


def _wave_counts(data: WaveData, breakdowns: Mapping[str, Sequence[str]], own: Mapping[Key, int]) -> WaveCounts:
    by_id = data.unit_by_id()
    units = []
    for u in data.units:
        total = own.get((u.id, None, None), 0)
        groups = {b: {c: own.get((u.id, b, c), 0) for c in cs} for b, cs in breakdowns.items()}
        parent = by_id[u.parent_id].path if u.parent_id is not None else None
        units.append(UnitCounts(u.path, parent, total, groups))
    return WaveCounts(data.uid, units, {b: list(cs) for b, cs in breakdowns.items()})


def _measure_own(data: WaveData, measure: str) -> dict[Key, int]:
    if measure in {q.code for q in data.questions}:
        return {k: sum(v.get(measure, ())) for k, v in data.own_hist.items()}
    return {k: v[measure].n for k, v in data.own_scores.items() if measure in v}


def protect_wave(
    data: WaveData, *, minimum: int, protection: int | None = None, complementary: bool = True
) -> WaveProtection:
    """Protect one wave on its own. Waves need no joint protection: a change between two waves is shown
    only when both its counts are (so it tells nothing more), which leaves the equations linking waves
    saying nothing; and a wave's tables hold only its own breakdowns and categories. So a wave's
    decisions never change when a later wave closes."""
    respondents = protect(
        [_wave_counts(data, data.breakdowns, data.own_respondents)],
        minimum=minimum,
        protection=protection,
        complementary=complementary,
    )
    measures: dict[str, Protection] = {}
    names = list(dict.fromkeys([q.code for q in data.questions] + data.themes + [ENGAGEMENT]))
    forced = [k for k in respondents.suppressed if isinstance(k, Cell)]
    bounds = {k: d.n for k, d in respondents.decisions.items() if isinstance(k, Cell) and d.shown and d.n is not None}
    by_table: dict[tuple[Any, ...], Protection] = {}
    respondents_table = tuple(sorted(((k, n) for k, n in data.own_respondents.items() if n), key=repr))
    for name in names:
        own = _measure_own(data, name)
        table = tuple(sorted(((k, n) for k, n in own.items() if n), key=repr))
        if table == respondents_table:  # everyone answered it: the respondents' decisions
            continue
        if table not in by_table:  # measures with the same counts share their decisions
            by_table[table] = protect(
                [_wave_counts(data, data.breakdowns, own)],
                minimum=minimum,
                protection=protection,
                complementary=complementary,
                forced=forced,
                upper_bounds=bounds,
            )
        measures[name] = by_table[table]
    return WaveProtection(respondents, measures)


@dataclass(frozen=True)
class DisclosureSettings:
    """The settings a wave's decisions depend on: stored decisions are keyed by them."""

    minimum: int
    protection: int
    complementary: bool

    @classmethod
    def of(cls, minimum: int, protection: int | None = None, complementary: bool = True) -> DisclosureSettings:
        return cls(minimum, default_protection(minimum) if protection is None else protection, complementary)


def compute_wave(
    connection: Connection, wave: m.SurveyWave, settings: DisclosureSettings
) -> tuple[WaveData, WaveProtection]:
    """One closed wave loaded (grouped reads of its answers) and protected: the expensive part, done when
    the wave closes and stored (service.py)."""
    if connection.dialect.name == "postgresql":
        # A million answers' grouped reads can outlast a request's 30 s statement limit, and a close that
        # times out would leave the wave open for good: it gets the bulk ingest's limit, for this
        # transaction only.
        connection.execute(text(f"SET LOCAL statement_timeout = '{INGEST_STATEMENT_TIMEOUT}'"))
    data = _load_wave(connection, wave, breakdowns_in_use(connection, [wave.id or 0]))
    data.breakdowns = {b: sorted(cs | {m.NOT_GIVEN}) for b, cs in data.categories.items()}
    _roll_up(data, data.breakdowns)
    decisions = protect_wave(
        data, minimum=settings.minimum, protection=settings.protection, complementary=settings.complementary
    )
    return data, decisions


def cache_key(wave: m.SurveyWave, settings: DisclosureSettings) -> tuple[Any, ...]:
    return (wave.uid, wave.responses, settings.minimum, settings.protection, settings.complementary)


def publication(
    connection: Connection,
    waves: Sequence[m.SurveyWave],
    *,
    minimum: int,
    protection: int | None = None,
    complementary: bool = True,
    cache: PublicationCache | None = None,
) -> Publication:
    """Load and protect closed waves (oldest first), each on its own, from their answers; kept in `cache`
    by wave. (The service reads the stored publication instead: service.publication_of.)"""
    settings = DisclosureSettings.of(minimum, protection, complementary)
    datas, protections = [], []
    for wave in waves:
        key = cache_key(wave, settings)
        found = cache.get(key) if cache is not None else None
        if found is None:
            found = compute_wave(connection, wave, settings)
            if cache is not None:
                cache.put(key, found)
        datas.append(found[0])
        protections.append(found[1])
    return Publication(datas, protections)


# --- stored form -------------------------------------------------------------------------------
# A wave's figures and decisions as stored in survey_wave_publication (service.py reads and writes the
# row), zlib-compressed: a first line of JSON with the wave, its units, questions and breakdowns, the
# settings of its tables of decisions (the respondents' first, then each measure's own) and the key of
# every cell; then one line of JSON per cell, in that order, with its respondents, answers per option,
# theme scores and its decision in each table. Only what the results are shaped from is kept: the
# rolled-up figures (not the units' own, which only the protection needs) and the decisions of the
# published cells (not of residuals, nor the attacker's intervals). A read parses the first line and
# then only the lines of the cells it shows, so the first read of a large wave costs little more than
# fetching the row. Bump STORED_LAYOUT when the form or the figures' computation changes, and
# disclosure.METHOD_VERSION when its decisions do: rows of another format are computed again on their
# first read.

STORED_LAYOUT = 1
STORED_FORMAT = STORED_LAYOUT * 1000 + METHOD_VERSION
_STATUS = {s.value: s for s in Status}
_Parsed = tuple[int, dict[str, list[int]], dict[str, scoring.ScoreSummary], list[Decision | None]]


def _scale_name(scale: scoring.Scale) -> str:
    return next(name for name, s in SCALES.items() if s == scale)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def encode(data: WaveData, decisions: WaveProtection) -> bytes:
    """The stored form of a wave's figures and decisions."""
    tables: list[Protection] = [decisions.respondents]
    measures: dict[str, int] = {}
    for name, p in decisions.measures.items():
        at = next((i for i, t in enumerate(tables) if t is p), None)
        if at is None:
            at = len(tables)
            tables.append(p)
        measures[name] = at
    paths = {u.id: u.path for u in data.units}
    keys = list(data.respondents)
    head = {
        "format": STORED_FORMAT,
        "wave": [data.wave_id, data.uid, data.title],
        "units": [[u.id, u.parent_id, u.path, u.code, u.name, u.kind, u.level, u.unit_uid] for u in data.units],
        "questions": [
            [
                q.id,
                q.code,
                q.theme,
                q.question.text,
                _scale_name(q.question.scale),
                sorted(q.question.positive) if q.question.positive is not None else None,
                q.question.reverse,
            ]
            for q in data.questions
        ],
        "themes": data.themes,
        "categories": {b: sorted(cs) for b, cs in data.categories.items()},
        "breakdowns": data.breakdowns,
        "tables": [
            {"minimum": t.minimum, "protection": t.protection, "complementary": t.complementary} for t in tables
        ],
        "measures": measures,
        "cells": [list(k) for k in keys],
    }
    lines = [_json(head)]
    for key in keys:
        unit, b, c = key
        cell = Cell(data.uid, paths[unit], b, c)
        found = [t.decisions.get(cell) for t in tables]
        lines.append(
            _json(
                [
                    data.respondents[key],
                    data.hist.get(key, {}),
                    {t: [s.n, s.total, s.total_squares] for t, s in data.scores.get(key, {}).items()},
                    [[d.status.value, d.n, d.reason] if d is not None else None for d in found],
                ]
            )
        )
    return zlib.compress(b"\n".join(lines))


class _StoredCells:
    """A stored wave's cells: each one's line parsed when it is first asked for."""

    def __init__(self, keys: list[Key], lines: list[bytes]) -> None:
        self.keys = keys
        self._index = {k: i for i, k in enumerate(keys)}
        self._lines = lines
        self._parsed: dict[int, _Parsed] = {}

    def get(self, key: Key) -> _Parsed | None:
        i = self._index.get(key)
        if i is None:
            return None
        found = self._parsed.get(i)
        if found is None:
            n, hist, scores, decisions = json.loads(self._lines[i])
            found = (
                n,
                hist,
                {t: scoring.ScoreSummary(*s) for t, s in scores.items()},
                [Decision(_STATUS[d[0]], d[1], d[2]) if d is not None else None for d in decisions],
            )
            self._parsed[i] = found  # a race parses a line twice, to the same
        return found


class _Figures(Mapping[Key, Any]):
    """One figure of every cell of a stored wave (0: respondents, 1: answers, 2: scores), read-only."""

    def __init__(self, cells: _StoredCells, part: int) -> None:
        self._cells, self._part = cells, part

    def __getitem__(self, key: Key) -> Any:
        found = self._cells.get(key)
        if found is None:
            raise KeyError(key)
        return found[self._part]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._cells.keys)

    def __len__(self) -> int:
        return len(self._cells.keys)


class _Decisions(Mapping[Any, Decision]):
    """One table's decisions of a stored wave's cells, read-only."""

    def __init__(self, cells: _StoredCells, table: int, wave: str, ids: Mapping[str, int]) -> None:
        self._cells, self._table, self._wave, self._ids = cells, table, wave, ids
        self._paths = {i: p for p, i in ids.items()}

    def __getitem__(self, key: Any) -> Decision:
        if not isinstance(key, Cell) or key.wave != self._wave or key.unit not in self._ids:
            raise KeyError(key)
        found = self._cells.get((self._ids[key.unit], key.breakdown, key.category))
        if found is None or found[3][self._table] is None:
            raise KeyError(key)
        decision = found[3][self._table]
        assert decision is not None
        return decision

    def _all(self) -> Iterator[Cell]:
        for unit, b, c in self._cells.keys:
            cell = Cell(self._wave, self._paths[unit], b, c)
            if cell in self:
                yield cell

    def __iter__(self) -> Iterator[Cell]:
        return self._all()

    def __len__(self) -> int:
        return sum(1 for _ in self._all())


def decode(blob: bytes) -> tuple[WaveData, WaveProtection]:
    """A wave's figures and decisions from their stored form (each cell parsed when first used).
    ValueError: not a stored form of STORED_FORMAT."""
    try:
        head_line, *lines = zlib.decompress(blob).split(b"\n")
        head = json.loads(head_line)
    except (zlib.error, ValueError) as exc:
        raise ValueError(f"not a stored wave: {exc}") from exc
    if not isinstance(head, dict) or head.get("format") != STORED_FORMAT:
        raise ValueError(f"stored format {head.get('format') if isinstance(head, dict) else None}, not {STORED_FORMAT}")
    wave_id, uid, title = head["wave"]
    units = [UnitRow(*u) for u in head["units"]]
    questions = [
        QuestionRow(
            qid,
            code,
            theme,
            scoring.Question(code, text, SCALES[scale], frozenset(positive) if positive is not None else None, reverse),
        )
        for qid, code, theme, text, scale, positive, reverse in head["questions"]
    ]
    keys: list[Key] = [(u, b, c) for u, b, c in head["cells"]]
    if len(keys) != len(lines):
        raise ValueError(f"a stored wave of {len(keys)} cells has {len(lines)}")
    cells = _StoredCells(keys, lines)
    data = WaveData(wave_id, uid, title, units, questions, list(head["themes"]))
    data.categories = {b: set(cs) for b, cs in head["categories"].items()}
    data.breakdowns = {b: list(cs) for b, cs in head["breakdowns"].items()}
    data.respondents, data.hist, data.scores = _Figures(cells, 0), _Figures(cells, 1), _Figures(cells, 2)
    ids = {u.path: u.id for u in units}
    tables = [
        Protection(
            minimum=t["minimum"],
            protection=t["protection"],
            complementary=t["complementary"],
            decisions=_Decisions(cells, i, uid, ids),
            intervals={},
        )
        for i, t in enumerate(head["tables"])
    ]
    return data, WaveProtection(tables[0], {name: tables[i] for name, i in head["measures"].items()})


class PublicationCache:
    """Closed waves' figures and decisions (a closed wave never changes), least recently used dropped
    first; `loading(key)` lets one thread at a time load what is not there yet."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], tuple[WaveData, WaveProtection]] = OrderedDict()
        self._lock = threading.Lock()
        # A lock per key being loaded, gone when no thread holds or waits for it.
        self._loading: weakref.WeakValueDictionary[tuple[Any, ...], threading.Lock] = weakref.WeakValueDictionary()

    @contextmanager
    def loading(self, key: tuple[Any, ...]) -> Iterator[None]:
        """Held while one thread reads (or computes) what `key` names, so the other requests that want
        it at the same moment wait and then find it here, instead of each doing the same work: a crowd
        of first reads after a restart costs one read, not one per request, and the queue for the
        database moves (each computing request would hold a connection for the whole computation)."""
        with self._lock:
            lock = self._loading.get(key)
            if lock is None:
                lock = self._loading[key] = threading.Lock()
        with lock:
            yield

    def get(self, key: tuple[Any, ...]) -> tuple[WaveData, WaveProtection] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: tuple[WaveData, WaveProtection]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


# --- shaping -----------------------------------------------------------------------------------


def withheld(decision: Decision) -> m.Suppressed:
    assert decision.reason is not None
    return m.Suppressed(reason=decision.reason)


def unit_public(u: UnitRow) -> m.WaveUnitPublic:
    return m.WaveUnitPublic(id=uuid.UUID(u.unit_uid), code=u.code, name=u.name, kind=u.kind, level=u.level, path=u.path)


def _score(
    pub: Publication,
    measure: str,
    title: str,
    now: WaveData,
    before: WaveData | None,
    unit: UnitRow,
    prev_unit: UnitRow | None,
    b: str | None,
    c: str | None,
) -> m.ScorePublic:
    cell = Cell(now.uid, unit.path, b, c)
    d = pub.decision(measure, cell)
    summary = now.scores.get((unit.id, b, c), {}).get(measure, scoring.ScoreSummary())
    if not d.shown:
        return m.ScorePublic(id=measure, title=title, n=withheld(d), score=withheld(d), change=withheld(d))
    change: m.ChangePublic | m.Suppressed | None = None
    if before is not None and prev_unit is not None:
        cd = (
            pub.decision(measure, Change(before.uid, now.uid, unit.path, b, c))
            if _has(before, prev_unit, b, c)
            else None
        )
        if cd is None:
            pass
        elif not cd.shown:
            change = withheld(cd)
        else:
            old = before.scores.get((prev_unit.id, b, c), {}).get(measure, scoring.ScoreSummary())
            if old.n >= 2 and summary.n >= 2 and old.mean is not None:
                t = scoring.mean_change(old, summary, ALPHA)
                change = m.ChangePublic(
                    previous=old.mean,
                    change=t.change,
                    test=t.test,
                    statistic=_finite(t.statistic),
                    p_value=t.p_value,
                    significant=t.significant,
                )
    return m.ScorePublic(id=measure, title=title, n=summary.n, score=summary.mean, change=change)


def _has(before: WaveData, unit: UnitRow, b: str | None, c: str | None) -> bool:
    """Whether the previous wave published this cell (its unit, and the group if any)."""
    return b is None or c in before.breakdowns.get(b, [])


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


def _question(
    pub: Publication,
    q: QuestionRow,
    now: WaveData,
    before: WaveData | None,
    unit: UnitRow,
    prev_unit: UnitRow | None,
    b: str | None,
    c: str | None,
) -> m.QuestionFigures:
    d = pub.decision(q.code, Cell(now.uid, unit.path, b, c))
    if not d.shown:
        w = withheld(d)
        return m.QuestionFigures(code=q.code, theme=m.Theme(q.theme), n=w, percent_positive=w, mean=w, change=w)
    counts = now.hist.get((unit.id, b, c), {}).get(q.code, [0] * len(q.question.scale.options))
    result = scoring.question_result(q.question, dict(zip(q.question.scale.options, counts, strict=True)))
    change: m.ChangePublic | m.Suppressed | None = None
    if before is not None and prev_unit is not None:
        prev_q = next((p for p in before.questions if p.code == q.code), None)
        cd = (
            pub.decision(q.code, Change(before.uid, now.uid, unit.path, b, c))
            if _has(before, prev_unit, b, c)
            else None
        )
        if cd is None:
            pass
        elif not cd.shown:
            change = withheld(cd)
        elif prev_q is not None:
            old_counts = before.hist.get((prev_unit.id, b, c), {}).get(q.code)
            if old_counts and sum(old_counts) and result.n:
                old = scoring.question_result(
                    prev_q.question, dict(zip(prev_q.question.scale.options, old_counts, strict=True))
                )
                t = scoring.proportion_change(old, result, ALPHA)
                assert old.percent_positive is not None
                change = m.ChangePublic(
                    previous=old.percent_positive,
                    change=t.change,
                    test=t.test,
                    statistic=t.statistic,
                    p_value=t.p_value,
                    significant=t.significant,
                )
    return m.QuestionFigures(
        code=q.code,
        theme=m.Theme(q.theme),
        n=result.n,
        percent_positive=result.percent_positive,
        mean=result.mean,
        change=change,
    )


def cell_public(pub: Publication, index: int, unit: UnitRow, b: str | None, c: str | None) -> m.CellPublic:
    now = pub.waves[index]
    before = pub.waves[index - 1] if index > 0 else None
    prev_unit = next((u for u in before.units if u.path == unit.path), None) if before is not None else None
    cell = Cell(now.uid, unit.path, b, c)
    d = pub.decision(None, cell)
    responses: int | m.Suppressed = d.n if d.shown and d.n is not None else withheld(d)
    responses_change: int | m.Suppressed | None = None
    if before is not None and prev_unit is not None:
        try:
            cd = pub.decision(None, Change(before.uid, now.uid, unit.path, b, c))
        except KeyError:  # a group the previous wave did not have
            cd = None
        if cd is not None:
            responses_change = cd.n if cd.shown and cd.n is not None else withheld(cd)
    engagement = [
        _score(pub, t, m.THEME_TITLES[t], now, before, unit, prev_unit, b, c)
        for t in (ENGAGEMENT, *(t.value for t in m.ENGAGEMENT_THEMES))
    ]
    themes = [
        _score(pub, t, m.THEME_TITLES[t], now, before, unit, prev_unit, b, c)
        for t in now.themes
        if t not in {e.value for e in m.ENGAGEMENT_THEMES}
    ]
    questions = [_question(pub, q, now, before, unit, prev_unit, b, c) for q in now.questions]
    return m.CellPublic(
        unit=unit_public(unit),
        breakdown=b,
        category=c,
        responses=responses,
        responses_change=responses_change,
        engagement=engagement,
        themes=themes,
        questions=questions,
    )


def cells(pub: Publication, index: int, unit: UnitRow, breakdown: str | None, children: bool) -> list[m.CellPublic]:
    """The unit's cell, then its children's (or, with a breakdown, its groups')."""
    now = pub.waves[index]
    out = [cell_public(pub, index, unit, None, None)]
    if breakdown is not None:
        for c in now.breakdowns.get(breakdown, []):
            out.append(cell_public(pub, index, unit, breakdown, c))
    elif children:
        out.extend(cell_public(pub, index, u, None, None) for u in now.units if u.parent_id == unit.id)
    return out


def rows_for_csv(results: m.ResultsPublic) -> Iterable[list[Any]]:
    """The results as CSV rows: one per cell and figure; a suppressed figure says so in words."""
    yield [
        "unit_path",
        "unit_name",
        "breakdown",
        "category",
        "figure",
        "kind",
        "n",
        "value",
        "change",
        "test",
        "p_value",
        "significant",
    ]

    def show(value: Any) -> Any:
        if isinstance(value, m.Suppressed):
            return f"suppressed: {value.reason}"
        return "" if value is None else value

    def change_cells(change: Any) -> list[Any]:
        if change is None:
            return ["", "", "", ""]
        if isinstance(change, m.Suppressed):
            text = show(change)
            return [text, text, text, text]
        return [change.change, change.test, change.p_value, "yes" if change.significant else "no"]

    for cell in results.cells:
        lead = [cell.unit.path, cell.unit.name, cell.breakdown or "", cell.category or ""]
        yield [
            *lead,
            "responses",
            "count",
            show(cell.responses),
            show(cell.responses),
            show(cell.responses_change),
            "",
            "",
            "",
        ]
        for s in [*cell.engagement, *cell.themes]:
            yield [*lead, s.id, "score", show(s.n), show(s.score), *change_cells(s.change)]
        for q in cell.questions:
            yield [*lead, q.code, "percent_positive", show(q.n), show(q.percent_positive), *change_cells(q.change)]
            yield [*lead, q.code, "mean", show(q.n), show(q.mean), "", "", "", ""]
