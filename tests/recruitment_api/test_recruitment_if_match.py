"""If-Match on recruitment-api: every edit of a resource with an ETag (the vacancy's details, its
design) needs the ETag last read (428 without, 412 when stale) and changes nothing when refused;
creates and status changes need none."""

from __future__ import annotations

from recruitment_support import admin_headers, create_vacancy


def test_changing_a_vacancy_needs_its_current_etag(client, keys):
    admin = admin_headers(keys)
    vacancy = create_vacancy(client, keys)  # a create: no If-Match
    url = f"/vacancies/{vacancy['id']}"
    read = client.get(url, headers=admin)
    etag = read.headers["etag"]

    missing = client.patch(url, json={"band": "Band 8a"}, headers=admin)
    assert missing.status_code == 428, missing.text
    assert missing.json()["type"].endswith("/precondition-required")
    stale = client.patch(url, json={"band": "Band 8a"}, headers={**admin, "If-Match": '"stale"'})
    assert stale.status_code == 412 and stale.json()["current_etag"] == etag
    assert client.get(url, headers=admin).json() == read.json()  # neither changed anything

    changed = client.patch(url, json={"band": "Band 8a"}, headers={**admin, "If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["band"] == "Band 8a"
    assert changed.headers["etag"] not in (etag, None)
    again = client.patch(url, json={"band": "Band 8b"}, headers={**admin, "If-Match": etag})
    assert again.status_code == 412  # the ETag was used up by the change


def test_replacing_the_design_needs_its_current_etag(client, keys):
    admin = admin_headers(keys)
    vacancy = create_vacancy(client, keys)
    url = f"/vacancies/{vacancy['id']}/design"
    body = {"stages": [{"name": "Interview", "kind": "interview", "criteria": [{"criterion": "V1"}]}]}
    missing = client.put(url, json=body, headers=admin)
    assert missing.status_code == 428 and missing.json()["type"].endswith("/precondition-required")
    stale = client.put(url, json=body, headers={**admin, "If-Match": '"stale"'})
    assert stale.status_code == 412
    assert client.get(url, headers=admin).json()["stages"] == []


def test_a_status_change_needs_no_if_match(client, keys):
    admin = admin_headers(keys)
    vacancy = create_vacancy(client, keys, criteria=None)
    moved = client.post(f"/vacancies/{vacancy['id']}/status", json={"status": "open"}, headers=admin)
    # Refused for want of a design, not of If-Match: a transition names the status it moves to,
    # and a second, concurrent one is refused as not the next step.
    assert moved.status_code == 409 and moved.json()["type"].endswith("/design-missing")


def test_the_openapi_documents_428_on_every_etagged_edit(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/vacancies/{vacancy_id}", "patch"), ("/vacancies/{vacancy_id}/design", "put")):
        assert {"412", "428"} <= set(paths[path][method]["responses"]), (method, path)
