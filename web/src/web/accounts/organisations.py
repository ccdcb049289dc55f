"""The HSC organisations of Northern Ireland a user can belong to (the `org` claim of tokens)."""

from __future__ import annotations

ORGANISATIONS: dict[str, str] = {
    "DOH": "Department of Health",
    "SPPG": "Strategic Planning and Performance Group",
    "PHA": "Public Health Agency",
    "BSO": "Business Services Organisation",
    "BHSCT": "Belfast Health and Social Care Trust",
    "NHSCT": "Northern Health and Social Care Trust",
    "SEHSCT": "South Eastern Health and Social Care Trust",
    "SHSCT": "Southern Health and Social Care Trust",
    "WHSCT": "Western Health and Social Care Trust",
    "NIAS": "Northern Ireland Ambulance Service",
    "NIMDTA": "Northern Ireland Medical and Dental Training Agency",
    "RQIA": "Regulation and Quality Improvement Authority",
    "NIPEC": "Northern Ireland Practice and Education Council for Nursing and Midwifery",
    "NISCC": "Northern Ireland Social Care Council",
    "NIBTS": "Northern Ireland Blood Transfusion Service",
    "PCC": "Patient and Client Council",
}


def is_organisation(code: str) -> bool:
    return code in ORGANISATIONS


def organisation_name(code: str) -> str:
    return ORGANISATIONS.get(code, code)
