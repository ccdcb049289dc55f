"""CASE 1.1 CFPackage export."""

from __future__ import annotations

import json
import re
import uuid

from framework_content_strategies import replace, version_contents
from hypothesis import given

from framework_api.exchange.case import to_cf_package
from framework_api.frameworks.content import (
    ASSESSABLE_TYPES,
    AssociationContent,
    AssociationType,
    DescriptorContent,
    ItemContent,
    ItemType,
    LevelContent,
    ScaleContent,
    VersionContent,
    VersionStatus,
)


def U(number: int) -> uuid.UUID:
    """A fixed, valid version-4 UUID for the examples."""
    return uuid.UUID(f"00000000-0000-4000-8000-{number:012x}")


BASE = "https://framework.example.org/v1"
WHEN = "2024-03-01T12:00:00+00:00"


def is_uuid(value) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except (TypeError, ValueError, AttributeError):
        return False


# The CASE 1.1 getCFPackage JSON binding, reduced to what a test can check without a schema
# library: each class's allowed and required properties (every class forbids any other), the
# identifier pattern, and no nulls (every optional property is typed string, number or list).
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
LINK = ({"title", "identifier", "uri"}, {"title", "identifier", "uri"})
LINK_GEN = ({"title", "identifier", "uri", "targetType"}, {"title", "identifier", "uri"})
CLASSES = {
    "package": (
        {"CFDocument", "CFItems", "CFAssociations", "CFDefinitions", "CFRubrics", "extensions"},
        {"CFDocument"},
    ),
    "document": (
        {
            "identifier",
            "uri",
            "frameworkType",
            "caseVersion",
            "creator",
            "title",
            "lastChangeDateTime",
            "officialSourceURL",
            "publisher",
            "description",
            "subject",
            "subjectURI",
            "language",
            "version",
            "adoptionStatus",
            "statusStartDate",
            "statusEndDate",
            "licenseURI",
            "notes",
            "extensions",
        },
        {"identifier", "uri", "creator", "title", "lastChangeDateTime"},
    ),
    "item": (
        {
            "identifier",
            "fullStatement",
            "alternativeLabel",
            "CFItemType",
            "uri",
            "humanCodingScheme",
            "listEnumeration",
            "abbreviatedStatement",
            "conceptKeywords",
            "conceptKeywordsURI",
            "notes",
            "subject",
            "subjectURI",
            "language",
            "educationLevel",
            "CFItemTypeURI",
            "licenseURI",
            "statusStartDate",
            "statusEndDate",
            "lastChangeDateTime",
            "extensions",
        },
        {"identifier", "fullStatement", "uri", "lastChangeDateTime"},
    ),
    "association": (
        {
            "identifier",
            "associationType",
            "sequenceNumber",
            "uri",
            "originNodeURI",
            "destinationNodeURI",
            "CFAssociationGroupingURI",
            "lastChangeDateTime",
            "notes",
            "extensions",
        },
        {
            "identifier",
            "associationType",
            "uri",
            "originNodeURI",
            "destinationNodeURI",
            "lastChangeDateTime",
        },
    ),
    "definitions": (
        {
            "CFConcepts",
            "CFSubjects",
            "CFLicenses",
            "CFItemTypes",
            "CFAssociationGroupings",
            "extensions",
        },
        set(),
    ),
    "item_type": (
        {
            "identifier",
            "uri",
            "title",
            "description",
            "hierarchyCode",
            "typeCode",
            "lastChangeDateTime",
            "extensions",
        },
        {"identifier", "uri", "title", "description", "hierarchyCode", "lastChangeDateTime"},
    ),
    "rubric": (
        {
            "identifier",
            "uri",
            "title",
            "description",
            "lastChangeDateTime",
            "CFRubricCriteria",
            "extensions",
        },
        {"identifier", "uri", "lastChangeDateTime"},
    ),
    "criterion": (
        {
            "identifier",
            "uri",
            "category",
            "description",
            "CFItemURI",
            "weight",
            "position",
            "rubricId",
            "lastChangeDateTime",
            "CFRubricCriterionLevels",
            "extensions",
        },
        {"identifier", "uri", "lastChangeDateTime"},
    ),
    "level": (
        {
            "identifier",
            "uri",
            "description",
            "quality",
            "score",
            "feedback",
            "position",
            "rubricCriterionId",
            "lastChangeDateTime",
            "extensions",
        },
        {"identifier", "uri", "lastChangeDateTime"},
    ),
    "link": LINK,
    "link_gen": LINK_GEN,
}
CASE_ASSOCIATION_TYPES = {
    "isChildOf",
    "isPeerOf",
    "isPartOf",
    "exactMatchOf",
    "precedes",
    "isRelatedTo",
    "replacedBy",
    "exemplar",
    "hasSkillLevel",
    "isTranslationOf",
}
UUID_KEYS = ("identifier", "rubricId", "rubricCriterionId")


