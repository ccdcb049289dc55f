"""The demo vacancy `make run` creates, so a new recruiter can score a candidate straight away."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import Session, select

from recruitment_api.candidates.service import import_candidates
from recruitment_api.scoring.models import PanelWrite
from recruitment_api.scoring.service import set_panel
from recruitment_api.vacancies import service as vacancies
from recruitment_api.vacancies.models import DesignWrite, Vacancy, VacancyCreate, VacancyStatus
from servicekit.auth import Principal

DEMO_FILE = Path(__file__).parent / "demo_vacancy.yaml"


def seed_demo(session: Session, org: str, assessors: list[str]) -> tuple[Vacancy, bool]:
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    title = data["vacancy"]["title"]
    existing = session.exec(select(Vacancy).where(Vacancy.org == org, Vacancy.title == title)).first()
    if existing is not None:
        return existing, False
    seeder = Principal(subject="demo-seed", org=org, scopes=frozenset({"recruitment:admin"}))
    vacancy = vacancies.create_vacancy(
        session, seeder, VacancyCreate(**data["vacancy"], criteria=data["criteria"]), None, 365
    )
    vacancies.put_design(session, seeder, vacancy, DesignWrite.model_validate(data["design"]))
    import_candidates(session, seeder, vacancy, data["candidates"])
    if assessors:
        for stage in vacancies.stages_of(session, vacancy):
            members = [{"assessor": a, "name": None, "is_lead": i == 0} for i, a in enumerate(assessors)]
            set_panel(session, seeder, vacancy, stage, PanelWrite(members=members))
    for status in (VacancyStatus.open, VacancyStatus.scoring):
        vacancies.change_status(session, seeder, vacancy, status)
    session.commit()
    return vacancy, True
