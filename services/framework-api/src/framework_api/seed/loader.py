"""Loads the seeded HSC Collective Leadership Framework 1.0.0 as a published version.

Identifiers are derived from the item codes, so every installation gives the same item the same
identifier and a re-run finds what is there and changes nothing.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from framework_api.frameworks import models as m
from framework_api.frameworks import service
from framework_api.frameworks.content import (
    AssociationContent,
    AssociationType,
    Audience,
    DescriptorContent,
    ItemContent,
    ItemType,
    LevelContent,
    VersionStatus,
    content_hash,
)
from framework_api.frameworks.publishing import publication_problems
from framework_api.scopes import Scope
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of

SEED_FILE = Path(__file__).parent / "hsc_collective_leadership_framework.yaml"
NAMESPACE = uuid.UUID("6f1c3c52-3d0e-4f55-9a6e-7c1d0b8e2f41")
OWNER_ORG = "BSO"  # home of the HSC Leadership Centre
SEEDER = Principal(subject="seed", org=OWNER_ORG, scopes=frozenset({Scope.WRITE}))


def stable_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(parts))


def _walk(
    nodes: list[dict[str, Any]],
    parent: uuid.UUID | None,
    framework_key: str,
    items: list[ItemContent],
    links: list[AssociationContent],
    descriptors: list[DescriptorContent],
) -> None:
    for sequence, node in enumerate(nodes):
        identifier = stable_id(framework_key, "item", node["code"])
        items.append(
            ItemContent(
                identifier=identifier,
                type=ItemType(node["type"]),
                code=node["code"],
                statement=node["statement"].strip(),
                description=(node.get("description") or "").strip() or None,
                audience=Audience(node.get("audience", "all_staff")),
                sequence=sequence,
                source=node.get("source"),
            )
        )
        if parent is not None:
            links.append(
                AssociationContent(
                    stable_id(framework_key, "child", node["code"]),
                    AssociationType.is_child_of,
                    identifier,
                    parent,
                    sequence,
                )
            )
        for level, text in (node.get("descriptors") or {}).items():
            descriptors.append(DescriptorContent(identifier, level, text.strip()))
        _walk(node.get("children") or [], identifier, framework_key, items, links, descriptors)


def seed(session: Session, path: Path = SEED_FILE) -> tuple[m.FrameworkVersion, bool]:
    """Returns the seeded version and whether it was created now."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    meta = data["framework"]
    key = meta["title"]
    framework_uid = stable_id(key, "framework")
    version_uid = stable_id(key, "version", str(meta["version"]))
    existing = session.exec(select(m.FrameworkVersion).where(m.FrameworkVersion.uid == version_uid)).first()
    if existing is not None:
        return existing, False

    items: list[ItemContent] = []
    links: list[AssociationContent] = []
    descriptors: list[DescriptorContent] = []
    _walk(data["items"], None, key, items, links, descriptors)
    codes = {item.code: item.identifier for item in items}
    for link in data.get("associations") or []:
        origin, destination = codes[link["from"]], codes[link["to"]]
        links.append(
            AssociationContent(
                stable_id(key, link["type"], link["from"], link["to"]),
                AssociationType(link["type"]),
                origin,
                destination,
            )
        )
    levels = [
        LevelContent(
            lv["code"],
            lv["position"],
            lv["title"],
            (lv.get("description") or "").strip() or None,
            bool(lv.get("proficient_threshold")),
        )
        for lv in data["scale"]["levels"]
    ]

    framework = session.exec(select(m.Framework).where(m.Framework.uid == framework_uid)).first()
    if framework is None:
        framework = m.Framework(
            uid=framework_uid,
            owner_org=OWNER_ORG,
            title=meta["title"],
            description=meta.get("description"),
            publisher=meta.get("publisher"),
            subject=meta.get("subject"),
            language=meta.get("language", "en"),
        )
        session.add(framework)
        session.flush()
    major, minor, patch = (int(p) for p in str(meta["version"]).split("."))
    version = m.FrameworkVersion(
        uid=version_uid,
        framework_id=key_of(framework),
        version=str(meta["version"]),
        major=major,
        minor=minor,
        patch=patch,
        change_note=meta.get("change_note"),
        created_by=SEEDER.subject,
    )
    session.add(version)
    session.flush()
    service.write_scale(
        session,
        version,
        data["scale"]["title"],
        data["scale"].get("description"),
        levels,
        identifier=stable_id(key, "scale", str(meta["version"])),
    )
    service.replace_content(session, SEEDER, version, framework, items, links, descriptors, action="version.seed")

    content = service.load_content(session, version, framework)
    problems = publication_problems(content, version.change_note)
    if problems:
        raise ValueError("the seed framework is not publishable: " + "; ".join(p.message for p in problems))
    version.content_hash = content_hash(content)
    version.status = VersionStatus.published
    version.published_at = utcnow()
    session.add(version)
    audit.record(
        session,
        SEEDER,
        "version.publish",
        "framework_version",
        version.uid,
        after={"status": "published", "content_hash": version.content_hash},
    )
    session.commit()
    return version, True