def check_class(entry: dict, name: str, problems: list[str], where: str) -> None:
    allowed, required = CLASSES[name]
    problems.extend(f"{where}.{key} is not a property of this class" for key in set(entry) - allowed)
    problems.extend(f"{where}.{key} is required" for key in required - set(entry))
    problems.extend(f"{where}.{key} is null" for key, value in entry.items() if value is None)
    if name != "link_gen":  # a link to another node may name a non-UUID target
        for key in UUID_KEYS:
            if key in entry and not UUID_PATTERN.match(str(entry[key])):
                problems.append(f"{where}.{key} is not a UUID: {entry[key]!r}")


def case_problems(package: dict) -> list[str]:
    """Every way `package` breaks the CASE 1.1 CFPackage binding; empty when it conforms."""
    problems: list[str] = []
    check_class(package, "package", problems, "package")
    check_class(package["CFDocument"], "document", problems, "CFDocument")
    for i, item in enumerate(package.get("CFItems", [])):
        check_class(item, "item", problems, f"CFItems[{i}]")
        if "CFItemTypeURI" in item:
            check_class(item["CFItemTypeURI"], "link", problems, f"CFItems[{i}].CFItemTypeURI")
    for i, assoc in enumerate(package.get("CFAssociations", [])):
        where = f"CFAssociations[{i}]"
        check_class(assoc, "association", problems, where)
        for end in ("originNodeURI", "destinationNodeURI"):
            check_class(assoc[end], "link_gen", problems, f"{where}.{end}")
        if assoc["associationType"] not in CASE_ASSOCIATION_TYPES:
            problems.append(f"{where}.associationType is not a CASE association type")
        if not isinstance(assoc.get("sequenceNumber", 0), int):
            problems.append(f"{where}.sequenceNumber is not an integer")
    definitions = package.get("CFDefinitions", {})
    check_class(definitions, "definitions", problems, "CFDefinitions")
    for i, item_type in enumerate(definitions.get("CFItemTypes", [])):
        check_class(item_type, "item_type", problems, f"CFItemTypes[{i}]")
    for i, rubric in enumerate(package.get("CFRubrics", [])):
        check_class(rubric, "rubric", problems, f"CFRubrics[{i}]")
        for j, criterion in enumerate(rubric.get("CFRubricCriteria", [])):
            where = f"CFRubrics[{i}].CFRubricCriteria[{j}]"
            check_class(criterion, "criterion", problems, where)
            check_class(criterion["CFItemURI"], "link", problems, f"{where}.CFItemURI")
            for k, level in enumerate(criterion.get("CFRubricCriterionLevels", [])):
                check_class(level, "level", problems, f"{where}.CFRubricCriterionLevels[{k}]")
                if not isinstance(level.get("score", 0), int | float):
                    problems.append(f"{where}.CFRubricCriterionLevels[{k}].score is not a number")
    return problems


