"""Culture surveys: instruments (versioned), waves over a frozen copy of the structure, results under
disclosure control, and indicators fed from results.

Who sees what: instruments are regional (seeded, or created with `monitoring:regional`) or an
organisation's own. A wave belongs to one organisation; its results are read under `monitoring:read`
within that organisation's subtree, and with `monitoring:regional` every organisation's results at
organisation level only (the wave's top unit, no units below it). Anything else is not found.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from monitoring_api.indicators import models as im
from monitoring_api.indicators.ingest import ingest as ingest_values
from monitoring_api.scopes import Scope
from monitoring_api.structure import service as structure
from monitoring_api.structure.models import OrgUnit
from monitoring_api.surveys import models as m
from monitoring_api.surveys import results as r
from monitoring_api.surveys import scoring
from monitoring_api.surveys.disclosure import Cell, ProtectionError
from monitoring_api.surveys.instruments import SCALES, QuestionDef, built_in_questions, parse_instrument
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import table_of
from servicekit.errors import conflict, not_found, unprocessable
from servicekit.pagination import cursor_value, paginate

SEED_INSTRUMENT = Path(__file__).parents[1] / "seed" / "culture.csv"
SEED_CODE = "HSC-CULTURE"
SEED_TITLE = "HSC collective leadership culture survey"
NAMESPACE = uuid.UUID("6f1c2b9e-0d4a-4c55-9a57-3e1d8b7c2f10")
ENGAGEMENT_INDICATOR = "SURVEY-ENGAGEMENT"
PUBLICATIONS = table_of(m.SurveyWavePublication)
log = logging.getLogger(__name__)


# --- instruments -------------------------------------------------------------------------------


def _visible_instrument(principal: Principal) -> Any:
    if principal.has(Scope.REGIONAL):
        return True
    return or_(col(m.SurveyInstrument.org).is_(None), col(m.SurveyInstrument.org) == principal.org)


def list_instruments(
    session: Session, principal: Principal, limit: int, after: dict[str, Any] | None
) -> tuple[list[m.SurveyInstrument], dict[str, Any] | None]:
    query = select(m.SurveyInstrument).where(_visible_instrument(principal))
    if after:
        query = query.where(m.SurveyInstrument.id > cursor_value(after, "id", int))
    rows = list(session.exec(query.order_by(col(m.SurveyInstrument.id)).limit(limit + 1)))
    return paginate(rows, limit, lambda i: {"id": i.id})


def get_instrument(session: Session, principal: Principal, uid: uuid.UUID) -> m.SurveyInstrument:
    found = session.exec(select(m.SurveyInstrument).where(m.SurveyInstrument.uid == uid)).first()
    if found is None or not (found.org is None or principal.has(Scope.REGIONAL) or found.org == principal.org):
        raise not_found("survey instrument")
    return found


def questions_of(session: Session, instrument: m.SurveyInstrument) -> list[m.SurveyQuestion]:
    return list(
        session.exec(
            select(m.SurveyQuestion)
            .where(m.SurveyQuestion.instrument_id == instrument.id)
            .order_by(col(m.SurveyQuestion.position))
        )
    )


def questions_of_wave(session: Session, wave: m.SurveyWave) -> list[m.SurveyQuestion]:
    instrument = session.get(m.SurveyInstrument, wave.instrument_id)
    assert instrument is not None
    return questions_of(session, instrument)


def instrument_public(session: Session, instrument: m.SurveyInstrument) -> m.InstrumentPublic:
    built_in = {q.code for q in built_in_questions()}
    return m.InstrumentPublic(
        id=instrument.uid,
        code=instrument.code,
        version=instrument.version,
        org=instrument.org,
        title=instrument.title,
        description=instrument.description,
        demo=instrument.demo,
        created_at=instrument.created_at,
        questions=[
            m.QuestionPublic(
                code=q.code,
                position=q.position,
                text=q.text,
                scale=m.ScaleName(q.scale),
                options=list(SCALES[q.scale].options),
                positive=list(q.positive),
                reverse=q.reverse,
                theme=m.Theme(q.theme),
                framework_items=list(q.framework_items),
                built_in=q.code in built_in,
            )
            for q in questions_of(session, instrument)
        ],
    )


def instrument_summary(session: Session, instrument: m.SurveyInstrument) -> m.InstrumentSummary:
    count = session.exec(
        select(func.count()).select_from(m.SurveyQuestion).where(m.SurveyQuestion.instrument_id == instrument.id)
    ).one()
    return m.InstrumentSummary(
        id=instrument.uid,
        code=instrument.code,
        version=instrument.version,
        org=instrument.org,
        title=instrument.title,
        questions=int(count),
        created_at=instrument.created_at,
    )


def create_instrument(
    session: Session,
    principal: Principal,
    code: str,
    title: str,
    questions: list[QuestionDef],
    *,
    description: str | None = None,
    regional: bool | None = None,
    demo: bool = False,
    uid: uuid.UUID | None = None,
) -> m.SurveyInstrument:
    """A new instrument, or the next version of one the caller owns: the nine engagement questions
    first, then `questions`. Regional when the caller holds monitoring:regional."""
    owner = None if (principal.has(Scope.REGIONAL) if regional is None else regional) else principal.org
    existing = list(session.exec(select(m.SurveyInstrument).where(m.SurveyInstrument.code == code)))
    if any(i.org != owner for i in existing):
        raise conflict("instrument-code-taken", f"Another owner has an instrument {code}; choose another code.")
    version = max((i.version for i in existing), default=0) + 1
    instrument = m.SurveyInstrument(
        uid=uid or uuid.uuid4(),
        code=code,
        version=version,
        org=owner,
        title=title,
        description=description,
        demo=demo,
        created_by=principal.subject,
    )
    session.add(instrument)
    session.flush()
    assert instrument.id is not None
    for position, q in enumerate([*built_in_questions(), *questions], start=1):
        session.add(
            m.SurveyQuestion(
                instrument_id=instrument.id,
                position=position,
                code=q.code,
                text=q.text,
                scale=q.scale,
                positive=list(q.positive),
                reverse=q.reverse,
                theme=q.theme,
                framework_items=list(q.framework_items),
            )
        )
    session.flush()
    audit.record(
        session,
        principal,
        "survey.instrument.create",
        "survey_instrument",
        instrument.uid,
        after={"code": code, "version": version, "questions": len(questions) + 9},
    )
    return instrument


def seed_instruments(session: Session, principal: Principal) -> bool:
    """The HSC culture instrument (regional), if it is not there yet."""
    if session.exec(select(m.SurveyInstrument).where(m.SurveyInstrument.code == SEED_CODE)).first() is not None:
        return False
    questions = parse_instrument(SEED_INSTRUMENT.read_text(encoding="utf-8"))
    create_instrument(
        session,
        principal,
        SEED_CODE,
        SEED_TITLE,
        questions,
        description="The six cultural characteristics and the four compassionate leadership behaviours of the "
        "HSC Collective Leadership Strategy, with the nine NHS staff survey engagement questions.",
        regional=True,
        uid=uuid.uuid5(NAMESPACE, f"instrument:{SEED_CODE}:1"),
    )
    return True


# --- waves ---------------------------------------------------------------------------------------


def get_wave(session: Session, principal: Principal, uid: uuid.UUID) -> m.SurveyWave:
    wave = session.exec(select(m.SurveyWave).where(m.SurveyWave.uid == uid)).first()
    if wave is None or not (principal.has(Scope.REGIONAL) or wave.org == principal.org):
        raise not_found("survey wave")
    return wave


def list_waves(
    session: Session, principal: Principal, limit: int, after: dict[str, Any] | None
) -> tuple[list[m.SurveyWave], dict[str, Any] | None]:
    query = select(m.SurveyWave).where(structure.visible(principal, m.SurveyWave.org))
    if after:
        query = query.where(m.SurveyWave.id > cursor_value(after, "id", int))
    rows = list(session.exec(query.order_by(col(m.SurveyWave.id)).limit(limit + 1)))
    return paginate(rows, limit, lambda w: {"id": w.id})


def wave_units(session: Session, wave: m.SurveyWave) -> list[m.SurveyWaveUnit]:
    return list(
        session.exec(
            select(m.SurveyWaveUnit).where(m.SurveyWaveUnit.wave_id == wave.id).order_by(col(m.SurveyWaveUnit.path))
        )
    )


# Why a wave's own count is withheld: its total is the root cell of its results, which disclosure control
# may suppress (fewer than the minimum, or to protect a smaller group); shown here it would undo that.
WAVE_RESPONSES_OPEN = "counted for the wave's administrators while it is open"
WAVE_RESPONSES_CLOSED = "in the wave's results, under disclosure control"


def wave_responses(principal: Principal, wave: m.SurveyWave) -> int | m.Suppressed:
    if wave.status != m.WaveStatus.open:
        return m.Suppressed(reason=WAVE_RESPONSES_CLOSED)
    if wave.org == principal.org and (principal.has(Scope.ADMIN) or principal.has(Scope.SURVEY_INGEST)):
        return wave.responses
    return m.Suppressed(reason=WAVE_RESPONSES_OPEN)


def wave_public(session: Session, principal: Principal, wave: m.SurveyWave) -> m.WavePublic:
    instrument = session.get(m.SurveyInstrument, wave.instrument_id)
    assert instrument is not None
    units = wave_units(session, wave)
    root = units[0]
    return m.WavePublic(
        id=wave.uid,
        org=wave.org,
        title=wave.title,
        instrument=instrument_summary(session, instrument),
        opens=wave.opens,
        closes=wave.closes,
        status=m.WaveStatus(wave.status),
        responses=wave_responses(principal, wave),
        units=len(units),
        root=_wave_unit_public(root),
        demo=wave.demo,
        created_at=wave.created_at,
        closed_at=wave.closed_at,
    )


def _wave_unit_public(u: m.SurveyWaveUnit) -> m.WaveUnitPublic:
    return m.WaveUnitPublic(id=u.unit_uid, code=u.code, name=u.name, kind=u.kind, level=u.level, path=u.path)


def create_wave(
    session: Session, principal: Principal, data: m.WaveCreate, *, demo: bool = False, uid: uuid.UUID | None = None
) -> m.SurveyWave:
    """Opens a wave: the unit's subtree (by default the whole organisation) is copied into the wave's
    own rows, so restructuring later never changes its results."""
    if data.closes < data.opens:
        raise unprocessable(
            "A wave closes on or after the day it opens.",
            [{"field": "body.closes", "message": "before opens"}],
        )
    instrument = get_instrument(session, principal, data.instrument)
    if data.unit is None:
        top = structure.organisation_root(session, principal.org)
    else:
        top = structure.get_unit(session, principal, data.unit)
        if top.org != principal.org:
            raise not_found("organisation unit")
    wave = m.SurveyWave(
        uid=uid or uuid.uuid4(),
        instrument_id=instrument.id or 0,
        org=principal.org,
        root_path=top.path,
        title=data.title,
        opens=data.opens,
        closes=data.closes,
        demo=demo,
        created_by=principal.subject,
    )
    session.add(wave)
    session.flush()
    live = list(
        session.exec(select(OrgUnit).where(structure.in_subtree(OrgUnit.path, top.path)).order_by(col(OrgUnit.path)))
    )
    copies: dict[int, m.SurveyWaveUnit] = {}
    for u in live:  # path order: a parent before its children
        assert u.id is not None and wave.id is not None
        parent = copies.get(u.parent_id) if u.parent_id is not None and u.id != top.id else None
        copy = m.SurveyWaveUnit(
            wave_id=wave.id,
            unit_uid=u.uid,
            code=u.code,
            name=u.name,
            kind=u.kind,
            level=u.level,
            path=u.path,
            parent_id=parent.id if parent is not None else None,
        )
        session.add(copy)
        session.flush()
        copies[u.id] = copy
    audit.record(
        session,
        principal,
        "survey.wave.open",
        "survey_wave",
        wave.uid,
        after={"instrument": str(instrument.uid), "title": data.title, "units": len(copies), "root": top.path},
    )
    return wave


def close_wave(
    session: Session,
    principal: Principal,
    wave: m.SurveyWave,
    *,
    settings: r.DisclosureSettings | None = None,
) -> m.SurveyWave:
    """Closes the wave. With `settings`, its results are computed and stored in the same transaction
    (grouped reads of every answer and the disclosure control of the whole wave: seconds for a large
    wave, 10 to 17 s for a million answers), so every later results read is a lookup."""
    if wave.org != principal.org:
        raise not_found("survey wave")
    # Locked until the close commits: an import finishing meanwhile waits, then finds the wave closed
    # (ingest's count is conditional on it), and a second close waits, then finds it closed already.
    session.refresh(wave, with_for_update=True)
    if wave.status == m.WaveStatus.closed:
        raise conflict("wave-closed", "The wave is closed already.")
    wave.status = m.WaveStatus.closed.value
    wave.closed_at = utcnow()
    session.add(wave)
    audit.record(session, principal, "survey.wave.close", "survey_wave", wave.uid, after={"responses": wave.responses})
    if settings is not None:
        session.flush()
        try:
            found = r.compute_wave(session.connection(), wave, settings)
        except ProtectionError:  # left to the first read, which fails as it would have
            log.exception("survey wave %s: its results could not be protected at close", wave.uid)
        else:
            _store_publication(session, wave, settings, found)
    return wave


def wave_for_ingest(session: Session, principal: Principal, uid: uuid.UUID) -> m.SurveyWave:
    wave = session.exec(select(m.SurveyWave).where(m.SurveyWave.uid == uid)).first()
    if wave is None or wave.org != principal.org:
        raise not_found("survey wave")
    if wave.status != m.WaveStatus.open:
        raise conflict("wave-closed", "The wave is closed: it takes no more responses.")
    return wave


# --- results -----------------------------------------------------------------------------------


def chain(session: Session, wave: m.SurveyWave) -> list[m.SurveyWave]:
    """Every closed wave of the same instrument (any version) over the same unit, oldest first: each
    compared with the one before it."""
    instrument = session.get(m.SurveyInstrument, wave.instrument_id)
    assert instrument is not None
    same_code = select(m.SurveyInstrument.id).where(m.SurveyInstrument.code == instrument.code)
    return list(
        session.exec(
            select(m.SurveyWave)
            .where(
                m.SurveyWave.org == wave.org,
                m.SurveyWave.root_path == wave.root_path,
                m.SurveyWave.status == m.WaveStatus.closed.value,
                col(m.SurveyWave.instrument_id).in_(same_code),
            )
            .order_by(col(m.SurveyWave.opens), col(m.SurveyWave.id))
        )
    )


def _stored_publication(
    session: Session, wave: m.SurveyWave, settings: r.DisclosureSettings
) -> tuple[r.WaveData, r.WaveProtection] | None:
    """The wave's stored figures and decisions under these settings; None when there are none (a wave
    closed before they were stored, other settings) or they are stale (another format, another count)."""
    c = PUBLICATIONS.c
    row = session.execute(
        sa.select(c.format, c.responses, c.content).where(
            c.wave_id == wave.id,
            c.minimum == settings.minimum,
            c.protection == settings.protection,
            c.complementary == settings.complementary,
        )
    ).first()
    if row is None or row.format != r.STORED_FORMAT or row.responses != wave.responses:
        return None
    try:
        return r.decode(row.content)
    except ValueError:  # unreadable: computed again and replaced
        return None


def _store_publication(
    session: Session, wave: m.SurveyWave, settings: r.DisclosureSettings, found: tuple[r.WaveData, r.WaveProtection]
) -> None:
    """Stores (or replaces) the wave's figures and decisions under these settings."""
    c = PUBLICATIONS.c
    session.execute(
        sa.delete(PUBLICATIONS).where(
            c.wave_id == wave.id,
            c.minimum == settings.minimum,
            c.protection == settings.protection,
            c.complementary == settings.complementary,
        )
    )
    session.execute(
        sa.insert(PUBLICATIONS).values(
            wave_id=wave.id,
            minimum=settings.minimum,
            protection=settings.protection,
            complementary=settings.complementary,
            format=r.STORED_FORMAT,
            responses=wave.responses,
            content=r.encode(*found),
            created_at=utcnow(),
        )
    )


