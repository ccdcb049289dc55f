"""Administration of users: only administrators, only their own organisation, every write audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from servicekit.audit import AuditRecord
from web.accounts.models import SignInThrottle, User, UserSession
from web.db import utcnow


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def _post(client, url: str, data: dict, page: str = "/admin/users/new"):
    return client.post(url, data={**data, "csrf_token": _csrf(client.get(page).text)})


def test_admin_creates_a_user_with_roles_and_it_is_audited(signed_in, db, make_client, login):
    admin_client = signed_in("boss", org="SHSCT", roles=("admin",))
    boss = db.exec(select(User).where(User.username == "boss")).one()
    response = _post(
        admin_client,
        "/admin/users",
        {
            "display_name": "Carol Corr",
            "username": "Carol.Corr",
            "roles": ["assessor", "manager"],
        },
    )
    assert response.status_code == 201
    assert "User added" in response.text
    password = re.search(r'<code id="generated-password">([^<]+)</code>', response.text).group(1)

    carol = db.exec(select(User).where(User.username == "carol.corr")).one()
    assert carol.org == "SHSCT"  # always the admin's own organisation
    assert carol.roles == ["manager", "assessor"]
    assert carol.password_hash.startswith("$argon2")
    assert password not in carol.password_hash

    record = db.exec(
        select(AuditRecord).where(AuditRecord.action == "user.create", AuditRecord.target_id == str(carol.uid))
    ).one()
    assert record.actor == str(boss.uid)
    assert record.org == "SHSCT"
    assert record.target_id == str(carol.uid)
    assert record.after["roles"] == ["manager", "assessor"]
    assert "password" not in str(record.after) and password not in str(record.after)

    # The password shown once works, and it is not shown again.
    assert password not in admin_client.get(f"/admin/users/{carol.uid}").text
    carol_client = make_client()
    assert login(carol_client, "carol.corr", password).status_code == 303


def test_admin_given_password_is_not_echoed(signed_in, db):
    client = signed_in("boss", roles=("admin",))
    response = _post(
        client,
        "/admin/users",
        {"display_name": "Dan", "username": "dan", "roles": ["manager"], "password": "chosen-by-the-admin"},
    )
    assert response.status_code == 201
    assert "chosen-by-the-admin" not in response.text
    assert "generated-password" not in response.text


def test_form_errors_are_named_next_to_their_fields(signed_in, make_user):
    client = signed_in("boss", roles=("admin",))
    make_user("taken", org="BSO")
    response = _post(client, "/admin/users", {"display_name": "", "username": "taken", "password": "short"})
    assert response.status_code == 422
    text_ = response.text
    assert "There is a problem" in text_ and "<title>Error: Add a user" in text_
    assert '<a href="#display-name">Enter the person&#39;s name</a>' in text_
    assert '<a href="#username">A user with this username already exists</a>' in text_
    assert '<a href="#roles">Select at least one role</a>' in text_
    assert '<a href="#password">Password must be 12 characters or more</a>' in text_
    assert 'id="display-name-error"' in text_ and 'id="roles-error"' in text_
    # What was typed is kept (the password never is).
    assert 'value="taken"' in text_ and "short" not in text_.split("<form")[1].split("</form>")[0]


def test_invalid_username_is_explained(signed_in):
    client = signed_in("boss", roles=("admin",))
    response = _post(client, "/admin/users", {"display_name": "X", "username": "a b", "roles": ["manager"]})
    assert response.status_code == 422
    assert "Username must be 3 to 50 characters" in response.text


def test_users_list_shows_only_the_admins_organisation(signed_in, make_user):
    client = signed_in("boss", org="WHSCT", roles=("admin",))
    make_user("west.one", org="WHSCT")
    make_user("east.one", org="SEHSCT")
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "west.one" in page.text
    assert "east.one" not in page.text
    assert "Western Health and Social Care Trust" in page.text


@pytest.mark.parametrize("action", ["roles", "deactivate", "reactivate", "unlock"])
def test_another_organisations_user_can_be_neither_seen_nor_changed(signed_in, make_user, db, action):
    client = signed_in("boss", org="WHSCT", roles=("admin",))
    outsider = make_user("east.one", org="SEHSCT", roles=("manager",))
    assert client.get(f"/admin/users/{outsider.uid}").status_code == 404
    response = client.post(
        f"/admin/users/{outsider.uid}/{action}",
        data={"roles": ["admin"], "csrf_token": _csrf(client.get("/admin/users").text)},
    )
    assert response.status_code == 404
    db.expire_all()
    unchanged = db.exec(select(User).where(User.username == "east.one")).one()
    assert unchanged.roles == ["manager"] and unchanged.active
    assert db.exec(select(AuditRecord).where(AuditRecord.action != "user.create")).first() is None


def test_non_admins_get_403_on_admin_pages(signed_in, make_user):
    client = signed_in("manager", roles=("manager", "framework_editor", "recruitment_admin"))
    other = make_user("other", org="BHSCT")
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{other.uid}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You do not have access to this page" in response.text
    token = _csrf(client.get("/").text)
    assert (
        client.post(
            "/admin/users", data={"csrf_token": token, "username": "x", "display_name": "X", "roles": ["admin"]}
        ).status_code
        == 403
    )
    # Nor does the navigation offer it.
    assert 'href="/admin/users"' not in client.get("/").text


def test_admin_changes_roles_and_it_is_audited(signed_in, make_user, db):
    client = signed_in("boss", roles=("admin",))
    carol = make_user("carol", org="BHSCT", roles=("manager",))
    page = f"/admin/users/{carol.uid}"
    response = _post(client, f"{page}/roles", {"roles": ["framework_editor", "assessor"]}, page=page)
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?updated=roles"
    assert "Roles updated" in client.get(response.headers["location"]).text
    db.expire_all()
    assert db.exec(select(User).where(User.username == "carol")).one().roles == ["framework_editor", "assessor"]
    record = db.exec(select(AuditRecord).where(AuditRecord.action == "user.roles.change")).one()
    assert record.before["roles"] == ["manager"]
    assert record.after["roles"] == ["framework_editor", "assessor"]


def test_roles_must_be_known_and_at_least_one(signed_in, make_user):
    client = signed_in("boss", roles=("admin",))
    carol = make_user("carol", org="BHSCT")
    page = f"/admin/users/{carol.uid}"
    none = _post(client, f"{page}/roles", {}, page=page)
    assert none.status_code == 422 and "Select at least one role" in none.text
    unknown = _post(client, f"{page}/roles", {"roles": ["superuser"]}, page=page)
    assert unknown.status_code == 422 and "Choose roles from the list" in unknown.text


def test_an_admin_cannot_remove_their_own_admin_role_or_deactivate_themselves(signed_in, db):
    client = signed_in("boss", roles=("admin",))
    boss = db.exec(select(User).where(User.username == "boss")).one()
    page = f"/admin/users/{boss.uid}"
    response = _post(client, f"{page}/roles", {"roles": ["manager"]}, page=page)
    assert response.status_code == 422
    assert "You cannot remove the administrator role from your own account" in response.text
    response = _post(client, f"{page}/deactivate", {}, page=page)
    assert response.status_code == 422
    assert "You cannot deactivate your own account" in response.text


def test_deactivation_ends_sessions_and_is_audited(signed_in, make_user, make_client, login, db):
    client = signed_in("boss", roles=("admin",))
    carol = make_user("carol", org="BHSCT")
    carol_client = make_client()
    login(carol_client, "carol")
    assert carol_client.get("/").status_code == 200

    page = f"/admin/users/{carol.uid}"
    assert _post(client, f"{page}/deactivate", {}, page=page).status_code == 303
    assert carol_client.get("/").status_code == 303
    assert db.exec(select(UserSession).where(UserSession.user_id == carol.id)).first() is None
    assert db.exec(select(AuditRecord).where(AuditRecord.action == "user.deactivate")).one().after["active"] is False
    assert "Deactivated" in client.get("/admin/users").text

    assert _post(client, f"{page}/reactivate", {}, page=page).status_code == 303
    assert login(carol_client, "carol").status_code == 303


def test_admin_unlocks_a_locked_account(signed_in, make_user, make_client, login, db, app):
    client = signed_in("boss", roles=("admin",))
    carol = make_user("carol", org="BHSCT")
    carol_client = make_client()
    for _ in range(app.state.settings.lockout_threshold):
        login(carol_client, "carol", "wrong-password")
    assert login(carol_client, "carol").status_code == 429
    assert "Locked" in client.get("/admin/users").text

    page = f"/admin/users/{carol.uid}"
    assert "Unlock account" in client.get(page).text
    response = _post(client, f"{page}/unlock", {}, page=page)
    assert response.headers["location"] == f"{page}?updated=unlocked"
    assert db.exec(select(SignInThrottle)).first() is None
    assert db.exec(select(AuditRecord).where(AuditRecord.action == "user.unlock")).one().target_id == str(carol.uid)
    assert login(carol_client, "carol").status_code == 303


def test_locked_is_shown_only_while_the_lock_lasts(signed_in, make_user, db):
    from datetime import timedelta

    client = signed_in("boss", roles=("admin",))
    make_user("carol", org="BHSCT")
    db.add(
        SignInThrottle(
            username="carol", failed_count=5, last_failed_at=utcnow(), locked_until=utcnow() - timedelta(seconds=1)
        )
    )
    db.commit()
    assert "Locked" not in client.get("/admin/users").text


def test_audit_records_cannot_be_changed_or_deleted(signed_in, make_user, db, app):
    client = signed_in("boss", roles=("admin",))
    _post(client, "/admin/users", {"display_name": "Dan", "username": "dan", "roles": ["manager"]})
    assert db.exec(select(AuditRecord)).first() is not None
    db.rollback()  # end the read, or TRUNCATE below would wait for its lock
    with app.state.engine.connect() as connection:
        statements = ["UPDATE audit_record SET actor = 'someone else'", "DELETE FROM audit_record"]
        if connection.dialect.name == "postgresql":
            statements.append("TRUNCATE audit_record")
        for statement in statements:
            with pytest.raises(DBAPIError):
                connection.execute(text(statement))
            connection.rollback()