def identifiers(node):
    """Every value under an 'identifier' key, anywhere in the package."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "identifier":
                yield value
            else:
                yield from identifiers(value)
    elif isinstance(node, list):
        for value in node:
            yield from identifiers(value)


@given(version_contents())
def test_package_is_json_deterministic_and_identified_by_uuids(content):
    package = to_cf_package(content, BASE, WHEN)
    text = json.dumps(package, sort_keys=True)
    shuffled = replace(
        content,
        items=tuple(reversed(content.items)),
        associations=tuple(reversed(content.associations)),
        descriptors=tuple(reversed(content.descriptors)),
    )
    assert json.dumps(to_cf_package(shuffled, BASE, WHEN), sort_keys=True) == text
    found = list(identifiers(package))
    assert found and all(is_uuid(value) for value in found)
    own = [entry["identifier"] for key in ("CFItems", "CFAssociations", "CFRubrics") for entry in package[key]]
    assert len(own) == len(set(own))
    assert case_problems(package) == []


@given(version_contents())
def test_every_item_is_a_cf_item(content):
    package = to_cf_package(content, BASE, WHEN)
    version_uri = f"{BASE}/versions/{content.version_identifier}"
    by_id = {entry["identifier"]: entry for entry in package["CFItems"]}
    assert len(by_id) == len(package["CFItems"]) == len(content.items)
    for item in content.items:
        entry = by_id[str(item.identifier)]
        assert entry["fullStatement"] == item.statement
        assert entry["humanCodingScheme"] == item.code
        assert entry["uri"] == f"{version_uri}/items/{item.identifier}"
        assert entry["listEnumeration"] == str(item.sequence)
        assert entry["extensions"] == {
            "audience": item.audience.value,
            "sourceReference": item.source,
        }
        assert entry.get("notes") == item.description
    type_ids = {t["identifier"] for t in package["CFDefinitions"]["CFItemTypes"]}
    assert {e["CFItemTypeURI"]["identifier"] for e in package["CFItems"]} == type_ids


@given(version_contents())
def test_every_root_is_a_child_of_the_document_and_links_are_kept(content):
    package = to_cf_package(content, BASE, WHEN)
    document = str(content.version_identifier)
    to_document = {
        a["originNodeURI"]["identifier"]
        for a in package["CFAssociations"]
        if a["associationType"] == "isChildOf" and a["destinationNodeURI"]["identifier"] == document
    }
    roots = {str(i.identifier) for i in content.items if i.identifier not in content.parents()}
    assert to_document == roots
    stored = {
        (a["identifier"], a["associationType"], a["originNodeURI"]["identifier"])
        for a in package["CFAssociations"]
        if a["destinationNodeURI"]["identifier"] != document
    }
    camel = {
        "is_child_of": "isChildOf",
        "exact_match_of": "exactMatchOf",
        "is_related_to": "isRelatedTo",
        "replaced_by": "replacedBy",
    }
    assert stored == {(str(a.identifier), camel[a.type], str(a.origin)) for a in content.associations}
    sequences = {i.identifier: i.sequence for i in content.items}
    for a in package["CFAssociations"]:
        if a["associationType"] == "isChildOf":
            assert a["sequenceNumber"] == sequences[uuid.UUID(a["originNodeURI"]["identifier"])]
        else:
            assert "sequenceNumber" not in a


@given(version_contents())
def test_every_assessable_item_has_a_rubric_criterion_with_every_level(content):
    package = to_cf_package(content, BASE, WHEN)
    [rubric] = package["CFRubrics"]
    assert rubric["identifier"] == str(content.scale.identifier)
    criteria = {c["CFItemURI"]["identifier"]: c for c in rubric["CFRubricCriteria"]}
    assessable = [i for i in content.items if i.type in ASSESSABLE_TYPES]
    assert set(criteria) == {str(i.identifier) for i in assessable}
    assert len(rubric["CFRubricCriteria"]) == len(assessable)
    levels = sorted(content.scale.levels, key=lambda level: level.position)
    text = {(str(d.item), d.level): d.description for d in content.descriptors}
    for item_id, criterion in criteria.items():
        assert "weight" not in criterion  # unweighted: CASE has no null
        assert [lv["quality"] for lv in criterion["CFRubricCriterionLevels"]] == [level.title for level in levels]
        assert [lv["description"] for lv in criterion["CFRubricCriterionLevels"]] == [
            text[(item_id, level.code)] for level in levels
        ]
        assert [lv["score"] for lv in criterion["CFRubricCriterionLevels"]] == [level.position for level in levels]


# --- examples ----------------------------------------------------------------------------------


def example(**changes) -> VersionContent:
    c1 = ItemContent(U(1), ItemType.component, "C1", "Leadership of all", sequence=1)
    cap = ItemContent(U(2), ItemType.capability, "C1.AS.1", "Steps up", "When needed", sequence=1)
    cc = ItemContent(U(3), ItemType.cultural_characteristic, "CC5", "Team working", sequence=2)
    scale = ScaleContent(
        U(9),
        "Proficiency",
        "Four levels",
        (
            LevelContent("essential", 1, "Essential"),
            LevelContent("proficient", 2, "Proficient", proficient_threshold=True),
        ),
    )
    content = VersionContent(
        framework_identifier=U(100),
        title="HSC Collective Leadership Framework",
        version="1.0.0",
        status=VersionStatus.published,
        description="The framework",
        publisher="HSC Leadership Centre",
        subject="Collective leadership",
        version_identifier=U(200),
        change_note="First publication.",
        published_at="2024-03-01T12:00:00Z",
        items=(cc, cap, c1),
        associations=(
            AssociationContent(U(11), AssociationType.is_child_of, cap.identifier, c1.identifier, 7),
            AssociationContent(U(12), AssociationType.is_related_to, cap.identifier, cc.identifier),
        ),
        scale=scale,
        descriptors=(
            DescriptorContent(cap.identifier, "essential", "Sometimes"),
            DescriptorContent(cap.identifier, "proficient", "Consistently"),
        ),
    )
    return replace(content, **changes)


def test_document_fields():
    package = to_cf_package(example(), BASE + "/", WHEN)
    version_uri = f"{BASE}/versions/{U(200)}"
    assert package["CFDocument"] == {
        "identifier": str(U(200)),
        "uri": version_uri,
        "caseVersion": "1.1",
        "creator": "HSC Leadership Centre",
        "title": "HSC Collective Leadership Framework",
        "lastChangeDateTime": WHEN,
        "description": "The framework",
        "subject": ["Collective leadership"],
        "language": "en",
        "version": "1.0.0",
        "adoptionStatus": "Adopted",
        "publisher": "HSC Leadership Centre",
        "statusStartDate": "2024-03-01",
        "notes": "First publication.",
    }
    assert list(package) == [
        "CFDocument",
        "CFItems",
        "CFAssociations",
        "CFDefinitions",
        "CFRubrics",
    ]
    assert package["CFDefinitions"]["CFAssociationGroupings"] == []


def test_adoption_status_and_default_creator():
    for status, adoption in [
        (VersionStatus.draft, "Draft"),
        (VersionStatus.published, "Adopted"),
        (VersionStatus.deprecated, "Deprecated"),
    ]:
        document = to_cf_package(example(status=status, publisher=None), BASE, WHEN)["CFDocument"]
        assert document["adoptionStatus"] == adoption
        assert document["creator"] == "HSC"
        assert "publisher" not in document


def test_items_in_tree_order_with_human_type_labels():
    items = to_cf_package(example(), BASE, WHEN)["CFItems"]
    assert [(i["humanCodingScheme"], i["CFItemType"]) for i in items] == [
        ("C1", "Component"),
        ("C1.AS.1", "Capability"),
        ("CC5", "Cultural Characteristic"),
    ]
    assert items[1]["notes"] == "When needed"
    titles = [t["title"] for t in to_cf_package(example(), BASE, WHEN)["CFDefinitions"]["CFItemTypes"]]
    assert titles == ["Component", "Capability", "Cultural Characteristic"]


def test_child_sequence_comes_from_the_item_not_the_link():
    associations = to_cf_package(example(), BASE, WHEN)["CFAssociations"]
    child = next(a for a in associations if a["identifier"] == str(U(11)))
    assert child["sequenceNumber"] == 1
    assert child["uri"] == f"{BASE}/versions/{U(200)}/associations/{U(11)}"
    related = next(a for a in associations if a["associationType"] == "isRelatedTo")
    assert related["destinationNodeURI"]["identifier"] == str(U(3))


def test_rubric_uri_and_missing_descriptors_of_a_draft():
    content = example(descriptors=())
    [rubric] = to_cf_package(content, BASE, WHEN)["CFRubrics"]
    assert rubric["uri"] == f"{BASE}/versions/{U(200)}/scale"
    [criterion] = rubric["CFRubricCriteria"]
    assert ["description" in lv for lv in criterion["CFRubricCriterionLevels"]] == [False, False]
    assert case_problems(to_cf_package(content, BASE, WHEN)) == []
    assert to_cf_package(example(scale=None), BASE, WHEN)["CFRubrics"] == []


def test_dangling_association_of_a_draft_is_left_out():
    broken = AssociationContent(U(13), AssociationType.replaced_by, U(2), U(99))
    content = example()
    content = replace(content, associations=(*content.associations, broken))
    associations = to_cf_package(content, BASE, WHEN)["CFAssociations"]
    assert str(U(13)) not in {a["identifier"] for a in associations}
