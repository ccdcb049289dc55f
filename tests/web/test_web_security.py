"""CSRF on every change, security headers on every response, and the pieces of the layout that
accessibility and the CSP depend on."""

from __future__ import annotations

import pytest
from sqlmodel import select

from web.accounts.models import UserSession
from web.security import CONTENT_SECURITY_POLICY


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.parametrize("data", [{}, {"csrf_token": ""}, {"csrf_token": "forged"}])
def test_sign_out_without_the_sessions_token_is_refused(signed_in, db, data):
    client = signed_in("alice")
    response = client.post("/sign-out", data=data)
    assert response.status_code == 403
    assert "Your form could not be sent" in response.text
    assert "Nothing was changed" in response.text
    assert db.exec(select(UserSession)).first() is not None  # still signed in


def test_sign_in_without_the_form_token_is_refused(client, make_user):
    make_user("alice")
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": "alice", "password": "a-long-enough-password"})
    assert response.status_code == 403
    assert "collective_session" not in client.cookies


def test_another_sessions_token_is_refused(signed_in, make_client, make_user, login):
    alice = signed_in("alice", roles=("admin",))
    make_user("bob", roles=("admin",))
    bob = make_client()
    login(bob, "bob")
    bobs_token = _csrf(bob.get("/").text)
    response = alice.post(
        "/admin/users",
        data={"csrf_token": bobs_token, "username": "carol", "display_name": "Carol", "roles": ["manager"]},
    )
    assert response.status_code == 403


def test_the_token_is_accepted_as_the_htmx_header(signed_in, db):
    client = signed_in("alice")
    token = _csrf(client.get("/").text)
    response = client.post("/sign-out", headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert response.status_code == 303
    assert db.exec(select(UserSession)).first() is None


def test_htmx_is_given_the_token_on_the_body(signed_in):
    client = signed_in("alice")
    page = client.get("/").text
    token = _csrf(page)
    # htmx 4 inherits only attributes marked :inherited.
    assert f'hx-headers:inherited=\'{{"X-CSRF-Token": "{token}"}}\'' in page


def test_every_form_that_posts_carries_the_token(signed_in, make_user):
    client = signed_in("boss", roles=("admin",))
    other = make_user("carol", org="BHSCT")
    for url in ("/", "/admin/users/new", f"/admin/users/{other.uid}"):
        page = client.get(url).text
        forms = page.split("<form")[1:]
        posting = [form for form in forms if 'method="post"' in form.split(">")[0]]
        assert posting, url
        for form in posting:
            assert 'name="csrf_token"' in form.split("</form>")[0], (url, form[:200])


@pytest.mark.parametrize(
    "path", ["/sign-in", "/", "/frameworks", "/static/app.css", "/livez", "/vendor/htmx/htmx.min.js", "/no-such-page"]
)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_pages_are_not_cached_and_differ_by_htmx(signed_in):
    client = signed_in("alice")
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]


def test_layout_has_skip_link_landmarks_and_no_inline_script_or_style(signed_in):
    client = signed_in("alice")
    page = client.get("/").text
    assert '<a class="nhsuk-skip-link" href="#maincontent">Skip to main content</a>' in page
    assert 'id="maincontent"' in page and "<main" in page
    assert '<html lang="en"' in page
    assert "<script>" not in page and "<style" not in page and " style=" not in page
    # htmx injects no indicator styles and copies no style attributes across a swap.
    assert 'content=\'{"includeIndicatorCSS": false, "defaultSettleDelay": 0}\'' in page
    assert "NHS" not in page.split("<main")[0].replace("nhsuk", "")  # no NHS logo or name in the header
    assert "HSC Northern Ireland" in page


def test_front_end_packages_are_served_from_node_modules(client):
    css = client.get("/vendor/nhsuk/nhsuk-frontend.min.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@font-face" not in css.text  # the NHS England web font is not ours to load
    assert client.get("/vendor/nhsuk/nhsuk-frontend.min.js").status_code == 200
    assert client.get("/vendor/htmx/htmx.min.js").status_code == 200
    assert client.get("/assets/images/nhsuk-icon-cross.svg").status_code == 200
    cached = client.get("/vendor/nhsuk/nhsuk-frontend.min.css", headers={"If-None-Match": css.headers["ETag"]})
    assert cached.status_code == 304


def test_a_server_error_is_a_page_with_the_security_headers(app, signed_in, monkeypatch):
    from fastapi.testclient import TestClient

    from web import home

    signed = signed_in("alice")

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(home, "visible_entries", broken)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False, cookies=signed.cookies) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_compressed_but_pages_are_not(signed_in):
    client = signed_in("alice")
    css = client.get("/vendor/nhsuk/nhsuk-frontend.min.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers.get("content-encoding") == "gzip"
    page = client.get("/frameworks", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in page.headers
