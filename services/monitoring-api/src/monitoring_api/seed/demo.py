"""`monitoring-api seed-demo`: the demo data set `make run` creates (see demo.yaml).

Deterministic: identifiers are uuid5 of codes and paths, and values come from a random number
generator seeded with the organisation, indicator and team, so every run gives the same numbers.
Plan check-ins are dated back from the day of seeding, so that some are overdue on that day and some
are not. Values go in through the bulk ingest, as an HR or BI system's would.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from monitoring_api.indicators import models as im
from monitoring_api.indicators.ingest import ingest
from monitoring_api.indicators.series import add_months
from monitoring_api.plan import models as pm
from monitoring_api.scopes import Scope
from monitoring_api.seed.loader import seed, stable_id, unit_id
from monitoring_api.seed.survey_demo import seed_survey_demo
from monitoring_api.structure.models import OrgUnit, UnitKind
from monitoring_api.surveys.results import DisclosureSettings
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.demo import DEMO_ORG, DEMO_RECRUITER, demo_subject

DEMO_FILE = Path(__file__).parent / "demo.yaml"
CADENCE_DAYS = 30


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _principal(org: str) -> Principal:
    return Principal(
        subject="demo-seed",
        org=org,
        scopes=frozenset({Scope.READ, Scope.WRITE, Scope.ADMIN}),
        name="Demo data",
    )


def seed_demo(session: Session, today: date | None = None, disclosure: DisclosureSettings | None = None) -> bool:
    """Creates the demo data if it is not there yet; returns whether it did. The survey waves' results
    are stored at close under `disclosure` (the service's settings; their defaults when not given)."""
    seed(session)
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    first_code = data["indicators"][0]["code"]
    if session.exec(select(im.Indicator).where(im.Indicator.code == first_code)).first() is not None:
        return False
    day = today or utcnow().date()
    units = _structure(session, data["structure"])
    indicators = _indicators(session, data["indicators"])
    months = [add_months(_date(data["first_month"]), k) for k in range(int(data["months"]))]
    for org in data["structure"]:
        teams = [u for u in units[org] if u.kind == UnitKind.team]
        rows = _values(data["indicators"], org, teams, months)
        ingest(session, _principal(org), rows)
    _chart_choices(session, data["indicators"], indicators, units, months)
    _plan(session, data, indicators, units, day)
    seed_survey_demo(session, disclosure)
    audit.record(
        session,
        _principal(DEMO_ORG),
        "demo.seed",
        "demo",
        stable_id("demo", "monitoring"),
        after={"organisations": list(data["structure"]), "indicators": [i["code"] for i in data["indicators"]]},
    )
    session.commit()
    return True


def _structure(session: Session, structure: dict[str, Any]) -> dict[str, list[OrgUnit]]:
    out: dict[str, list[OrgUnit]] = {}
    for org, directorates in structure.items():
        root = session.exec(select(OrgUnit).where(OrgUnit.path == f"/{org}/")).one()
        out[org] = [root]
        for code, directorate in directorates.items():
            parent = _unit(session, root, code, directorate["name"], UnitKind.directorate)
            out[org].append(parent)
            for team_code, team_name in directorate["teams"].items():
                out[org].append(_unit(session, parent, team_code, team_name, UnitKind.team))
    return out


def _unit(session: Session, parent: OrgUnit, code: str, name: str, kind: UnitKind) -> OrgUnit:
    path = f"{parent.path}{code}/"
    unit = OrgUnit(
        uid=unit_id(path),
        org=parent.org,
        code=code,
        name=name,
        kind=kind.value,
        level=parent.level + 1,
        parent_id=parent.id,
        path=path,
        demo=True,
    )
    session.add(unit)
    session.flush()
    return unit


def _indicators(session: Session, given: list[dict[str, Any]]) -> dict[str, im.Indicator]:
    out = {}
    for spec in given:
        indicator = im.Indicator(
            uid=stable_id("indicator", spec["code"]),
            code=spec["code"],
            org=None,
            title=spec["title"],
            description=f"{spec['title']} (demo data: fictional values for trying the service).",
            unit_of_measure=spec["unit_of_measure"],
            numerator=spec["numerator"],
            denominator=spec.get("denominator"),
            factor=spec["factor"],
            direction=spec["direction"],
            frequency=im.Frequency.monthly.value,
            source=im.DEMO_SOURCE,
            owner="HSC Leadership Centre (demo)",
            components=spec.get("components", []),
            actions=spec.get("actions", []),
            framework_items=[],
            demo=True,
            created_by="demo-seed",
        )
        session.add(indicator)
        session.flush()
        for target in spec.get("targets", []):
            session.add(
                im.Target(
                    indicator_id=key_of(indicator),
                    value=float(target["value"]),
                    from_date=_date(target["from_date"]),
                    note=target.get("note"),
                )
            )
        out[spec["code"]] = indicator
    session.flush()
    return out


def _level(spec: dict[str, Any], org: str, k: int, n: int) -> float:
    start, end = spec["level"]
    level = start + (end - start) * k / (n - 1)
    for signal in spec.get("signals", []):
        if signal["org"] != org:
            continue
        if "shift_from" in signal and k >= signal["shift_from"]:
            level += signal["step"]
        if "trend_last" in signal and k >= n - signal["trend_last"]:
            level += signal["step"] * (k - (n - signal["trend_last"]) + 1)
        if "rebase_at" in signal and k >= signal["rebase_at"]:
            level += signal["step"]
        if "outlier_at" in signal and k == signal["outlier_at"]:
            level *= signal["multiple"]
    return level


def _values(
    given: list[dict[str, Any]], org: str, teams: list[OrgUnit], months: list[date]
) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    for spec in given:
        factor = im.FACTORS[spec["factor"]]
        quiet = any(s["org"] == org and ("trend_last" in s or "shift_from" in s) for s in spec.get("signals", []))
        for team in teams:
            rng = random.Random(f"{org}:{spec['code']}:{team.code}")  # noqa: S311 (demo numbers, not secrets)
            noise = spec["noise"] * (0.4 if quiet else 1.0)
            offset = rng.gauss(0, noise * 0.4)
            for k, month in enumerate(months):
                value = max(0.0, _level(spec, org, k, len(months)) + offset + rng.gauss(0, noise))
                if spec["factor"] == im.Factor.value:
                    numerator, denominator = round(value, 1), ""
                else:
                    low, high = spec["denominator_range"]
                    den = rng.randint(low, high)
                    if spec["factor"] == im.Factor.percent:
                        value = min(value, 100.0)
                    num = value / factor * den
                    numerator = round(num)
                    denominator = str(den)
                rows.append(
                    (len(rows) + 1, [spec["code"], team.code, month.isoformat(), str(numerator), str(denominator)])
                )
    return rows


def _chart_choices(
    session: Session,
    given: list[dict[str, Any]],
    indicators: dict[str, im.Indicator],
    units: dict[str, list[OrgUnit]],
    months: list[date],
) -> None:
    """The signals' stories on each organisation's chart: rebases with their reason, ghosted points,
    annotations of what was done and when."""
    for spec in given:
        indicator = indicators[spec["code"]]
        for signal in spec.get("signals", []):
            root = units[signal["org"]][0]
            key = (spec["code"], signal["org"])
            if "rebase_at" in signal:
                on = months[signal["rebase_at"]]
                session.add(
                    im.Rebase(
                        uid=stable_id("rebase", *key, on.isoformat()),
                        indicator_id=key_of(indicator),
                        unit_id=key_of(root),
                        on_date=on,
                        reason=signal["note"],
                        recorded_by="demo-seed",
                    )
                )
            if "ghost_at" in signal:
                period = months[signal["ghost_at"]]
                session.add(
                    im.Ghost(
                        uid=stable_id("ghost", *key, period.isoformat()),
                        indicator_id=key_of(indicator),
                        unit_id=key_of(root),
                        period=period,
                        reason=signal["note"],
                        recorded_by="demo-seed",
                    )
                )
            at = next(
                signal[k] for k in ("shift_from", "rebase_at", "outlier_at", "ghost_at", "trend_last") if k in signal
            )
            on = months[at] if "trend_last" not in signal else months[len(months) - signal["trend_last"]]
            session.add(
                im.Annotation(
                    uid=stable_id("annotation", *key, on.isoformat()),
                    indicator_id=key_of(indicator),
                    unit_id=key_of(root),
                    on_date=on,
                    text=signal["note"],
                    recorded_by="demo-seed",
                )
            )
    session.flush()


def _plan(
    session: Session,
    data: dict[str, Any],
    indicators: dict[str, im.Indicator],
    units: dict[str, list[OrgUnit]],
    day: date,
) -> None:
    plan = data["plan"]
    actions = {a.code: a for a in session.exec(select(pm.Action))}
    statuses = plan["statuses"]
    n = 0
    for o, org in enumerate(data["structure"]):
        root = units[org][0]
        reviewer = demo_subject(DEMO_RECRUITER) if org == DEMO_ORG else "demo-reviewer"
        reviewer_name = "Demo Recruiter" if org == DEMO_ORG else "Chief Executive (demo)"
        entries = [(code, actions[code].title) for code in plan["actions"]]
        entries += [(None, local["title"]) for local in plan["local"]]
        for a, (code, title) in enumerate(entries):
            n += 1
            owner = (
                plan["owners"][(o + a) % len(plan["owners"])]
                if code
                else plan["local"][a - len(plan["actions"])]["owner"]
            )
            final = statuses[(o * 3 + a) % len(statuses)]
            overdue = n % plan["overdue_every"] == 0 and final != pm.PlanStatus.done
            key = (org, code or f"local-{a}")
            created = day - timedelta(days=200)
            linked = [str(i.uid) for i in indicators.values() if code and code in i.actions]
            item = pm.PlanItem(
                uid=stable_id("plan", *key),
                org=org,
                unit_id=key_of(root),
                action_id=actions[code].id if code else None,
                title=title,
                owner=owner,
                reviewer=reviewer,
                reviewer_name=reviewer_name,
                due=actions[code].due if code else created + timedelta(days=365),
                check_in_cadence_days=CADENCE_DAYS,
                next_check_in_due=created + timedelta(days=CADENCE_DAYS),
                indicators=linked,
                framework_items=list(actions[code].framework_items) if code else [],
                demo=True,
                created_by="demo-seed",
                created_at=datetime.combine(created, time(9), tzinfo=utcnow().tzinfo),
                updated_at=datetime.combine(created, time(9), tzinfo=utcnow().tzinfo),
            )
            session.add(item)
            session.flush()
            session.add(
                pm.Milestone(
                    uid=stable_id("milestone", *key, "1"),
                    plan_item_id=key_of(item),
                    title="Local plan agreed by the board",
                    due=created + timedelta(days=60),
                    done_on=created + timedelta(days=55),
                    sequence=0,
                )
            )
            session.add(
                pm.Milestone(
                    uid=stable_id("milestone", *key, "2"),
                    plan_item_id=key_of(item),
                    title="Progress reviewed with staff side and service users",
                    due=day + timedelta(days=(a % 3) * 30 - 20),
                    sequence=1,
                )
            )
            if final == pm.PlanStatus.not_started:
                if overdue:
                    item.next_check_in_due = day - timedelta(days=15)
                continue
            story = _story(final)
            last = day - timedelta(days=45 if overdue else 12)
            for c, status in enumerate(story):
                at = datetime.combine(
                    last - timedelta(days=30 * (len(story) - 1 - c)), time(10), tzinfo=utcnow().tzinfo
                )
                session.add(
                    pm.CheckIn(
                        uid=stable_id("check-in", *key, str(c)),
                        plan_item_id=key_of(item),
                        status=status,
                        confidence=_confidence(status),
                        what_happened=_happened(status, title),
                        whats_next=None
                        if status == pm.PlanStatus.done
                        else "Review progress with the directorates next month.",
                        evidence=[f"https://intranet.example.hscni.net/{org.lower()}/collective-leadership"],
                        author="demo-seed",
                        author_name=owner,
                        at=at,
                        acknowledged_by=reviewer if c < len(story) - 1 else None,
                        acknowledged_by_name=reviewer_name if c < len(story) - 1 else None,
                        acknowledged_at=at + timedelta(days=3) if c < len(story) - 1 else None,
                        acknowledgement="Noted, thank you." if c < len(story) - 1 else None,
                    )
                )
                item.status, item.confidence, item.last_check_in_at = status, _confidence(status), at
                item.next_check_in_due = at.date() + timedelta(days=CADENCE_DAYS)
                item.updated_at = at
            session.add(item)
    session.flush()


def _story(final: str) -> list[str]:
    if final == pm.PlanStatus.done:
        return [pm.PlanStatus.on_track, pm.PlanStatus.on_track, pm.PlanStatus.done]
    if final == pm.PlanStatus.off_track:
        return [pm.PlanStatus.on_track, pm.PlanStatus.at_risk, pm.PlanStatus.off_track]
    if final == pm.PlanStatus.at_risk:
        return [pm.PlanStatus.on_track, pm.PlanStatus.at_risk]
    return [pm.PlanStatus.on_track, final]


def _confidence(status: str) -> int:
    return {"on_track": 8, "at_risk": 5, "off_track": 3, "done": 10}.get(status, 6)


def _happened(status: str, title: str) -> str:
    return {
        "on_track": f"Work on '{title}' is going to plan; the directorates have named leads.",
        "at_risk": "Two directorates have not yet started; winter pressures took the leads' time.",
        "off_track": "The programme has stalled: its lead left and the budget is not agreed.",
        "done": "Completed and signed off by the board.",
    }[status]
