"""FHIR R4 resources as this service writes them (documented shapes; extra elements allowed)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField

MEASURE_EXAMPLE: dict[str, Any] = {
    "resourceType": "Measure",
    "id": "3f0c8a43-9c47-5a0a-8a8c-6b1d9f3e2a10",
    "url": "http://localhost:8003/fhir/Measure/3f0c8a43-9c47-5a0a-8a8c-6b1d9f3e2a10",
    "identifier": [
        {"system": "https://collective.hscni.net/fhir/NamingSystem/indicator-code", "value": "SICKNESS-ABSENCE"}
    ],
    "name": "SICKNESS_ABSENCE",
    "title": "Sickness absence",
    "status": "active",
    "scoring": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-scoring", "code": "proportion"}]},
    "improvementNotation": {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-improvement-notation", "code": "decrease"}]
    },
    "group": [
        {
            "population": [
                {
                    "code": {
                        "coding": [
                            {"system": "http://terminology.hl7.org/CodeSystem/measure-population", "code": "numerator"}
                        ]
                    },
                    "description": "Working days lost to sickness",
                    "criteria": {
                        "description": "Working days lost to sickness",
                        "language": "text/cql",
                        "expression": "Numerator",
                    },
                }
            ]
        }
    ],
}

MEASURE_REPORT_EXAMPLE: dict[str, Any] = {
    "resourceType": "MeasureReport",
    "id": "8a0f1d2c-0b8e-5d35-9b59-3f0a1e2d4c55",
    "status": "complete",
    "type": "summary",
    "measure": "http://localhost:8003/fhir/Measure/3f0c8a43-9c47-5a0a-8a8c-6b1d9f3e2a10",
    "date": "2026-12-01T09:00:00+00:00",
    "reporter": {
        "identifier": {
            "system": "https://collective.hscni.net/fhir/NamingSystem/organisation-unit-path",
            "value": "/BHSCT/ACUTE/WARD7/",
        },
        "display": "Ward 7 (Respiratory)",
    },
    "period": {"start": "2026-10-01", "end": "2026-10-31"},
    "improvementNotation": {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-improvement-notation", "code": "decrease"}]
    },
    "group": [
        {
            "population": [
                {
                    "code": {
                        "coding": [
                            {"system": "http://terminology.hl7.org/CodeSystem/measure-population", "code": "numerator"}
                        ]
                    },
                    "count": 412,
                },
                {
                    "code": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/measure-population",
                                "code": "denominator",
                            }
                        ]
                    },
                    "count": 7300,
                },
            ],
            "measureScore": {"value": 5.64, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
            "extension": [
                {
                    "url": "https://collective.hscni.net/fhir/StructureDefinition/spc-point-type",
                    "valueCode": "common_cause",
                },
                {"url": "https://collective.hscni.net/fhir/StructureDefinition/spc-mean", "valueDecimal": 5.9},
            ],
        }
    ],
}


class FhirResource(BaseModel):
    model_config = ConfigDict(extra="allow")

    resourceType: str
    id: str | None = None


class Measure(FhirResource):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [MEASURE_EXAMPLE]})

    url: str = PydField(description="The canonical URL MeasureReport.measure points to.")
    status: str
    scoring: dict[str, Any]


class MeasureReport(FhirResource):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [MEASURE_REPORT_EXAMPLE]})

    status: str
    type: str
    measure: str
    period: dict[str, Any]
    group: list[dict[str, Any]]


class Bundle(FhirResource):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "total": 1,
                    "entry": [{"fullUrl": MEASURE_EXAMPLE["url"], "resource": MEASURE_EXAMPLE}],
                }
            ]
        },
    )

    type: str
    total: int
    entry: list[dict[str, Any]]
