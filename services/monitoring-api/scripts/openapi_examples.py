"""Record an example of every operation of monitoring-api from the demo data set, for its OpenAPI document.

Seeds the demo data into a temporary SQLite database (dated as of DEMO_DAY), calls every operation once
as the demo organisation (BSO) or a regional analyst, and writes the parameters used and the successful
answer (lists cut to three entries) to src/monitoring_api/openapi_examples.json, which
`monitoring_api.openapi` merges into /openapi.json. Run it again after changing an operation:

    .venv/bin/python services/monitoring-api/scripts/openapi_examples.py

tests/monitoring_api/test_monitoring_openapi.py checks every operation has its examples and that each
answer is valid for the operation's documented response.
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from monitoring_api.config import Settings
from monitoring_api.main import create_app
from monitoring_api.openapi import EXAMPLES_FILE
from monitoring_api.scopes import Scope
from monitoring_api.seed.demo import seed_demo
from monitoring_api.seed.loader import stable_id, unit_id
from monitoring_api.surveys.service import NAMESPACE as SURVEY_NAMESPACE
from servicekit.demo import DEMO_RECRUITER, demo_subject
from servicekit.keys import ensure_keys, issue_token

DEMO_DAY = date(2026, 12, 1)
ORG = "BSO"
SCOPES = (Scope.READ, Scope.WRITE, Scope.ADMIN)
KEEP = 3


def stable_survey_id(name: str) -> uuid.UUID:
    return uuid.uuid5(SURVEY_NAMESPACE, name)


def cut(value: Any) -> Any:
    if isinstance(value, list):
        return [cut(v) for v in value[:KEEP]]
    if isinstance(value, dict):
        return {k: cut(v) for k, v in value.items()}
    return value


def main() -> int:
    recorded: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="monitoring-examples-") as folder:
        work = Path(folder)
        private, public = ensure_keys(work / "keys")
        app = create_app(
            Settings(
                database_url=f"sqlite:///{work / 'examples.db'}",
                jwt_public_key_path=public,
                log_level="ERROR",
                public_base_url="http://localhost:8003",
            )
        )
        with Session(app.state.engine) as session:
            seed_demo(session, today=DEMO_DAY)

        def token(org: str, *scopes: str, subject: str) -> dict[str, str]:
            signed = issue_token(private.read_bytes(), subject=subject, org=org, scopes=scopes, ttl_seconds=600)
            return {"Authorization": f"Bearer {signed}"}

        owner = token(ORG, *SCOPES, subject="example-owner")
        reviewer = token(ORG, *SCOPES, subject=demo_subject(DEMO_RECRUITER))
        analyst = token("DOH", Scope.READ, Scope.REGIONAL, subject="example-analyst")

        with TestClient(app) as client:

            def call(method: str, template: str, status: int, *, params=None, path=None, who=None, **kwargs):
                path = path or {}
                response = client.request(
                    method,
                    template.format(**path),
                    params=params,
                    headers={**(who or owner), **kwargs.pop("headers", {})},
                    **kwargs,
                )
                if response.status_code != status:
                    raise SystemExit(f"{method} {template}: {response.status_code} {response.text[:400]}")
                entry = recorded.setdefault(f"{method} {template}", {"parameters": {}, "responses": {}})
                entry["parameters"].update(
                    {k: str(v) for k, v in {**path, **(params or {})}.items() if not isinstance(v, list)}
                )
                entry["parameters"].update(
                    {k: [str(x) for x in v] for k, v in (params or {}).items() if isinstance(v, list)}
                )
                if response.content and response.headers["content-type"].split(";")[0].endswith("json"):
                    entry["responses"][str(status)] = cut(response.json())
                return response

            ward = str(unit_id("/BSO/HSCLC/PROGRAMMES/"))
            bso = str(unit_id("/BSO/"))
            directorate = str(unit_id("/BSO/HSCLC/"))
            uptake = str(stable_id("indicator", "LEADERSHIP-UPTAKE"))
            absence = str(stable_id("indicator", "SICKNESS-ABSENCE"))
            item = str(stable_id("plan", ORG, "A3"))
            action = str(stable_id("action", "A3"))

            call("GET", "/organisations", 200)
            call("GET", "/units", 200, params={"under": directorate, "limit": 3})
            call("GET", "/units.csv", 200)
            created = call(
                "POST", "/units", 201, json={"code": "OD", "name": "Organisational Development", "kind": "directorate"}
            )
            call(
                "POST",
                "/units/import",
                201,
                content="code,name,kind,parent\nOD-TEAM,OD Team,team,OD\n",
                headers={"Content-Type": "text/csv"},
            )
            etag = call("GET", "/units/{unit_id}", 200, path={"unit_id": ward}).headers["etag"]
            call(
                "PATCH",
                "/units/{unit_id}",
                200,
                path={"unit_id": ward},
                json={"name": "Leadership Programmes"},
                headers={"If-Match": etag},
            )
            del created

            call("GET", "/actions", 200)
            call("GET", "/actions/{action_id}", 200, path={"action_id": action})
            call("GET", "/plan/items", 200, params={"status": "on_track", "limit": 3})
            call(
                "POST",
                "/plan/items",
                201,
                json={"action": "A2", "owner": "Director of Human Resources", "check_in_cadence_days": 30},
            )
            etag = call("GET", "/plan/items/{item_id}", 200, path={"item_id": item}).headers["etag"]
            call(
                "PATCH",
                "/plan/items/{item_id}",
                200,
                path={"item_id": item},
                json={"owner": "Head of OD"},
                headers={"If-Match": etag},
            )
            call("GET", "/plan/items/{item_id}/check-ins", 200, path={"item_id": item})
            entry = call(
                "POST",
                "/plan/items/{item_id}/check-ins",
                201,
                path={"item_id": item},
                json={
                    "status": "on_track",
                    "confidence": 8,
                    "what_happened": "Board approved the plan.",
                    "whats_next": "Roll out.",
                },
            ).json()
            call(
                "POST",
                "/plan/items/{item_id}/check-ins/{check_in_id}/acknowledgement",
                200,
                path={"item_id": item, "check_in_id": entry["id"]},
                json={"comment": "Thanks: agreed."},
                who=reviewer,
            )
            call("GET", "/plan/rollup", 200, who=analyst)

            call("GET", "/indicators", 200, params={"component": "C1", "limit": 3})
            made = call(
                "POST",
                "/indicators",
                201,
                json={
                    "code": "BSO-COACHING-HOURS",
                    "title": "Coaching hours delivered",
                    "unit_of_measure": "hours",
                    "numerator": "Coaching hours delivered in the month",
                    "factor": "value",
                    "direction": "increase",
                    "frequency": "monthly",
                },
            ).json()
            etag = call("GET", "/indicators/{indicator_id}", 200, path={"indicator_id": made["id"]}).headers["etag"]
            etag = call(
                "PATCH",
                "/indicators/{indicator_id}",
                200,
                path={"indicator_id": made["id"]},
                json={"owner": "HSC Leadership Centre"},
                headers={"If-Match": etag},
            ).headers["etag"]
            call(
                "PUT",
                "/indicators/{indicator_id}/targets",
                200,
                path={"indicator_id": made["id"]},
                json={"targets": [{"value": 120, "from_date": "2025-04-01"}]},
                headers={"If-Match": etag},
            )
            call(
                "POST",
                "/values/import",
                201,
                content="indicator,unit,period,numerator,denominator\nBSO-COACHING-HOURS,COACHING,2026-10-01,131,\n",
                headers={"Content-Type": "text/csv"},
            )
            series = {"indicator_id": uptake, "unit_id": bso}
            s = "/indicators/{indicator_id}/units/{unit_id}"
            call("GET", s + "/values", 200, path=series)
            call(
                "GET",
                s + "/values/{period}",
                200,
                path={"indicator_id": uptake, "unit_id": ward, "period": "2026-09-01"},
            )
            call("GET", s + "/chart", 200, path=series)
            call("GET", s + "/chart.csv", 200, path=series)
            for kind, body in (
                ("rebases", {"on": "2025-01-01", "reason": "Programme opened to all staff"}),
                ("ghosts", {"period": "2025-08-01", "reason": "Half the returns were late"}),
                ("annotations", {"on": "2025-01-15", "text": "First cohort of the compassionate leadership programme"}),
            ):
                made_choice = call("POST", s + f"/{kind}", 201, path=series, json=body).json()
                name = {"rebases": "rebase_id", "ghosts": "ghost_id", "annotations": "annotation_id"}[kind]
                call("DELETE", s + f"/{kind}/{{{name}}}", 204, path={**series, name: made_choice["id"]})
            call(
                "POST",
                "/spc",
                200,
                json={
                    "points": [
                        {"date": f"2025-{m:02d}-01", "value": v}
                        for m, v in enumerate(
                            [52.1, 49.8, 51.0, 50.2, 55.3, 48.9, 50.5, 51.7, 49.2, 50.8, 52.4, 51.1], start=1
                        )
                    ],
                    "improvement_direction": "increase",
                    "target": 50,
                },
            )
            call("GET", "/summary", 200, params={"indicator": [uptake, absence], "unit": [bso, directorate]})
            call("GET", "/summary", 200, params={"under": bso, "level": 1, "filter": "improvements", "limit": 3})
            call("GET", "/fhir/Measure", 200)
            call("GET", "/fhir/Measure/{indicator_id}", 200, path={"indicator_id": absence})
            call("GET", "/fhir/MeasureReport", 200, params={"indicator": absence, "unit": bso, "period": "2026-09-01"})
            call("GET", "/indicators.csv", 200)

            # surveys: the seeded culture instrument, the demo's two closed waves, a new wave of its own
            instrument = str(stable_survey_id("instrument:HSC-CULTURE:1"))
            autumn_2026 = str(stable_survey_id(f"demo-wave:{ORG}:2"))
            tool = token(ORG, Scope.SURVEY_INGEST, subject="example-survey-tool")
            call("GET", "/survey-instruments", 200)
            call("GET", "/survey-instruments/{instrument_id}", 200, path={"instrument_id": instrument})
            call(
                "POST",
                "/survey-instruments/import",
                201,
                params={"code": "BSO-PULSE", "title": "BSO pulse survey"},
                content="code,text,theme\npulse.valued,I feel valued for the work I do.,people_management\n",
                headers={"Content-Type": "text/csv"},
            )
            call("GET", "/survey-waves", 200)
            wave = call(
                "POST",
                "/survey-waves",
                201,
                json={
                    "instrument": instrument,
                    "title": "Pulse survey spring 2027",
                    "opens": "2027-03-01",
                    "closes": "2027-03-21",
                },
            ).json()["id"]
            call("GET", "/survey-waves/{wave_id}", 200, path={"wave_id": autumn_2026})
            call(
                "POST",
                "/survey-waves/{wave_id}/responses",
                201,
                path={"wave_id": wave},
                who=tool,
                content="unit,staff_group,band,engagement.look_forward,engagement.recommend_work\n"
                "PROGRAMMES,admin_clerical,band_5_7,often,agree\nCOACHING,,band_8_9,4,strongly_agree\n",
                headers={"Content-Type": "text/csv"},
            )
            call("POST", "/survey-waves/{wave_id}/close", 200, path={"wave_id": wave})
            call(
                "GET",
                "/survey-waves/{wave_id}/results",
                200,
                path={"wave_id": autumn_2026},
                params={"unit": directorate, "breakdown": "band"},
            )
            call(
                "GET",
                "/survey-waves/{wave_id}/results.csv",
                200,
                path={"wave_id": autumn_2026},
                params={"unit": bso, "breakdown": "staff_group"},
            )
            call("POST", "/survey-waves/{wave_id}/indicators", 201, path={"wave_id": autumn_2026}, params={"level": 1})

            # overview: the manager's home in one read
            call("GET", "/overview", 200)
        app.state.engine.dispose()
    EXAMPLES_FILE.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(recorded)} operations recorded in {EXAMPLES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
