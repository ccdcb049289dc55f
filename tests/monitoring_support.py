"""Builders for monitoring-api tests: tokens for each kind of caller, units, indicators and values."""

from __future__ import annotations

import itertools
import uuid

READ, WRITE, ADMIN, REGIONAL = "monitoring:read", "monitoring:write", "monitoring:admin", "monitoring:regional"
EVERYTHING = (READ, WRITE, ADMIN)
_codes = itertools.count(1)


def headers(keys, *scopes: str, org: str = "BHSCT", subject: str | None = None) -> dict[str, str]:
    return keys.headers(*(scopes or EVERYTHING), org=org, subject=subject or f"tester-{org.lower()}")


def regional(keys, *extra: str, org: str = "DOH") -> dict[str, str]:
    return keys.headers(READ, REGIONAL, *extra, org=org, subject="regional-analyst")


def unique(prefix: str) -> str:
    return f"{prefix}{next(_codes)}-{uuid.uuid4().hex[:4].upper()}"


def organisation(client, keys, org: str) -> dict:
    found = client.get("/organisations", headers=headers(keys, READ, org=org)).json()["items"]
    return next(o for o in found if o["code"] == org)


def create_unit(client, keys, org: str, code: str, parent: str | None = None, kind: str = "team") -> dict:
    body = {"code": code, "name": f"Unit {code}", "kind": kind, **({"parent": parent} if parent else {})}
    response = client.post("/units", json=body, headers=headers(keys, org=org))
    assert response.status_code == 201, response.text
    return response.json()


def tree(client, keys, org: str) -> dict[str, dict]:
    """A directorate with two teams under `org`: codes unique to this call."""
    directorate = unique("DIR")
    d = create_unit(client, keys, org, directorate, kind="directorate")
    a = create_unit(client, keys, org, unique("TA"), parent=directorate)
    b = create_unit(client, keys, org, unique("TB"), parent=directorate)
    return {"directorate": d, "a": a, "b": b}


def indicator_body(code: str, **overrides) -> dict:
    body = {
        "code": code,
        "title": f"Indicator {code}",
        "unit_of_measure": "%",
        "numerator": "Staff who agree",
        "denominator": "Staff who answered",
        "factor": "percent",
        "direction": "increase",
        "frequency": "monthly",
        "components": ["C1"],
        "actions": ["A9"],
    }
    body.update(overrides)
    return body


def create_indicator(client, keys, org: str = "BHSCT", regional_definition: bool = False, **overrides) -> dict:
    code = overrides.pop("code", unique("IND"))
    body = indicator_body(code, regional=regional_definition, **overrides)
    scopes = (*EVERYTHING, REGIONAL) if regional_definition else EVERYTHING
    response = client.post("/indicators", json=body, headers=headers(keys, *scopes, org=org))
    assert response.status_code == 201, response.text
    return response.json()


def months(n: int, start: tuple[int, int] = (2024, 1)) -> list[str]:
    year, month = start
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}-01")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def csv_of(rows: list[tuple]) -> str:
    lines = ["indicator,unit,period,numerator,denominator"]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def ingest_csv(client, keys, org: str, rows: list[tuple], *, key: str | None = None, expected: int = 201):
    extra = {"Content-Type": "text/csv", **({"Idempotency-Key": key} if key else {})}
    response = client.post("/values/import", content=csv_of(rows), headers={**headers(keys, org=org), **extra})
    assert response.status_code == expected, response.text
    return response
