"""Every URI in an exported CASE 1.1 package resolves, through the API, to the CASE JSON of the
object it names (CFDocument, CFItem, CFAssociation, CFItemType, CFRubric, CFRubricCriterion,
CFRubricCriterionLevel, CFPackage)."""

from __future__ import annotations

from collections import deque

from case_binding import standalone_problems

from servicekit.etags import strong_etag

READ = "framework:read"
WRITE = "framework:write"
BASE = "https://framework.test"  # the conftest's FRAMEWORK_API_PUBLIC_BASE_URL


def links(node, found: list[dict]) -> list[dict]:
    """Every object with a `uri`, anywhere in `node` (the objects themselves and links to them)."""
    if isinstance(node, dict):
        if isinstance(node.get("uri"), str):
            found.append(node)
        for value in node.values():
            links(value, found)
    elif isinstance(node, list):
        for value in node:
            links(value, found)
    return found


def identifier_of(body: dict) -> str:
    """The identifier of the object a CASE answer is about."""
    if "CFItemTypes" in body:  # getCFItemType answers a CFItemTypeSet: the type first
        return body["CFItemTypes"][0]["identifier"]
    if "CFDocument" in body and "identifier" not in body:  # getCFPackage
        return body["CFDocument"]["identifier"]
    return body["identifier"]


def crawl(client, headers, start: dict) -> dict[str, dict]:
    """GET every URI in `start`, then every URI in those answers, until nothing new turns up;
    returns each path with its answer. Fails on the first URI that does not resolve."""
    answers: dict[str, dict] = {}
    queue = deque(links(start, []))
    while queue:
        link = queue.popleft()
        uri = link["uri"]
        assert uri.startswith(BASE + "/"), uri
        path = uri.removeprefix(BASE)
        if path in answers:
            continue
        response = client.get(path, headers=headers)
        assert response.status_code == 200, f"{uri} answered {response.status_code}: {response.text[:200]}"
        body = response.json()
        if "identifier" in link:
            assert identifier_of(body) == link["identifier"], uri
        answers[path] = body
        queue.extend(links(body, []))
    return answers


def test_every_uri_of_the_seeded_package_resolves_to_its_case_object(client, keys, seeded):
    _, version = seeded
    headers = keys.headers(READ)
    package = client.get(f"/versions/{version['id']}/case", headers=headers).json()
    answers = crawl(client, headers, package)

    kinds = {path.split("/")[-2] for path in answers}
    assert kinds >= {
        "CFDocuments",
        "CFItems",
        "CFAssociations",
        "CFItemTypes",
        "CFRubrics",
        "CFRubricCriteria",
        "CFRubricCriterionLevels",
        "CFPackages",
    }
    # Each object answers exactly as the package has it, with its link to the context added.
    document = package["CFDocument"]
    document_link = {"title": document["title"], "identifier": document["identifier"], "uri": document["uri"]}
    path = document["uri"].removeprefix(BASE)
    assert {k: v for k, v in answers[path].items() if k != "CFPackageURI"} == document
    for item in package["CFItems"]:
        assert answers[item["uri"].removeprefix(BASE)] == {**item, "CFDocumentURI": document_link}
    for association in package["CFAssociations"]:
        assert answers[association["uri"].removeprefix(BASE)] == {**association, "CFDocumentURI": document_link}
    for item_type in package["CFDefinitions"]["CFItemTypes"]:
        assert answers[item_type["uri"].removeprefix(BASE)] == {"CFItemTypes": [item_type]}
    for rubric in package["CFRubrics"]:
        assert answers[rubric["uri"].removeprefix(BASE)] == rubric
        for criterion in rubric["CFRubricCriteria"]:
            assert answers[criterion["uri"].removeprefix(BASE)] == criterion
            for level in criterion["CFRubricCriterionLevels"]:
                assert answers[level["uri"].removeprefix(BASE)] == level
    problems = [p for path, body in answers.items() for p in standalone_problems(path.split("/")[-2], body, path)]
    assert problems == []


def test_case_objects_are_cached_like_the_package(client, keys, seeded):
    _, version = seeded
    headers = keys.headers(READ)
    package = client.get(f"/versions/{version['id']}/case", headers=headers).json()
    path = package["CFItems"][0]["uri"].removeprefix(BASE)
    first = client.get(path, headers=headers)
    assert first.headers["cache-control"] == "private, max-age=86400, immutable"
    again = client.get(path, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_case_uris_of_a_draft_resolve_for_its_owner_only(client, keys, seeded):
    framework, _ = seeded
    bso = keys.headers(READ, WRITE, org="BSO")
    versions = client.get(f"/frameworks/{framework['id']}", headers=bso).json()["versions"]
    draft = next((v for v in versions if v["status"] == "draft"), None)
    if draft is None:
        draft = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "1.9.0"}, headers=bso).json()
    package = client.get(f"/versions/{draft['id']}/case", headers=bso).json()
    assert package["CFDocument"]["adoptionStatus"] == "Draft"
    answers = crawl(client, bso, package)
    assert answers
    other = keys.headers(READ, org="BHSCT")
    for path in list(answers)[:5]:
        refused = client.get(path, headers=other)
        assert refused.status_code == 404, path
        assert refused.json()["type"].endswith("/not-found")


def test_case_uri_refusals(client, keys, seeded):
    _, version = seeded
    package = client.get(f"/versions/{version['id']}/case", headers=keys.headers(READ)).json()
    item_path = package["CFItems"][0]["uri"].removeprefix(BASE)
    assert client.get(item_path).status_code == 401
    refused = client.get(item_path, headers=keys.headers("recruitment:read"))
    assert refused.status_code == 403 and refused.json()["type"].endswith("/insufficient-scope")
    root = f"/versions/{version['id']}/case"
    unknown = "00000000-0000-4000-8000-000000000000"
    for kind in (
        "CFDocuments",
        "CFPackages",
        "CFItems",
        "CFAssociations",
        "CFItemTypes",
        "CFRubrics",
        "CFRubricCriteria",
        "CFRubricCriterionLevels",
    ):
        missing = client.get(f"{root}/{kind}/{unknown}", headers=keys.headers(READ))
        assert missing.status_code == 404, kind
        assert missing.json()["type"].endswith("/not-found")
    # An item's identifier is not a rubric's: each kind looks only among its own objects.
    item_id = package["CFItems"][0]["identifier"]
    assert client.get(f"{root}/CFRubrics/{item_id}", headers=keys.headers(READ)).status_code == 404


def test_a_package_cached_before_its_uris_changed_is_sent_again(client, keys, seeded):
    """The package's URIs changed while its version did not: the old ETag must not still match,
    or a client that kept the package (immutable caching) would keep the URIs that do not resolve."""
    _, version = seeded
    old_etag = strong_etag(f"{version['content_hash']}:published:case")
    response = client.get(f"/versions/{version['id']}/case", headers={**keys.headers(READ), "If-None-Match": old_etag})
    assert response.status_code == 200
    assert response.headers["etag"] != old_etag
