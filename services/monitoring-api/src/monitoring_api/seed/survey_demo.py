"""Demo culture survey: two closed waves of the HSC culture instrument for the demo organisation (BSO),
with fictional responses drawn from a seeded random number generator (the same every run).

Coaching and Mentoring has fewer than 10 respondents in both waves, so its results are suppressed
(and a partner is withheld with it); the HSC Leadership Centre improves between the waves, after its
compassionate leadership programme. Responses go in through the bulk ingest, as a survey tool's would.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date

from sqlmodel import Session, select

from monitoring_api.config import Settings
from monitoring_api.scopes import Scope
from monitoring_api.surveys import models as m
from monitoring_api.surveys import service
from monitoring_api.surveys.ingest import Row, ingest
from monitoring_api.surveys.results import DisclosureSettings
from servicekit.auth import Principal
from servicekit.demo import DEMO_ORG

# (title, opens, closes); then respondents per unit in each wave, and the unit's level of agreement
# (0 to 1) in each wave.
WAVES = (
    ("Culture survey autumn 2025", date(2025, 10, 1), date(2025, 10, 31)),
    ("Culture survey autumn 2026", date(2026, 10, 1), date(2026, 10, 31)),
)
RESPONDENTS: dict[str, tuple[tuple[int, int], tuple[float, float]]] = {
    "PROGRAMMES": ((26, 31), (0.58, 0.72)),
    "COACHING": ((7, 8), (0.62, 0.70)),
    "HSCLC": ((3, 2), (0.55, 0.60)),  # the directorate's own staff
    "RECRUIT": ((44, 47), (0.50, 0.53)),
    "PAYROLL": ((38, 35), (0.47, 0.45)),
    "SERVICE-DESK": ((23, 26), (0.45, 0.49)),
    "DIGITAL": ((19, 21), (0.60, 0.61)),
}
STAFF_GROUPS = (("admin_clerical", 0.55), ("professional_technical", 0.3), ("management", 0.1), (None, 0.05))
BANDS = (("band_1_4", 0.4), ("band_5_7", 0.45), ("band_8_9", 0.1), (None, 0.05))


def _pick(rng: random.Random, choices: tuple[tuple[str | None, float], ...]) -> str | None:
    roll, total = rng.random(), 0.0
    for value, weight in choices:
        total += weight
        if roll < total:
            return value
    return choices[-1][0]


def _rows(wave_index: int, questions: list[m.SurveyQuestion]) -> Iterator[Row]:
    number = 0
    for unit, (counts, levels) in RESPONDENTS.items():
        rng = random.Random(f"survey-demo:{unit}:{wave_index}")  # noqa: S311 (demo numbers, not secrets)
        level = levels[wave_index]
        for _ in range(counts[wave_index]):
            number += 1
            person = level + rng.gauss(0, 0.12)
            answers: list[tuple[str, str | int | None]] = []
            for q in questions:
                agree = person + rng.gauss(0, 0.15)
                if q.reverse:
                    agree = 1 - agree
                position = min(5, max(1, round(1 + agree * 4 + rng.uniform(-0.5, 0.5))))
                answers.append((q.code, position))
            groups = {k: v for k, v in (("staff_group", _pick(rng, STAFF_GROUPS)), ("band", _pick(rng, BANDS))) if v}
            yield number, unit, groups, answers


def default_disclosure() -> DisclosureSettings:
    """The disclosure settings of a service left at its defaults (MONITORING_API_SURVEY_*)."""
    fields = Settings.model_fields
    return DisclosureSettings.of(
        fields["survey_minimum"].default, None, fields["survey_complementary_suppression"].default
    )


def seed_survey_demo(session: Session, disclosure: DisclosureSettings | None = None) -> None:
    """The two demo waves, opened over BSO's demo structure, filled and closed as the close route
    closes a wave: with their results computed and stored under the service's disclosure settings
    (`disclosure`, the defaults when not given), so no first read pays for them (computed on first
    read, they made 180 of 200 concurrent first GET /overview in bench_read_load.py wait past
    DB_WAIT_SECONDS: 503)."""
    settings = disclosure or default_disclosure()
    admin = Principal(
        subject="demo-seed", org=DEMO_ORG, scopes=frozenset({Scope.READ, Scope.ADMIN, Scope.SURVEY_INGEST})
    )
    instrument = session.exec(
        select(m.SurveyInstrument).where(m.SurveyInstrument.code == service.SEED_CODE, m.SurveyInstrument.version == 1)
    ).one()
    questions = service.questions_of(session, instrument)
    for index, (title, opens, closes) in enumerate(WAVES):
        wave = service.create_wave(
            session,
            admin,
            m.WaveCreate(instrument=instrument.uid, title=title, opens=opens, closes=closes),
            demo=True,
            uid=uuid.uuid5(service.NAMESPACE, f"demo-wave:{DEMO_ORG}:{index + 1}"),
        )
        ingest(session, admin, wave, _rows(index, questions))
        service.close_wave(session, admin, wave, settings=settings)
        session.flush()
