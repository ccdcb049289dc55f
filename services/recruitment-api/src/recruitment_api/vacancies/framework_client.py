"""Reads a published framework version from framework-api, once, to snapshot a vacancy's criteria."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from servicekit.errors import ProblemError, unprocessable
from servicekit.service_tokens import ServiceTokenProvider


@dataclass(frozen=True)
class FrameworkSnapshot:
    version_id: uuid.UUID
    title: str
    version: str
    content_hash: str | None
    criteria: list[dict[str, Any]]  # the chosen values/behaviours, with "parent_code"
    descriptors: dict[str, list[dict[str, Any]]]  # value code -> its level descriptors (the anchors)
    children: dict[str, list[str]]  # value code -> its behaviours' statements (positive indicators)


class FrameworkClient:
    def __init__(
        self,
        base_url: str,
        tokens: ServiceTokenProvider,
        timeout: float = 10,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.timeout = timeout
        self.transport = transport

    def snapshot(self, version_id: uuid.UUID, org: str, wanted_codes: list[str] | None) -> FrameworkSnapshot:
        try:
            headers = {"Authorization": f"Bearer {self.tokens.token(org)}"}
        except (OSError, ValueError, httpx.HTTPError) as exc:  # no signing key, or the token service failed
            raise ProblemError(
                503,
                "framework-unavailable",
                "recruitment-api cannot obtain its token for framework-api; tell the administrator.",
                title="Service unavailable",
            ) from exc
        try:
            with httpx.Client(
                base_url=self.base_url, timeout=self.timeout, headers=headers, transport=self.transport
            ) as client:
                tree = self._get(client, f"/versions/{version_id}/tree")
                if tree["version"]["status"] != "published":
                    raise _bad_version(f"The framework version must be published, not {tree['version']['status']}.")
                items = list(_flatten(tree["items"], None))
                by_code = {item["code"]: item for item in items}
                codes = wanted_codes or [i["code"] for i in items if i["type"] == "value"]
                unknown = [c for c in codes if c not in by_code or by_code[c]["type"] not in ("value", "behaviour")]
                if unknown:
                    raise unprocessable(
                        "These codes are not values or behaviours of the framework version: " + ", ".join(unknown),
                        [{"field": "body.values", "message": f"unknown code {c}"} for c in unknown],
                        slug="unknown-criteria",
                    )
                # Anchors come from the values' level descriptors (behaviours use their value's).
                needed = {c if by_code[c]["type"] == "value" else by_code[c]["parent_code"] for c in codes} - {None}
                descriptors = {
                    code: self._get(client, f"/versions/{version_id}/items/{by_code[code]['identifier']}")[
                        "descriptors"
                    ]
                    for code in sorted(needed)
                }
                children = {
                    code: [i["statement"] for i in items if i["parent_code"] == code and i["type"] == "behaviour"]
                    for code in needed
                }
                return FrameworkSnapshot(
                    version_id,
                    tree["framework"]["title"],
                    tree["version"]["version"],
                    tree["version"]["content_hash"],
                    [by_code[c] for c in codes],
                    descriptors,
                    children,
                )
        except httpx.HTTPError as exc:
            raise ProblemError(
                503,
                "framework-unavailable",
                "framework-api could not be reached to read the framework version; try again shortly.",
                title="Service unavailable",
            ) from exc

    @staticmethod
    def _get(client: httpx.Client, path: str) -> dict[str, Any]:
        response = client.get(path)
        if response.status_code == 404:
            raise _bad_version("No published framework version with that id.")
        if response.status_code >= 400:
            raise httpx.HTTPStatusError(
                f"framework-api answered {response.status_code}", request=response.request, response=response
            )
        return response.json()


def _bad_version(detail: str) -> ProblemError:
    return unprocessable(
        detail, [{"field": "body.framework_version_id", "message": detail}], slug="unknown-framework-version"
    )


def _flatten(nodes: list[dict[str, Any]], parent: dict[str, Any] | None):
    for node in nodes:
        yield {**{k: v for k, v in node.items() if k != "children"}, "parent_code": parent["code"] if parent else None}
        yield from _flatten(node.get("children", []), node)
