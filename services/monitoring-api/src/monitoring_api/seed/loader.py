"""`monitoring-api seed`: the HSC organisations, the strategy's actions and the HSC culture survey
instrument, with identifiers derived from their codes (uuid5), so every installation names them alike.
Running it again adds only what is missing and changes nothing else."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import yaml
from sqlmodel import Session, select

from monitoring_api.plan.models import Action
from monitoring_api.scopes import Scope
from monitoring_api.structure.models import OrgUnit, UnitKind
from monitoring_api.surveys.service import seed_instruments
from servicekit import audit
from servicekit.auth import Principal

SEED_FILE = Path(__file__).parent / "strategy.yaml"
NAMESPACE = uuid.UUID("3c8e6a0d-2b71-4f0e-8f3a-9d5c1e7b4a26")
SEEDER = Principal(subject="seed", org="DOH", scopes=frozenset({Scope.ADMIN}))


def stable_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(parts))


def unit_id(path: str) -> uuid.UUID:
    return stable_id("unit", path)


def load() -> dict:
    return yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))


def seed(session: Session) -> tuple[int, int]:
    """Adds the organisations and actions that are missing; returns how many of each were added."""
    data = load()
    existing_units = set(session.exec(select(OrgUnit.path).where(OrgUnit.level == 1)))
    added_units = 0
    for org in data["organisations"]:
        path = f"/{org['code']}/"
        if path in existing_units:
            continue
        unit = OrgUnit(
            uid=unit_id(path),
            org=org["code"],
            code=org["code"],
            name=org["name"],
            kind=UnitKind.organisation.value,
            level=1,
            path=path,
        )
        session.add(unit)
        session.flush()
        audit.record(session, SEEDER, "unit.seed", "org_unit", unit.uid, after={"path": path, "name": org["name"]})
        added_units += 1
    existing_actions = set(session.exec(select(Action.code)))
    added_actions = 0
    for sequence, given in enumerate(data["actions"]):
        if given["code"] in existing_actions:
            continue
        due = given["due"] if isinstance(given["due"], date) else date.fromisoformat(str(given["due"]))
        action = Action(
            uid=stable_id("action", given["code"]),
            code=given["code"],
            phase=given["phase"],
            title=given["title"],
            due=due,
            due_label=str(given["due_label"]),
            components=list(given["components"]),
            framework_items=[data["components"][c] for c in given["components"]],
            sequence=sequence,
        )
        session.add(action)
        session.flush()
        audit.record(session, SEEDER, "action.seed", "action", action.uid, after={"code": action.code})
        added_actions += 1
    seed_instruments(session, SEEDER)
    session.commit()
    return added_units, added_actions
