"""The web refuses the NUL character in forms and addresses before any page runs (servicekit.nul),
so its own database (SQLite or PostgreSQL) never sees one: a 422 page that says why."""

from __future__ import annotations

import re


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_nul_in_a_form_is_a_422_page_and_nothing_is_saved(client, make_user):
    make_user("nulltester")
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"username": "null\x00tester", "password": "x", "next": "/", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "invisible NUL character" in response.text
    assert "content-security-policy" in response.headers  # inside the security headers


def test_a_nul_in_the_address_is_a_422_page(client):
    response = client.get("/sign-in", params={"next": "/\x00"})
    assert response.status_code == 422
    assert "invisible NUL character" in response.text