def wave_publication(
    session: Session, wave: m.SurveyWave, settings: r.DisclosureSettings, cache: r.PublicationCache | None = None
) -> tuple[r.WaveData, r.WaveProtection]:
    """A closed wave's figures and decisions: from the process's cache, else the row stored when it
    closed, else (closed before rows were stored, or under other settings) computed now and stored in a
    savepoint for every process; the caller commits."""
    key = r.cache_key(wave, settings)
    found = cache.get(key) if cache is not None else None
    if found is not None:
        return found
    if cache is None:
        return _load_publication(session, wave, settings)
    # One request of this process reads or computes it; the others asking at the same moment wait for it.
    with cache.loading(key):
        found = cache.get(key)
        if found is None:
            found = _load_publication(session, wave, settings)
            cache.put(key, found)
    return found


def _load_publication(
    session: Session, wave: m.SurveyWave, settings: r.DisclosureSettings
) -> tuple[r.WaveData, r.WaveProtection]:
    found = _stored_publication(session, wave, settings)
    if found is None:
        found = r.compute_wave(session.connection(), wave, settings)
        try:
            with session.begin_nested():
                _store_publication(session, wave, settings, found)
        except IntegrityError:  # another process stored it first: the same figures and decisions
            pass
    return found


def publication_of(
    session: Session,
    wave: m.SurveyWave,
    *,
    minimum: int,
    complementary: bool,
    cache: r.PublicationCache | None = None,
) -> tuple[r.Publication, int]:
    """The wave and the one before it in its chain, protected (each on its own), and the wave's place."""
    if wave.status != m.WaveStatus.closed:
        raise conflict("wave-open", "Results are published when the wave has closed.")
    waves = chain(session, wave)
    at = next(i for i, w in enumerate(waves) if w.id == wave.id)
    wanted = waves[max(0, at - 1) : at + 1]
    settings = r.DisclosureSettings.of(minimum, None, complementary)
    found = [wave_publication(session, w, settings, cache) for w in wanted]
    return r.Publication([f[0] for f in found], [f[1] for f in found]), len(wanted) - 1


