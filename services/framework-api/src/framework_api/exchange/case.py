"""A framework version as a 1EdTech CASE 1.1 CFPackage (plain JSON; CASE 1.1 has no JSON-LD).

The package holds the CFDocument (the version), a CFItem per item, the CFAssociations (with an
isChildOf from each top-level item to the document, as CASE expects), CFDefinitions with the
item types used, and one CFRubric for the scale, whose criterion levels are the descriptors.
The same content always gives the same package: lists are in tree or code order and every
derived identifier is a uuid5.

The output follows the CASE 1.1 getCFPackage JSON binding, which forbids properties it does not
list and types every optional property as string or number: so an absent value is left out
(never null), and the package forms of CFDocument, CFItem and CFAssociation carry no
CFPackageURI or CFDocumentURI (the package itself is the document's context).

Every `uri` resolves: each version is a CASE service root at `<base>/versions/<id>/case`, with the
REST binding's paths under it (CFDocuments/<id>, CFItems/<id>, ...; `case_object` answers them).
The root is per version because an item keeps its identifier from version to version, so a bare
`CFItems/<id>` would not say which version's wording is meant.
"""

from __future__ import annotations

import uuid
from typing import Any

from framework_api.exchange.csv_format import tree_order
from framework_api.frameworks.content import (
    ASSESSABLE_TYPES,
    AssociationType,
    ItemContent,
    ItemType,
    VersionContent,
    VersionStatus,
)
from framework_api.frameworks.publishing import type_label

# Identifiers CASE needs that the framework does not store (item types, rubric criteria and
# levels, the links from top-level items to the document) derive from this namespace.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:collective:framework-api:case")

ADOPTION_STATUS = {
    VersionStatus.draft: "Draft",
    VersionStatus.published: "Adopted",
    VersionStatus.deprecated: "Deprecated",
}

ASSOCIATION_TYPES = {
    AssociationType.is_child_of: "isChildOf",
    AssociationType.exact_match_of: "exactMatchOf",
    AssociationType.is_related_to: "isRelatedTo",
    AssociationType.replaced_by: "replacedBy",
}

ITEM_TYPE_DESCRIPTIONS = {
    ItemType.component: "One of the four components of collective leadership.",
    ItemType.value: "One of the HSC values, rated against the scale.",
    ItemType.behaviour: "A behaviour that shows a value in everyday work.",
    ItemType.capability: "A collective leadership capability, rated against the scale.",
    ItemType.indicator: "An observable indicator of a capability.",
    ItemType.cultural_characteristic: "A characteristic of a collective leadership culture.",
    ItemType.compassionate_behaviour: "A compassionate leadership behaviour.",
    ItemType.community_characteristic: "A characteristic of the leadership community.",
    ItemType.system_commitment: "A commitment of interdependent system leadership.",
    ItemType.team_criterion: "A criterion of effective team working.",
}

_TYPE_ORDER = {item_type: rank for rank, item_type in enumerate(ItemType)}

# Part of the package's ETag: bump it when the package's shape or URIs change, so a client that
# cached a published package for good (it is "immutable") fetches the new form.
FORMAT_REVISION = 2

# The kinds of object a package's URIs name: the collection names of the CASE 1.1 REST binding
# and the class of each.
# The binding has no getter for rubric criteria and their levels; these two paths are the ones
# OpenSALT, the reference implementation, serves.
KINDS = {
    "CFPackages": "CFPackage",
    "CFDocuments": "CFDocument",
    "CFItems": "CFItem",
    "CFAssociations": "CFAssociation",
    "CFItemTypes": "CFItemType",
    "CFRubrics": "CFRubric",
    "CFRubricCriteria": "CFRubricCriterion",
    "CFRubricCriterionLevels": "CFRubricCriterionLevel",
}


def case_root(base_url: str, version: uuid.UUID | str) -> str:
    return f"{base_url.rstrip('/')}/versions/{version}/case"


def item_type_identifier(item_type: ItemType | str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"item-type:{item_type}")


def criterion_identifier(scale: uuid.UUID, item: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"criterion:{scale}:{item}")


