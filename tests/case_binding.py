"""The CASE 1.1 JSON binding, reduced to what a test can check without a schema library: each
class's allowed and required properties (every class forbids any other), the identifier pattern,
and no nulls (every optional property is typed string, number or list)."""

from __future__ import annotations

import re

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


# The stand-alone forms of the REST binding (getCFDocument, getCFItem, getCFAssociation) carry the
# link to their context that the package forms leave out.
CLASSES |= {
    "CFDocuments": (CLASSES["document"][0] | {"CFPackageURI"}, CLASSES["document"][1] | {"CFPackageURI"}),
    "CFItems": (CLASSES["item"][0] | {"CFDocumentURI"}, CLASSES["item"][1] | {"CFDocumentURI"}),
    "CFAssociations": (CLASSES["association"][0] | {"CFDocumentURI"}, CLASSES["association"][1]),
    "CFRubrics": CLASSES["rubric"],
    "CFRubricCriteria": CLASSES["criterion"],
    "CFRubricCriterionLevels": CLASSES["level"],
}


def standalone_problems(kind: str, body: dict, where: str) -> list[str]:
    """Every way `body`, the answer of GET .../{kind}/{id}, breaks its CASE 1.1 class."""
    if kind == "CFPackages":
        return case_problems(body)
    problems: list[str] = []
    if kind == "CFItemTypes":  # a CFItemTypeSet: the type asked for, then its children
        if set(body) != {"CFItemTypes"}:
            problems.append(f"{where}: a CFItemTypeSet has only CFItemTypes")
        for i, item_type in enumerate(body.get("CFItemTypes", [])):
            check_class(item_type, "item_type", problems, f"{where}.CFItemTypes[{i}]")
    else:
        check_class(body, kind, problems, where)
    return problems