def results(
    session: Session,
    principal: Principal,
    wave: m.SurveyWave,
    unit_uid: uuid.UUID | None,
    breakdown: str | None,
    *,
    minimum: int,
    complementary: bool = True,
    cache: r.PublicationCache | None = None,
) -> m.ResultsPublic:
    if breakdown is not None and breakdown not in m.BREAKDOWNS:
        raise unprocessable(
            f"No breakdown {breakdown}.",
            [{"field": "query.breakdown", "message": f"one of {', '.join(m.BREAKDOWNS)}"}],
        )
    pub, index = publication_of(session, wave, minimum=minimum, complementary=complementary, cache=cache)
    now = pub.waves[index]
    regional_only = wave.org != principal.org  # a regional caller: organisation level only
    top = now.units[0]
    unit = top if unit_uid is None else next((u for u in now.units if u.unit_uid == str(unit_uid)), None)
    if unit is None or (regional_only and unit.id != top.id):
        raise not_found("unit of the wave")
    return m.ResultsPublic(
        wave=wave.uid,
        title=wave.title,
        previous_wave=uuid.UUID(pub.waves[index - 1].uid) if index > 0 else None,
        minimum=minimum,
        tests={"percent_positive": scoring.PROPORTION_TEST, "score": scoring.WELCH_TEST},
        alpha=r.ALPHA,
        unit=r.unit_public(unit),
        breakdown=breakdown,
        cells=r.cells(pub, index, unit, breakdown, children=not regional_only),
    )


