"""Reads a published framework version from framework-api, once, to snapshot a vacancy's criteria:
with framework-api's generated client (collective_clients.framework), sent synchronously with
recruitment-api's own service token."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import httpx
from pydantic import ValidationError

from collective_clients.framework import models as fw
from collective_clients.framework import operations as api
from collective_clients.runtime import Call
from servicekit.errors import ProblemError, unprocessable
from servicekit.service_tokens import ServiceTokenProvider

T = TypeVar("T")
CRITERIA_TYPES = (fw.ItemType.value, fw.ItemType.behaviour)


@dataclass(frozen=True)
class SnapshotItem:
    """A value or behaviour of the version, with the code of its parent (a behaviour's value)."""

    identifier: uuid.UUID
    type: fw.ItemType
    code: str
    statement: str
    description: str | None
    parent_code: str | None


@dataclass(frozen=True)
class FrameworkSnapshot:
    version_id: uuid.UUID
    title: str
    version: str
    content_hash: str | None
    criteria: list[SnapshotItem]  # the chosen values/behaviours
    descriptors: dict[str, list[fw.DescriptorPublic]]  # value code -> its level descriptors (the anchors)
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
            with httpx.Client(timeout=self.timeout, headers=headers, transport=self.transport) as client:
                tree = self._send(client, api.read_tree(version_id))
                if tree.version.status != fw.VersionStatus.published:
                    raise _bad_version(f"The framework version must be published, not {tree.version.status}.")
                items = list(_flatten(tree.items, None))
                by_code = {item.code: item for item in items}
                codes = wanted_codes or [i.code for i in items if i.type == fw.ItemType.value]
                unknown = [c for c in codes if c not in by_code or by_code[c].type not in CRITERIA_TYPES]
                if unknown:
                    raise unprocessable(
                        "These codes are not values or behaviours of the framework version: " + ", ".join(unknown),
                        [{"field": "body.values", "message": f"unknown code {c}"} for c in unknown],
                        slug="unknown-criteria",
                    )
                # Anchors come from the values' level descriptors (behaviours use their value's).
                needed = {c if by_code[c].type == fw.ItemType.value else by_code[c].parent_code for c in codes}
                values = sorted(code for code in needed if code is not None)
                descriptors = {
                    code: self._send(client, api.read_item(version_id, by_code[code].identifier)).descriptors
                    for code in values
                }
                children = {
                    code: [i.statement for i in items if i.parent_code == code and i.type == fw.ItemType.behaviour]
                    for code in values
                }
                return FrameworkSnapshot(
                    version_id,
                    tree.framework.title,
                    tree.version.version,
                    tree.version.content_hash,
                    [by_code[c] for c in codes],
                    descriptors,
                    children,
                )
        except (httpx.HTTPError, ValidationError, ValueError) as exc:
            raise ProblemError(
                503,
                "framework-unavailable",
                "framework-api could not be reached to read the framework version; try again shortly.",
                title="Service unavailable",
            ) from exc

    def _send(self, client: httpx.Client, call: Call[T]) -> T:
        response = client.send(call.build(client, base_url=self.base_url))
        if response.status_code == 404:
            raise _bad_version("No published framework version with that id.")
        if response.status_code >= 400:
            raise httpx.HTTPStatusError(
                f"framework-api answered {response.status_code}", request=response.request, response=response
            )
        return call.read(response)


def _bad_version(detail: str) -> ProblemError:
    return unprocessable(
        detail, [{"field": "body.framework_version_id", "message": detail}], slug="unknown-framework-version"
    )


def _flatten(nodes: list[fw.ItemNode], parent: fw.ItemNode | None) -> Iterator[SnapshotItem]:
    for node in nodes:
        yield SnapshotItem(
            node.identifier, node.type, node.code, node.statement, node.description, parent.code if parent else None
        )
        yield from _flatten(node.children, node)
