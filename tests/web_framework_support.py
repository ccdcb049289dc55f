"""The web's tests of framework-api's pages: the small framework they read, loaded into the real
framework-api by its own seed loader, and the transport that reaches a service in process (and
makes it fail on demand)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

FRAMEWORK_TITLE = "HSC Collective Leadership Framework"
FRAMEWORK_OWNER = "BSO"  # the seed loader's owner: drafts are visible to this organisation only
LEVELS = [
    {"code": "essential", "position": 1, "title": "Essential", "description": "Some of the time"},
    {
        "code": "proficient",
        "position": 2,
        "title": "Proficient",
        "description": "Consistently",
        "proficient_threshold": True,
    },
    {"code": "strong", "position": 3, "title": "Strong", "description": "Beyond their role"},
    {"code": "exemplary", "position": 4, "title": "Exemplary", "description": "A role model"},
]


def _descriptors(code: str) -> dict[str, str]:
    return {level["code"]: f"{level['title']} descriptor of {code}" for level in LEVELS}


def framework_yaml(version: str) -> dict[str, Any]:
    """The test framework at `version` (1.0.0 or 1.1.0), in the seed loader's format."""
    later = version != "1.0.0"
    capabilities = [
        {
            "code": "C4.AS.1",
            "type": "capability",
            "statement": "Listens with compassion" if later else "Listens well",
            "description": "Gives colleagues full attention.",
            "audience": "all_staff",
            "source": "Our Approach: Compassionate leadership",
            "descriptors": _descriptors("C4.AS.1"),
        }
    ]
    if later:
        capabilities.append(
            {
                "code": "C4.TL.1",
                "type": "capability",
                "statement": "Creates psychological safety in the team",
                "description": "So people can speak up.",
                "audience": "team_leaders",
                "descriptors": _descriptors("C4.TL.1"),
            }
        )
    return {
        "framework": {
            "title": FRAMEWORK_TITLE,
            "description": "Capabilities, values and behaviours.",
            "publisher": "HSC Leadership Centre",
            "subject": "Collective leadership",
            "language": "en",
            "version": version,
            "change_note": f"Change note of {version}",
        },
        "scale": {"title": "Collective leadership proficiency", "levels": LEVELS},
        "items": [
            {
                "code": "C4",
                "type": "component",
                "statement": "Compassionate leadership",
                "description": "Attending, understanding, empathising and helping.",
                "audience": "all_staff",
                "source": "Our Approach: Compassionate leadership",
                "children": capabilities,
            },
            {
                "code": "V4",
                "type": "value",
                "statement": "Compassion",
                "description": "We are sensitive, caring, respectful and understanding.",
                "audience": "all_staff",
                "source": "HSC values",
                "descriptors": _descriptors("V4"),
            },
        ],
        "associations": [{"from": "C4.AS.1", "to": "V4", "type": "is_related_to"}],
    }


def framework_ids() -> dict[str, uuid.UUID]:
    """The test framework's identifiers, as the seed loader derives them (the draft's is made later)."""
    from framework_api.seed.loader import stable_id

    return {
        "framework": stable_id(FRAMEWORK_TITLE, "framework"),
        "earlier": stable_id(FRAMEWORK_TITLE, "version", "1.0.0"),
        "current": stable_id(FRAMEWORK_TITLE, "version", "1.1.0"),
        **{code: stable_id(FRAMEWORK_TITLE, "item", code) for code in ("C4", "C4.AS.1", "C4.TL.1", "V4")},
    }


class ServiceTransport(httpx.AsyncBaseTransport):
    """The way to a real service in process, recording the requests; `failure` makes every call
    fail as a service that is down would: "connect", "timeout", or an HTTP status (500, 401, 403,
    ...), and `answer` replaces every answer (a service answering nonsense)."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.failure: str | int | None = None
        self.answer: httpx.Response | None = None
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failure == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if self.failure == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if isinstance(self.failure, int):
            problem = {"type": "https://collective.hscni.net/problems/x", "title": "Problem", "status": self.failure}
            return httpx.Response(self.failure, json=problem, headers={"content-type": "application/problem+json"})
        if self.answer is not None:
            return self.answer
        return await self.inner.handle_async_request(request)
