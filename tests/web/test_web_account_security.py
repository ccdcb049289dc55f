"""Users' own passwords, the sign-in record and retention (issue 6 §8): a "change your password"
page (current, new and confirmation; argon2; every other session of the user ended; wrong current
passwords count towards the sign-in lockout); sign-ins, failures, refusals while locked, sign-outs
and password changes recorded in the web's sign-in table and shown to the organisation's
administrators; and `web purge` removing expired sessions and old records."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from servicekit.audit import AuditRecord
from web import db as web_db
from web.accounts import service
from web.accounts.models import SignInEvent, SignInThrottle, User, UserSession
from web.cli import app as cli

PASSWORD = "a-long-enough-password"  # the password conftest's users have
NEW_PASSWORD = "a-new-and-long-password"


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def change(client, current: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    page = client.get("/account/password")
    assert page.status_code == 200
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
            "csrf_token": csrf_from(page.text),
        },
    )


def events(app, **where) -> list[SignInEvent]:
    with Session(app.state.engine) as session:
        query = select(SignInEvent).order_by(SignInEvent.id)
        for name, value in where.items():
            query = query.where(getattr(SignInEvent, name) == value)
        return list(session.exec(query))


# --- changing one's own password ------------------------------------------------------------


def test_the_account_page_leads_to_changing_the_password(signed_in):
    client = signed_in("nurse", roles=("assessor",))
    home = client.get("/")
    assert 'href="/account"' in home.text  # the name in the header
    account = client.get("/account")
    assert account.status_code == 200 and 'href="/account/password"' in account.text
    form = client.get("/account/password")
    for name, autocomplete in (
        ("current_password", "current-password"),
        ("new_password", "new-password"),
        ("confirm_password", "new-password"),
    ):
        assert f'name="{name}" type="password"' in form.text and f'autocomplete="{autocomplete}"' in form.text


def test_changing_the_password_needs_sign_in_and_the_csrf_token(client, signed_in):
    assert client.get("/account/password").status_code == 303
    signed_in("nurse")
    refused = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert refused.status_code == 403


def test_the_new_password_works_the_old_one_no_longer_and_other_sessions_end(
    client, make_client, make_user, login, app
):
    user = make_user("nurse")
    other = make_client()
    assert login(other, "nurse").status_code == 303
    assert login(client, "nurse").status_code == 303

    changed = change(client, PASSWORD)
    assert changed.status_code == 303 and changed.headers["location"] == "/account?changed=true"
    assert "Your password is changed" in client.get(changed.headers["location"]).text
    assert client.get("/").status_code == 200  # this browser stays signed in
    assert other.get("/").status_code == 303  # the other one is signed out

    with Session(app.state.engine) as session:
        stored = session.exec(select(User).where(User.uid == user.uid)).one()
        assert stored.password_hash.startswith("$argon2id$")
        assert len(session.exec(select(UserSession).where(UserSession.user_id == stored.id)).all()) == 1
        audit = session.exec(select(AuditRecord).where(AuditRecord.action == "user.password.change")).one()
        assert audit.actor == str(user.uid) and "argon2" not in str(audit.after)

    fresh = make_client()
    assert login(fresh, "nurse", PASSWORD).status_code == 422
    assert login(fresh, "nurse", NEW_PASSWORD).status_code == 303
    assert [e.kind for e in events(app, user_uid=user.uid)][-3:] == ["password_changed", "sign_in_failed", "signed_in"]


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("", NEW_PASSWORD, NEW_PASSWORD, "current-password", "Enter your current password"),
        (PASSWORD, "short", "short", "new-password", "Password must be 12 characters or more"),
        (PASSWORD, NEW_PASSWORD, "something-else-entirely", "confirm-password", "The passwords do not match"),
        (PASSWORD, PASSWORD, PASSWORD, "new-password", "not your current one"),
        ("not-the-password-at-all", NEW_PASSWORD, NEW_PASSWORD, "current-password", "current password is not right"),
    ],
)
def test_problems_are_named_beside_their_fields(signed_in, app, current, new, confirm, field, message):
    client = signed_in("nurse")
    refused = change(client, current, new, confirm)
    assert refused.status_code == 422
    assert f'href="#{field}"' in refused.text and message in refused.text
    assert "Error: Change your password" in refused.text  # the title says so too
    with Session(app.state.engine) as session:
        assert service.verify_password(session.exec(select(User)).one().password_hash, PASSWORD)


def test_guessing_the_current_password_counts_towards_the_sign_in_lockout(signed_in, app, make_client, login):
    client = signed_in("nurse")
    threshold = app.state.settings.lockout_threshold
    for _ in range(threshold - 1):
        assert change(client, "a-wrong-guess-12345").status_code == 422
    locked = change(client, "a-wrong-guess-12345")
    assert locked.status_code == 429 and "temporarily locked" in locked.text
    # Even the right current password is refused while locked, here and at sign-in.
    assert change(client, PASSWORD).status_code == 429
    assert login(make_client(), "nurse").status_code == 429
    kinds = [e.kind for e in events(app)]
    assert kinds.count("password_change_failed") == threshold + 1


# --- the sign-in record ---------------------------------------------------------------------


def test_sign_ins_failures_refusals_and_sign_outs_are_recorded(client, make_user, login, app):
    user = make_user("nurse", org="BHSCT")
    assert login(client, "nurse", "wrong-password-123").status_code == 422
    assert login(client, "nobody-of-that-name", "wrong-password-123").status_code == 422
    assert login(client, "nurse").status_code == 303
    home = client.get("/")
    assert client.post("/sign-out", data={"csrf_token": csrf_from(home.text)}).status_code == 303
    for _ in range(app.state.settings.lockout_threshold):
        login(client, "nurse", "wrong-password-123")
    login(client, "nurse")

    recorded = events(app)
    mine = [e.kind for e in recorded if e.user_uid == user.uid]
    assert mine[:3] == ["sign_in_failed", "signed_in", "signed_out"]
    assert mine[-1] == "sign_in_locked"
    unknown = [e for e in recorded if e.user_uid is None]
    assert len(unknown) == 1 and unknown[0].kind == "sign_in_failed"
    assert unknown[0].username is None and unknown[0].org is None  # what was typed is not kept
    signed = next(e for e in recorded if e.kind == "signed_in")
    assert signed.org == "BHSCT" and signed.username == "nurse" and signed.ip and signed.user_agent


def test_administrators_read_their_organisations_sign_in_activity(client, make_client, make_user, login, app):
    make_user("admin", org="BHSCT", roles=("admin",))
    nurse = make_user("nurse", org="BHSCT")
    make_user("elsewhere", org="WHSCT")
    other = make_client()
    assert login(other, "nurse", "wrong-password-123").status_code == 422
    assert login(other, "elsewhere").status_code == 303
    assert login(client, "admin").status_code == 303

    users = client.get("/admin/users")
    assert 'href="/admin/sign-ins"' in users.text
    page = client.get("/admin/sign-ins")
    assert page.status_code == 200
    assert "Sign-in failed: wrong password" in page.text and "Signed in" in page.text
    assert f'href="/admin/sign-ins?user={nurse.uid}">nurse</a>' in page.text
    assert "elsewhere" not in page.text  # another organisation's activity

    one = client.get("/admin/sign-ins", params={"user": str(nurse.uid)})
    assert "nurse" in one.text and ">admin</a>" not in one.text
    assert f'href="/admin/sign-ins?user={nurse.uid}"' in client.get(f"/admin/users/{nurse.uid}").text

    assert login(make_client(), "nurse").status_code == 303
    assert other.get("/admin/sign-ins").status_code == 403  # not an administrator


def test_the_sign_in_activity_pages_back_in_time(client, make_user, login, app):
    admin = make_user("admin", org="BHSCT", roles=("admin",))
    with Session(app.state.engine) as session:
        for _ in range(60):
            service.record_event(
                session,
                service.EventKind.sign_in_failed,
                admin,
                now=web_db.utcnow(),
                origin=service.Origin("192.0.2.1", "test"),
            )
    assert login(client, "admin").status_code == 303
    first = client.get("/admin/sign-ins")
    assert first.text.count("192.0.2.1") == 49 and "Earlier activity" in first.text  # and the sign-in
    older = first.text.split('href="/admin/sign-ins?before=', 1)[1].split('"', 1)[0]
    second = client.get(f"/admin/sign-ins?before={older}")
    assert second.text.count("192.0.2.1") == 11 and "Earlier activity" not in second.text


# --- retention ------------------------------------------------------------------------------


def test_purge_removes_expired_sessions_old_records_and_lapsed_lockouts(app, make_user):
    user = make_user("nurse")
    now = web_db.utcnow()
    retention = app.state.settings.sign_in_audit_retention_days
    with Session(app.state.engine, expire_on_commit=False) as session:
        _, live = service.start_session(session, user, now=now, ttl_minutes=60)
        _, gone = service.start_session(session, user, now=now - timedelta(hours=10), ttl_minutes=60)
        for age in (retention + 1, retention - 1):
            service.record_event(
                session, service.EventKind.signed_in, user, now=now - timedelta(days=age), origin=service.Origin()
            )
        session.add(SignInThrottle(username="lapsed", failed_count=2, last_failed_at=now - timedelta(days=2)))
        session.add(
            SignInThrottle(
                username="locked", failed_count=5, last_failed_at=now, locked_until=now + timedelta(minutes=5)
            )
        )
        session.add(SignInThrottle(username="recent", failed_count=1, last_failed_at=now))
        session.commit()

        purged = service.purge(session, now=now, event_days=retention, lockout_minutes=15)
        assert (purged.sessions, purged.events, purged.throttles) == (1, 1, 1)
        assert [s.id for s in session.exec(select(UserSession))] == [live.id]
        assert len(session.exec(select(SignInEvent)).all()) == 1
        assert {t.username for t in session.exec(select(SignInThrottle))} == {"locked", "recent"}
        assert gone.id != live.id


def test_web_purge_is_a_command(app, make_user, monkeypatch):
    user = make_user("nurse")
    monkeypatch.setenv("WEB_DATABASE_URL", app.state.settings.database_url)
    monkeypatch.setenv("WEB_SIGN_IN_AUDIT_RETENTION_DAYS", "30")
    with Session(app.state.engine) as session:
        service.start_session(session, user, now=web_db.utcnow() - timedelta(days=2), ttl_minutes=60)
        service.record_event(
            session,
            service.EventKind.signed_out,
            user,
            now=web_db.utcnow() - timedelta(days=31),
            origin=service.Origin(),
        )
    result = CliRunner().invoke(cli, ["purge"])
    assert result.exit_code == 0, result.output
    assert "removed 1 expired session(s), 1 sign-in record(s) older than 30 days" in result.output
    assert events(app) == []


def test_the_retention_period_must_be_at_least_a_day():
    from pydantic import ValidationError

    from web.config import Settings

    with pytest.raises(ValidationError):
        Settings(sign_in_audit_retention_days=0, environment="test")
