"""Client of framework-api: frameworks, versions, items, diffs and exports."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from web.clients.base import Download, ServiceClient


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class VersionSummary(_Model):
    id: uuid.UUID
    framework_id: uuid.UUID
    version: str
    status: str
    change_note: str | None = None
    content_hash: str | None = None
    published_at: datetime | None = None
    deprecated_at: datetime | None = None
    supersedes_id: uuid.UUID | None = None
    created_at: datetime | None = None


class Framework(_Model):
    id: uuid.UUID
    title: str
    description: str | None = None
    publisher: str | None = None
    subject: str | None = None
    language: str | None = None
    owner_org: str | None = None
    created_at: datetime | None = None
    latest_published: VersionSummary | None = None
    versions: list[VersionSummary] = []


class FrameworkPage(_Model):
    items: list[Framework]
    next: str | None = None


class FrameworkRef(_Model):
    id: uuid.UUID
    title: str


class Level(_Model):
    code: str
    position: int
    title: str
    description: str | None = None
    proficient_threshold: bool = False


class Scale(_Model):
    id: uuid.UUID | None = None
    title: str
    description: str | None = None
    levels: list[Level] = []


class Version(VersionSummary):
    framework: FrameworkRef
    scale: Scale | None = None
    item_count: int = 0


class ItemNode(_Model):
    identifier: uuid.UUID
    type: str
    code: str
    statement: str
    description: str | None = None
    audience: str | None = None
    sequence: int = 0
    source: str | None = None
    children: list[ItemNode] = []


class VersionTree(_Model):
    version: VersionSummary
    scale: Scale | None = None
    items: list[ItemNode] = []


class ItemRef(_Model):
    identifier: uuid.UUID
    code: str
    type: str
    statement: str


class Item(_Model):
    identifier: uuid.UUID
    version_id: uuid.UUID | None = None
    type: str
    code: str
    statement: str
    description: str | None = None
    audience: str | None = None
    sequence: int = 0
    source: str | None = None
    parent: uuid.UUID | None = None


class ItemPage(_Model):
    items: list[Item]
    next: str | None = None


class Descriptor(_Model):
    level: str
    level_title: str
    position: int
    description: str
    proficient_threshold: bool = False


class Association(_Model):
    id: uuid.UUID | None = None
    type: str
    direction: str
    other: ItemRef


class ItemDetail(Item):
    parent_item: ItemRef | None = None
    children: list[ItemRef] = []
    descriptors: list[Descriptor] = []
    associations: list[Association] = []


class FieldChange(_Model):
    field: str
    before: str | None = None
    after: str | None = None


class Reworded(_Model):
    item: ItemRef
    changes: list[FieldChange] = []


class Moved(_Model):
    item: ItemRef
    from_parent: ItemRef | None = None
    to_parent: ItemRef | None = None
    from_sequence: int | None = None
    to_sequence: int | None = None


class DescriptorChange(_Model):
    item: ItemRef
    level: str
    before: str | None = None
    after: str | None = None


class AssociationChange(_Model):
    type: str
    origin: ItemRef
    destination: ItemRef
    change: str


class VersionDiff(_Model):
    from_version: VersionSummary = Field(alias="from")
    to_version: VersionSummary = Field(alias="to")
    added: list[ItemRef] = []
    removed: list[ItemRef] = []
    reworded: list[Reworded] = []
    moved: list[Moved] = []
    descriptors: list[DescriptorChange] = []
    associations: list[AssociationChange] = []

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.reworded or self.moved or self.descriptors or self.associations)


class FrameworkClient(ServiceClient):
    service = "framework"

    async def list_frameworks(self, *, cursor: str | None = None, limit: int = 50) -> FrameworkPage:
        return await self._get_model(FrameworkPage, "/frameworks", {"cursor": cursor, "limit": limit})

    async def get_framework(self, framework_id: uuid.UUID) -> Framework:
        return await self._get_model(Framework, f"/frameworks/{framework_id}")

    async def get_version(self, version_id: uuid.UUID) -> Version:
        return await self._get_model(Version, f"/versions/{version_id}")

    async def get_tree(self, version_id: uuid.UUID) -> VersionTree:
        return await self._get_model(VersionTree, f"/versions/{version_id}/tree")

    async def search_items(
        self,
        version_id: uuid.UUID,
        *,
        q: str | None = None,
        type: str | None = None,
        audience: str | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> ItemPage:
        params = {"q": q, "type": type, "audience": audience, "limit": limit, "cursor": cursor}
        return await self._get_model(ItemPage, f"/versions/{version_id}/items", params)

    async def get_item(self, version_id: uuid.UUID, identifier: uuid.UUID) -> ItemDetail:
        return await self._get_model(ItemDetail, f"/versions/{version_id}/items/{identifier}")

    async def diff(self, version_id: uuid.UUID, from_version_id: uuid.UUID) -> VersionDiff:
        return await self._get_model(VersionDiff, f"/versions/{version_id}/diff", {"from": str(from_version_id)})

    async def case_package(self, version_id: uuid.UUID) -> Download:
        return await self._download(f"/versions/{version_id}/case", "application/json")

    async def csv_export(self, version_id: uuid.UUID) -> Download:
        return await self._download(f"/versions/{version_id}/csv", "text/csv")
