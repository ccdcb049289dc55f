"""Sign-in, lockout, sessions and sign-out through the real forms."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from web.accounts import service
from web.accounts.models import SignInThrottle, UserSession
from web.db import utcnow


def test_sign_in_page_has_labelled_fields_and_a_csrf_token(client):
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert '<label class="nhsuk-label" for="username">Username</label>' in page.text
    assert '<label class="nhsuk-label" for="password">Password</label>' in page.text
    assert 'name="csrf_token"' in page.text
    cookie = page.headers["set-cookie"]
    assert "collective_signin=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_pages_need_sign_in_and_come_back_after_it(client, make_user, login):
    response = client.get("/frameworks?cursor=abc")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fframeworks%3Fcursor%3Dabc"

    make_user("alice")
    signed = login(client, "alice", next_url="/frameworks?cursor=abc")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/frameworks?cursor=abc"


def test_sign_in_succeeds_and_sets_a_safe_session_cookie(client, make_user, login, db):
    make_user("alice", display_name="Alice Agnew", roles=("framework_editor",))
    response = login(client, "Alice")  # usernames ignore case
    assert response.status_code == 303
    assert response.headers["location"] == "/"  # a manager lands on My organisation (test_web_monitoring_home)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("collective_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # development default; production requires it

    token = client.cookies.get("collective_session")
    stored = db.exec(select(UserSession)).one()
    assert stored.token_hash == service.token_hash(token)
    assert token not in stored.token_hash

    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome to Collective, Alice Agnew" in home.text


def test_next_is_only_ever_a_path_on_this_site(client, make_user, login):
    make_user("alice", roles=("framework_editor",))
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = login(client, "alice", next_url=target)
        assert response.headers["location"] == "/", target
        client.cookies.clear()


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user, login):
    make_user("alice")
    wrong = login(client, "alice", "not-the-password")
    unknown = login(client, "nobody", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "The username or password is not right" in response.text
        assert "There is a problem" in response.text
    assert client.get("/").status_code == 303


def test_empty_fields_are_named_next_to_the_fields(client):
    page = client.get("/sign-in")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/sign-in", data={"username": "", "password": "", "csrf_token": token})
    assert response.status_code == 422
    assert '<a href="#username">Enter your username</a>' in response.text
    assert 'id="username-error"' in response.text and 'id="password-error"' in response.text
    assert 'aria-describedby="username-error"' in response.text
    assert "<title>Error: Sign in" in response.text


def test_lockout_after_threshold_failures_even_with_the_right_password(client, make_user, login, app):
    threshold = app.state.settings.lockout_threshold
    make_user("alice")
    for _ in range(threshold - 1):
        assert login(client, "alice", "wrong-password").status_code == 422
    locked = login(client, "alice", "wrong-password")
    assert locked.status_code == 429
    assert "temporarily locked" in locked.text
    right = login(client, "alice")
    assert right.status_code == 429
    assert "temporarily locked" in right.text


def test_lockout_message_is_the_same_for_a_username_that_does_not_exist(client, login, app, db):
    threshold = app.state.settings.lockout_threshold
    responses = [login(client, "ghost", "wrong-password") for _ in range(threshold + 1)]
    assert [r.status_code for r in responses[: threshold - 1]] == [422] * (threshold - 1)
    assert all(r.status_code == 429 and "temporarily locked" in r.text for r in responses[threshold - 1 :])
    throttle = db.exec(select(SignInThrottle).where(SignInThrottle.username == "ghost")).one()
    assert throttle.failed_count == threshold + 1  # attempts while locked still count


def test_lock_ends_after_lockout_minutes(client, make_user, login, app):
    settings = app.state.settings
    make_user("alice")
    start = utcnow()
    app.state.clock = lambda: start
    for _ in range(settings.lockout_threshold):
        login(client, "alice", "wrong-password")
    assert login(client, "alice").status_code == 429

    app.state.clock = lambda: start + timedelta(minutes=settings.lockout_minutes - 1)
    assert login(client, "alice").status_code == 429

    app.state.clock = lambda: start + timedelta(minutes=settings.lockout_minutes + 1)
    assert login(client, "alice").status_code == 303


def test_a_lock_whose_time_has_passed_in_the_database_is_over(client, make_user, login, db):
    make_user("alice")
    db.add(
        SignInThrottle(
            username="alice",
            failed_count=9,
            last_failed_at=utcnow() - timedelta(hours=1),
            locked_until=utcnow() - timedelta(minutes=1),
        )
    )
    db.commit()
    assert login(client, "alice").status_code == 303
    assert db.exec(select(SignInThrottle)).first() is None  # success clears the count


def test_sign_out_ends_the_session_on_the_server(client, make_user, login, db):
    make_user("alice")
    login(client, "alice")
    token = client.cookies.get("collective_session")
    home = client.get("/")
    csrf = home.text.split('name="csrf_token" value="')[1].split('"')[0]

    response = client.post("/sign-out", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?signed_out=true"
    assert db.exec(select(UserSession)).first() is None
    assert "You have signed out" in client.get("/sign-in?signed_out=true").text

    # The old cookie, replayed, no longer opens anything.
    client.cookies.set("collective_session", token)
    assert client.get("/").status_code == 303


def test_an_expired_session_is_not_accepted(client, make_user, login, app):
    make_user("alice")
    login(client, "alice")
    assert client.get("/").status_code == 200
    later = utcnow() + timedelta(minutes=app.state.settings.session_ttl_minutes + 1)
    app.state.clock = lambda: later
    assert client.get("/").status_code == 303


def test_a_deactivated_user_cannot_sign_in(client, make_user, login, db):
    user = make_user("alice")
    user.active = False
    db.add(user)
    db.commit()
    response = login(client, "alice")
    assert response.status_code == 422
    assert "The username or password is not right" in response.text


def test_htmx_requests_without_a_session_are_sent_to_sign_in(client):
    response = client.get("/frameworks", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/sign-in?next=%2Fframeworks"
