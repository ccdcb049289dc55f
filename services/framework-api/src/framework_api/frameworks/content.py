"""The content of one framework version as plain, immutable data.

The pure computations (publication checks, diff, CASE export, CSV) work on this, never on the
database, so they can be tested exhaustively. `service.load_content` builds it from the tables.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class ItemType(StrEnum):
    component = "component"
    value = "value"
    behaviour = "behaviour"
    capability = "capability"
    indicator = "indicator"
    cultural_characteristic = "cultural_characteristic"
    compassionate_behaviour = "compassionate_behaviour"
    community_characteristic = "community_characteristic"
    system_commitment = "system_commitment"
    team_criterion = "team_criterion"


class Audience(StrEnum):
    all_staff = "all_staff"
    team_leaders = "team_leaders"
    senior_system_leaders = "senior_system_leaders"


class AssociationType(StrEnum):
    is_child_of = "is_child_of"
    exact_match_of = "exact_match_of"
    is_related_to = "is_related_to"
    replaced_by = "replaced_by"


class VersionStatus(StrEnum):
    draft = "draft"
    published = "published"
    deprecated = "deprecated"


# Items rated against the scale: each needs a descriptor at every level before publication.
ASSESSABLE_TYPES = frozenset({ItemType.value, ItemType.capability})
# Items that stand at the top of the tree; every other item must be the child of one.
ROOT_TYPES = frozenset({ItemType.component, ItemType.value, ItemType.cultural_characteristic})


@dataclass(frozen=True)
class ItemContent:
    identifier: uuid.UUID
    type: ItemType
    code: str
    statement: str
    description: str | None = None
    audience: Audience = Audience.all_staff
    sequence: int = 0
    source: str | None = None


@dataclass(frozen=True)
class AssociationContent:
    """origin -> destination; for is_child_of the origin is the child, the destination the parent."""

    identifier: uuid.UUID
    type: AssociationType
    origin: uuid.UUID
    destination: uuid.UUID
    sequence: int | None = None


@dataclass(frozen=True)
class LevelContent:
    code: str
    position: int
    title: str
    description: str | None = None
    proficient_threshold: bool = False


@dataclass(frozen=True)
class ScaleContent:
    identifier: uuid.UUID
    title: str
    description: str | None = None
    levels: tuple[LevelContent, ...] = ()


@dataclass(frozen=True)
class DescriptorContent:
    item: uuid.UUID
    level: str
    description: str


@dataclass(frozen=True)
class VersionContent:
    framework_identifier: uuid.UUID
    title: str
    version: str
    status: VersionStatus = VersionStatus.draft
    description: str | None = None
    publisher: str | None = None
    subject: str | None = None
    language: str = "en"
    version_identifier: uuid.UUID = field(default_factory=uuid.uuid4)
    change_note: str | None = None
    published_at: str | None = None
    supersedes: uuid.UUID | None = None
    items: tuple[ItemContent, ...] = ()
    associations: tuple[AssociationContent, ...] = ()
    scale: ScaleContent | None = None
    descriptors: tuple[DescriptorContent, ...] = ()

    def item_by_id(self) -> dict[uuid.UUID, ItemContent]:
        return {item.identifier: item for item in self.items}

    def parents(self) -> dict[uuid.UUID, AssociationContent]:
        """child identifier -> its is_child_of association (the first, if several)."""
        found: dict[uuid.UUID, AssociationContent] = {}
        for assoc in self.associations:
            if assoc.type == AssociationType.is_child_of:
                found.setdefault(assoc.origin, assoc)
        return found


def content_hash(content: VersionContent) -> str:
    """sha256 over what the version says (items, links, scale, descriptors), not its status."""

    def key(value):
        return json.dumps(value, sort_keys=True, default=str)

    body = {
        "items": sorted((asdict(i) for i in content.items), key=key),
        "associations": sorted((asdict(a) for a in content.associations), key=key),
        "scale": asdict(content.scale) if content.scale else None,
        "descriptors": sorted((asdict(d) for d in content.descriptors), key=key),
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(raw).hexdigest()
