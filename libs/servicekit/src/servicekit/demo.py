"""Identities of the demo accounts `make run` creates, shared by the web and the services' demo
seeds so that a demo panel can name its assessors without either side reading the other's data."""

from __future__ import annotations

import uuid

DEMO_NAMESPACE = uuid.UUID("0c9f3a2e-5b7d-4e21-9a55-3d1c2b4f6e80")
DEMO_ORG = "BSO"
DEMO_RECRUITER = "recruiter"
DEMO_ASSESSOR = "assessor"


def demo_subject(username: str) -> str:
    """The token subject (user id) of the demo account with this username."""
    return str(uuid.uuid5(DEMO_NAMESPACE, username))
