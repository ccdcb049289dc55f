"""CASE 1.1 CFPackage export."""

from __future__ import annotations

import json
import uuid

from case_binding import case_problems
from framework_content_strategies import replace, version_contents
from hypothesis import given

from framework_api.exchange.case import case_object, item_type_identifier, to_cf_package
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
    root = f"{BASE}/versions/{content.version_identifier}/case"
    by_id = {entry["identifier"]: entry for entry in package["CFItems"]}
    assert len(by_id) == len(package["CFItems"]) == len(content.items)
    for item in content.items:
        entry = by_id[str(item.identifier)]
        assert entry["fullStatement"] == item.statement
        assert entry["humanCodingScheme"] == item.code
        assert entry["uri"] == f"{root}/CFItems/{item.identifier}"
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
    assert package["CFDocument"] == {
        "identifier": str(U(200)),
        "uri": f"{BASE}/versions/{U(200)}/case/CFDocuments/{U(200)}",
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
    assert child["uri"] == f"{BASE}/versions/{U(200)}/case/CFAssociations/{U(11)}"
    related = next(a for a in associations if a["associationType"] == "isRelatedTo")
    assert related["destinationNodeURI"]["identifier"] == str(U(3))


def test_rubric_uri_and_missing_descriptors_of_a_draft():
    content = example(descriptors=())
    [rubric] = to_cf_package(content, BASE, WHEN)["CFRubrics"]
    assert rubric["uri"] == f"{BASE}/versions/{U(200)}/case/CFRubrics/{U(9)}"
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


def test_case_object_finds_each_kind_by_its_own_identifiers_only():
    package = to_cf_package(example(), BASE, WHEN)
    document = package["CFDocument"]
    link = {"title": document["title"], "identifier": str(U(200)), "uri": document["uri"]}
    assert case_object(package, "CFPackages", str(U(200)), BASE) is package
    assert case_object(package, "CFDocuments", str(U(200)), BASE)["CFPackageURI"] == link | {
        "uri": f"{BASE}/versions/{U(200)}/case/CFPackages/{U(200)}"
    }
    assert case_object(package, "CFItems", str(U(2)), BASE)["CFDocumentURI"] == link
    assert case_object(package, "CFAssociations", str(U(12)), BASE)["associationType"] == "isRelatedTo"
    [item_type] = case_object(package, "CFItemTypes", str(item_type_identifier(ItemType.capability)), BASE)[
        "CFItemTypes"
    ]
    assert item_type["hierarchyCode"] == "capability"
    assert case_object(package, "CFRubrics", str(U(9)), BASE)["title"] == "Proficiency"
    criterion = package["CFRubrics"][0]["CFRubricCriteria"][0]
    assert case_object(package, "CFRubricCriteria", criterion["identifier"], BASE) == criterion
    level = criterion["CFRubricCriterionLevels"][1]
    assert case_object(package, "CFRubricCriterionLevels", level["identifier"], BASE) == level
    # Each kind looks among its own: an item's identifier names no rubric, no document.
    assert case_object(package, "CFRubrics", str(U(2)), BASE) is None
    assert case_object(package, "CFDocuments", str(U(2)), BASE) is None
    assert case_object(package, "CFItems", str(U(200)), BASE) is None
    assert case_object(package, "CFItemTypes", str(U(2)), BASE) is None