def criterion_level_identifier(item: uuid.UUID, level: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{item}:{level}")


def document_association_identifier(item: uuid.UUID, document: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{item}:{document}")


def _present(entry: dict[str, Any]) -> dict[str, Any]:
    """`entry` without the keys whose value is None (CASE has no nulls)."""
    return {key: value for key, value in entry.items() if value is not None}


def to_cf_package(content: VersionContent, base_url: str, last_change: str) -> dict[str, Any]:
    """The CFPackage for `content`; `base_url` has no trailing slash, `last_change` is ISO 8601."""
    version_id = str(content.version_identifier)
    root = case_root(base_url, version_id)
    document_uri = f"{root}/CFDocuments/{version_id}"
    items = content.item_by_id()
    ordered = tree_order(content)

    def item_uri(identifier: uuid.UUID) -> str:
        return f"{root}/CFItems/{identifier}"

    def item_link(item: ItemContent) -> dict[str, str]:
        return {
            "title": item.statement,
            "identifier": str(item.identifier),
            "uri": item_uri(item.identifier),
        }

    document_link = {"title": content.title, "identifier": version_id, "uri": document_uri}

    def type_link(item_type: ItemType) -> dict[str, str]:
        return {
            "title": type_label(item_type),
            "identifier": str(item_type_identifier(item_type)),
            "uri": f"{root}/CFItemTypes/{item_type_identifier(item_type)}",
        }

    document: dict[str, Any] = {
        "identifier": version_id,
        "uri": document_uri,
        "caseVersion": "1.1",
        "creator": content.publisher or "HSC",
        "title": content.title,
        "lastChangeDateTime": last_change,
        "description": content.description,
        "subject": [content.subject] if content.subject else [],
        "language": content.language,
        "version": content.version,
        "adoptionStatus": ADOPTION_STATUS[content.status],
        "publisher": content.publisher,
        "statusStartDate": content.published_at[:10] if content.published_at else None,
        "notes": content.change_note,
    }

    cf_items = [
        _present(
            {
                "identifier": str(item.identifier),
                "uri": item_uri(item.identifier),
                "fullStatement": item.statement,
                "humanCodingScheme": item.code,
                "CFItemType": type_label(item.type),
                "CFItemTypeURI": type_link(item.type),
                "notes": item.description,
                "language": content.language,
                "lastChangeDateTime": last_change,
                "listEnumeration": str(item.sequence),
                "extensions": {"audience": item.audience.value, "sourceReference": item.source},
            }
        )
        for item in ordered
    ]

    # Associations: each top-level item is a child of the document, then the stored ones.
    # An association with an end missing from the version (a broken draft) is left out.
    position = {item.identifier: rank for rank, item in enumerate(ordered)}
    parents = content.parents()
    associations: list[dict[str, Any]] = []
    for item in ordered:
        link = parents.get(item.identifier)
        if link is not None and link.destination in items:
            continue
        identifier = document_association_identifier(item.identifier, content.version_identifier)
        associations.append(
            {
                "identifier": str(identifier),
                "associationType": ASSOCIATION_TYPES[AssociationType.is_child_of],
                "sequenceNumber": item.sequence,
                "uri": f"{root}/CFAssociations/{identifier}",
                "originNodeURI": item_link(item),
                "destinationNodeURI": document_link,
                "lastChangeDateTime": last_change,
            }
        )
    stored = [assoc for assoc in content.associations if assoc.origin in items and assoc.destination in items]
    stored.sort(
        key=lambda a: (
            a.type != AssociationType.is_child_of,
            position[a.origin],
            list(AssociationType).index(a.type),
            position[a.destination],
            str(a.identifier),
        )
    )
    for assoc in stored:
        origin = items[assoc.origin]
        entry: dict[str, Any] = {
            "identifier": str(assoc.identifier),
            "associationType": ASSOCIATION_TYPES[assoc.type],
        }
        if assoc.type == AssociationType.is_child_of:
            # The child's own sequence is the truth; the link's copy may lag behind.
            entry["sequenceNumber"] = origin.sequence
        entry |= {
            "uri": f"{root}/CFAssociations/{assoc.identifier}",
            "originNodeURI": item_link(origin),
            "destinationNodeURI": item_link(items[assoc.destination]),
            "lastChangeDateTime": last_change,
        }
        associations.append(entry)

    used_types = sorted({item.type for item in content.items}, key=_TYPE_ORDER.__getitem__)
    item_types = [
        {
            "identifier": str(item_type_identifier(item_type)),
            "uri": type_link(item_type)["uri"],
            "title": type_label(item_type),
            "description": ITEM_TYPE_DESCRIPTIONS.get(item_type, type_label(item_type)),
            "hierarchyCode": item_type.value,
            "typeCode": item_type.value,
            "lastChangeDateTime": last_change,
        }
        for item_type in used_types
    ]

    rubrics: list[dict[str, Any]] = []
    scale = content.scale
    if scale is not None:
        rubric_uri = f"{root}/CFRubrics/{scale.identifier}"
        levels = sorted(scale.levels, key=lambda level: (level.position, level.code))
        text = {(d.item, d.level): d.description for d in content.descriptors}
        criteria = []
        for rank, item in enumerate((item for item in ordered if item.type in ASSESSABLE_TYPES), start=1):
            criterion_id = criterion_identifier(scale.identifier, item.identifier)
            criterion_uri = f"{root}/CFRubricCriteria/{criterion_id}"
            criteria.append(
                _present(
                    {
                        "identifier": str(criterion_id),
                        "uri": criterion_uri,
                        "category": type_label(item.type),
                        "description": item.statement,
                        "CFItemURI": item_link(item),
                        "position": rank,
                        "rubricId": str(scale.identifier),
                        "lastChangeDateTime": last_change,
                        "CFRubricCriterionLevels": [
                            _present(
                                {
                                    "identifier": str(level_id),
                                    "uri": f"{root}/CFRubricCriterionLevels/{level_id}",
                                    "description": text.get((item.identifier, level.code)),
                                    "quality": level.title,
                                    "score": level.position,
                                    "position": level.position,
                                    "rubricCriterionId": str(criterion_id),
                                    "lastChangeDateTime": last_change,
                                }
                            )
                            for level in levels
                            for level_id in (criterion_level_identifier(item.identifier, level.code),)
                        ],
                    }
                )
            )
        rubrics.append(
            _present(
                {
                    "identifier": str(scale.identifier),
                    "uri": rubric_uri,
                    "title": scale.title,
                    "description": scale.description,
                    "lastChangeDateTime": last_change,
                    "CFRubricCriteria": criteria,
                }
            )
        )

    return {
        "CFDocument": _present(document),
        "CFItems": cf_items,
        "CFAssociations": associations,
        "CFDefinitions": {"CFItemTypes": item_types, "CFAssociationGroupings": []},
        "CFRubrics": rubrics,
    }


def case_object(package: dict[str, Any], kind: str, identifier: str, base_url: str) -> dict[str, Any] | None:
    """The answer of GET <root>/<kind>/<identifier> in the CASE 1.1 REST binding, taken from the
    version's `package`; None when the package has no such object of that kind.

    The stand-alone CFDocument, CFItem and CFAssociation add the link to their context that the
    package forms leave out; a CFItemType comes as a CFItemTypeSet (the type, then the types
    below it by hierarchyCode), as getCFItemType answers.
    """
    document = package["CFDocument"]
    document_link = {"title": document["title"], "identifier": document["identifier"], "uri": document["uri"]}
    if kind in ("CFPackages", "CFDocuments"):
        if identifier != document["identifier"]:
            return None
        if kind == "CFPackages":
            return package
        package_uri = f"{case_root(base_url, identifier)}/CFPackages/{identifier}"
        return document | {"CFPackageURI": document_link | {"uri": package_uri}}
    if kind in ("CFItems", "CFAssociations"):
        found = _by_identifier(package[kind], identifier)
        return None if found is None else found | {"CFDocumentURI": document_link}
    if kind == "CFItemTypes":
        types = package["CFDefinitions"]["CFItemTypes"]
        found = _by_identifier(types, identifier)
        if found is None:
            return None
        below = [t for t in types if t["hierarchyCode"].startswith(found["hierarchyCode"] + ".")]
        return {"CFItemTypes": [found, *below]}
    rubrics = package["CFRubrics"]
    if kind == "CFRubrics":
        return _by_identifier(rubrics, identifier)
    criteria = [criterion for rubric in rubrics for criterion in rubric.get("CFRubricCriteria", [])]
    if kind == "CFRubricCriteria":
        return _by_identifier(criteria, identifier)
    if kind == "CFRubricCriterionLevels":
        levels = [level for criterion in criteria for level in criterion.get("CFRubricCriterionLevels", [])]
        return _by_identifier(levels, identifier)
    return None


def _by_identifier(entries: list[dict[str, Any]], identifier: str) -> dict[str, Any] | None:
    return next((entry for entry in entries if entry["identifier"] == identifier), None)
