"""The demo vacancy `make run` creates, so a new recruiter can score a candidate straight away."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import Session, select

from recruitment_api.candidates.service import import_candidates
from recruitment_api.scopes import Scope
from recruitment_api.scoring.models import PanelWrite, SheetWrite
from recruitment_api.scoring.service import save_draft, set_panel, submit
from recruitment_api.vacancies import service as vacancies
from recruitment_api.vacancies.models import DesignWrite, Vacancy, VacancyCreate, VacancyStatus
from servicekit.auth import Principal

DEMO_FILE = Path(__file__).parent / "demo_vacancy.yaml"


def seed_demo(session: Session, org: str, assessors: list[str]) -> tuple[Vacancy, bool]:
    """`assessors` are token subjects; the first leads the panel. The last one's scores are
    submitted already, so the others see a panel to compare with once they submit theirs."""
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    title = data["vacancy"]["title"]
    existing = session.exec(select(Vacancy).where(Vacancy.org == org, Vacancy.title == title)).first()
    if existing is not None:
        return existing, False
    seeder = Principal(subject="demo-seed", org=org, scopes=frozenset({Scope.ADMIN}))
    vacancy = vacancies.create_vacancy(
        session, seeder, VacancyCreate(**data["vacancy"], criteria=data["criteria"]), None, 365
    )
    vacancies.put_design(session, seeder, vacancy, DesignWrite.model_validate(data["design"]))
    candidates = import_candidates(session, seeder, vacancy, data["candidates"])
    if assessors:
        for stage in vacancies.stages_of(session, vacancy):
            members = [{"assessor": a, "name": None, "is_lead": i == 0} for i, a in enumerate(assessors)]
            set_panel(session, seeder, vacancy, stage, PanelWrite.model_validate({"members": members}))
    for status in (VacancyStatus.open, VacancyStatus.scoring):
        vacancies.change_status(session, seeder, vacancy, status)
    if len(assessors) >= 2:
        colleague = Principal(subject=assessors[-1], org=org, scopes=frozenset({Scope.SCORE}))
        stage = vacancies.stages_of(session, vacancy)[0]
        for candidate, scores in zip(candidates, data["colleague_scores"], strict=False):
            sheet = SheetWrite.model_validate({"scores": [{"criterion": c, "score": s} for c, s in scores.items()]})
            save_draft(session, colleague, vacancy, stage, candidate, sheet)
            submit(session, colleague, vacancy, stage, candidate)
    session.commit()
    return vacancy, True