# --- indicators fed from results ----------------------------------------------------------------


def _quarter(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def engagement_indicator(session: Session, principal: Principal) -> im.Indicator:
    found = session.exec(select(im.Indicator).where(im.Indicator.code == ENGAGEMENT_INDICATOR)).first()
    if found is not None:
        return found
    indicator = im.Indicator(
        uid=uuid.uuid5(NAMESPACE, f"indicator:{ENGAGEMENT_INDICATOR}"),
        code=ENGAGEMENT_INDICATOR,
        org=None,
        title="Staff engagement score (culture survey)",
        description="The NHS staff survey engagement score 0-10 of each survey wave, fed from survey results "
        "(only where the result is shown under disclosure control).",
        unit_of_measure="score 0-10",
        numerator="Sum of respondents' engagement scores",
        denominator="Respondents with an engagement score",
        factor=im.Factor.ratio.value,
        direction=im.Direction.increase.value,
        frequency=im.Frequency.quarterly.value,
        source="Culture survey",
        components=["C4"],
        actions=["A9"],
        framework_items=[],
        created_by=principal.subject,
    )
    session.add(indicator)
    session.flush()
    audit.record(session, principal, "indicator.create", "indicator", indicator.uid, after={"code": indicator.code})
    return indicator


def feed_indicators(
    session: Session,
    principal: Principal,
    wave: m.SurveyWave,
    level: int,
    *,
    minimum: int,
    complementary: bool = True,
    cache: r.PublicationCache | None = None,
) -> m.FeedResult:
    """Writes the engagement score of every unit of the wave at `level` (1: the organisation) as a value
    of the SURVEY-ENGAGEMENT indicator for the quarter the wave closed in, so it reaches the SPC charts.
    Only shown results are written; a suppressed unit gets nothing (a gap, never a zero)."""
    if wave.org != principal.org:
        raise not_found("survey wave")
    pub, index = publication_of(session, wave, minimum=minimum, complementary=complementary, cache=cache)
    now = pub.waves[index]
    indicator = engagement_indicator(session, principal)
    period = _quarter(wave.closes)
    live = {p for p in session.exec(select(OrgUnit.path).where(OrgUnit.org == wave.org))}
    rows: list[tuple[int, list[str]]] = []
    withheld = 0
    for u in now.units:
        if u.level != level:
            continue
        d = pub.decision(r.ENGAGEMENT, Cell(now.uid, u.path, None, None))
        summary = now.scores.get((u.id, None, None), {}).get(r.ENGAGEMENT)
        if not d.shown or summary is None or summary.n == 0 or u.path not in live:
            withheld += 1
            continue
        rows.append((len(rows) + 1, [indicator.code, u.path, period.isoformat(), repr(summary.total), str(summary.n)]))
    if not rows:
        raise conflict("nothing-to-feed", f"No unit at level {level} has an engagement score that can be shown.")
    ingest_values(session, principal, rows)
    audit.record(
        session, principal, "survey.indicators.feed", "survey_wave", wave.uid, after={"level": level, "rows": len(rows)}
    )
    return m.FeedResult(
        indicator=indicator.code, period=period, written=len(rows), withheld=withheld, units=[row[1][1] for row in rows]
    )
