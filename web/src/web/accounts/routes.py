"""Sign-in, sign-out and the administration of an organisation's users.

Sign-in, changing one's password and adding a user with a password weigh or hash passwords with
argon2, never inside a database session: a short session reads what is needed, the password is
weighed off the event loop (`web.accounts.hashing`), and a second short session records the
outcome. Pages that only read and change the web's own database use a session for the whole route
(SessionDep), declared after the user's dependency, so no request holds one database place while
it waits for another."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from servicekit.db import in_session
from web.accounts import service
from web.accounts.auth import (
    CurrentIdentity,
    Identity,
    RequireScopes,
    cookie_names,
    identify,
    new_signin_token,
    now,
    optional_identity,
    set_cookie,
)
from web.accounts.hashing import hashing
from web.accounts.models import User, UserSession
from web.accounts.roles import ROLE_LABELS, Role, parse_roles
from web.db import SessionDep
from web.pages import render

router = APIRouter()

LOCKED_MESSAGE = (
    "This account is temporarily locked because of too many failed sign-in attempts. "
    "Try again in {minutes} minutes, or ask an administrator of your organisation to unlock it."
)
INVALID_MESSAGE = "The username or password is not right"

Admin = Annotated[Identity, Depends(RequireScopes("users:admin"))]
# Checkboxes: a form with none ticked sends no `roles` at all.
RolesField = Annotated[list[str], Form(default_factory=list)]


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (//evil.example, /\\evil.example, https://...)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ch in target for ch in "\r\n\\"):
        return "/"
    return target


# --- sign-in and sign-out -------------------------------------------------------------------


def _sign_in_page(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    signed_out: bool = False,
    status_code: int = 200,
) -> Response:
    token = new_signin_token(request)
    response = render(
        request,
        "accounts/sign_in.html",
        {
            "page_title": "Sign in",
            "next_url": next_url,
            "username": username,
            "errors": errors or {},
            "notice": notice,
            "signed_out": signed_out,
        },
        status_code=status_code,
    )
    if token:
        set_cookie(request, response, cookie_names(request)[1], token, max_age=3600)
    return response


@router.get("/sign-in", include_in_schema=False)
async def sign_in_form(
    request: Request,
    identity: Annotated[Identity | None, Depends(optional_identity)],
    next: str = "/",
    signed_out: bool = False,
) -> Response:
    if identity is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_page(request, next_url=safe_next(next), signed_out=signed_out)


MANAGER_HOME = "/monitoring"


def landing(next_url: str, user: User | None) -> str:
    """Where a sign-in lands: the page the user asked for, or for a manager who asked for none,
    their home: My organisation."""
    if next_url == "/" and user is not None and Role.manager.value in user.roles:
        return MANAGER_HOME
    return next_url


@router.post("/sign-in", include_in_schema=False)
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings = request.app.state.settings
    next_url = safe_next(next)
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105  (a message, not a password)
    if errors:
        return _sign_in_page(request, next_url=next_url, username=username, errors=errors, status_code=422)

    at = now(request)
    session_cookie, signin_cookie = cookie_names(request)
    check = await in_session(request.app, partial(service.read_sign_in, now=at), username)
    verdict = await hashing(request, service.weigh_password, check, password)
    conclude = partial(
        _conclude_sign_in,
        at=at,
        threshold=settings.lockout_threshold,
        lockout_minutes=settings.lockout_minutes,
        ttl_minutes=settings.session_ttl_minutes,
        origin=origin(request),
        old_token=request.cookies.get(session_cookie),
    )
    status, token = await in_session(request.app, conclude, check, verdict)
    if status == service.SignInStatus.locked:
        return _sign_in_page(
            request,
            next_url=next_url,
            username=username,
            status_code=429,
            notice=LOCKED_MESSAGE.format(minutes=settings.lockout_minutes),
        )
    if token is None:
        return _sign_in_page(
            request, next_url=next_url, username=username, errors={"username": INVALID_MESSAGE}, status_code=422
        )
    response = RedirectResponse(landing(next_url, check.account), status_code=303)
    set_cookie(request, response, session_cookie, token, max_age=settings.session_ttl_minutes * 60)
    response.delete_cookie(
        signin_cookie, path="/", secure=settings.session_cookie_secure, httponly=True, samesite="lax"
    )
    return response


SIGN_IN_EVENTS = {
    service.SignInStatus.ok: service.EventKind.signed_in,
    service.SignInStatus.locked: service.EventKind.sign_in_locked,
}


def _conclude_sign_in(
    db: Session,
    check: service.SignInCheck,
    verdict: service.Verdict,
    *,
    at: datetime,
    threshold: int,
    lockout_minutes: int,
    ttl_minutes: int,
    origin: service.Origin,
    old_token: str | None,
) -> tuple[service.SignInStatus, str | None]:
    """Count the attempt, record it, and for the right password start a session (ending the one
    the browser had): the sign-in's status and the new session's cookie token."""
    result = service.record_sign_in(db, check, verdict, now=at, threshold=threshold, lockout_minutes=lockout_minutes)
    kind = SIGN_IN_EVENTS.get(result.status, service.EventKind.sign_in_failed)
    service.record_event(db, kind, result.account, now=at, origin=origin)
    if result.status != service.SignInStatus.ok or result.user is None:
        return result.status, None
    if old_token:
        service.end_session(db, old_token)
    token, _ = service.start_session(db, result.user, now=at, ttl_minutes=ttl_minutes)
    return result.status, token


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request) -> Response:
    settings = request.app.state.settings
    session_cookie, _ = cookie_names(request)
    token = request.cookies.get(session_cookie)
    if token:
        identity = await identify(request)
        user = identity.user if identity is not None else None
        await in_session(request.app, partial(_end_session, at=now(request), origin=origin(request)), token, user)
    response = RedirectResponse("/sign-in?signed_out=true", status_code=303)
    response.delete_cookie(
        session_cookie, path="/", secure=settings.session_cookie_secure, httponly=True, samesite="lax"
    )
    return response


def _end_session(db: Session, token: str, user: User | None, *, at: datetime, origin: service.Origin) -> None:
    service.end_session(db, token)
    if user is not None:
        service.record_event(db, service.EventKind.signed_out, user, now=at, origin=origin)


def origin(request: Request) -> service.Origin:
    """The address (uvicorn's proxy headers make it the browser's, behind the ingress) and browser."""
    return service.Origin(request.client.host if request.client else None, request.headers.get("user-agent"))


# --- the user's own account -----------------------------------------------------------------


@router.get("/account", include_in_schema=False)
def account(request: Request, identity: CurrentIdentity, changed: bool = False) -> Response:
    return render(
        request,
        "accounts/account.html",
        {
            "page_title": "Your account",
            "roles": [ROLE_LABELS[role][0] for role in parse_roles(identity.user.roles)],
            "changed": changed,
        },
    )


def _password_page(
    request: Request, *, errors: dict[str, str] | None = None, notice: str | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "accounts/password.html",
        {"page_title": "Change your password", "errors": errors or {}, "notice": notice},
        status_code=status_code,
    )


@router.get("/account/password", include_in_schema=False)
def password_form(request: Request, identity: CurrentIdentity) -> Response:
    return _password_page(request)


@router.post("/account/password", include_in_schema=False)
async def change_password(
    request: Request,
    identity: CurrentIdentity,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    settings = request.app.state.settings
    errors: dict[str, str] = {}
    if not current_password:
        errors["current_password"] = "Enter your current password"  # noqa: S105  (a message, not a password)
    errors.update(service.new_password_problems(current_password, new_password, confirm_password))
    if errors:
        return _password_page(request, errors=errors, status_code=422)
    # The current password is checked as a sign-in is, so guessing it here counts towards the same
    # lockout: a session left open gives no way round the limit on guesses.
    at = now(request)
    check = await in_session(request.app, partial(service.read_sign_in, now=at), identity.user.username)
    verdict, new_hash = await hashing(request, _weigh_and_hash, check, current_password, new_password)
    conclude = partial(
        _conclude_password_change,
        at=at,
        threshold=settings.lockout_threshold,
        lockout_minutes=settings.lockout_minutes,
        origin=origin(request),
    )
    status = await in_session(request.app, conclude, check, verdict, identity.user, identity.session, new_hash)
    if status == service.SignInStatus.locked:
        notice = LOCKED_MESSAGE.format(minutes=settings.lockout_minutes)
        return _password_page(request, notice=notice, status_code=429)
    if status != service.SignInStatus.ok:
        errors = {"current_password": "Your current password is not right"}
        return _password_page(request, errors=errors, status_code=422)
    return RedirectResponse("/account?changed=true", status_code=303)


def _weigh_and_hash(check: service.SignInCheck, current: str, new: str) -> tuple[service.Verdict, str | None]:
    """The current password weighed and, if it is right, the new one hashed (argon2 only)."""
    verdict = service.weigh_password(check, current)
    if not verdict.good:
        return verdict, None
    # No rehash of the current password: it is about to be replaced.
    return service.Verdict(True), service.hash_password(new)


def _conclude_password_change(
    db: Session,
    check: service.SignInCheck,
    verdict: service.Verdict,
    user: User,
    keep: UserSession,
    new_hash: str | None,
    *,
    at: datetime,
    threshold: int,
    lockout_minutes: int,
    origin: service.Origin,
) -> service.SignInStatus:
    checked = service.record_sign_in(db, check, verdict, now=at, threshold=threshold, lockout_minutes=lockout_minutes)
    if checked.status != service.SignInStatus.ok or new_hash is None:
        service.record_event(db, service.EventKind.password_change_failed, user, now=at, origin=origin)
        return checked.status
    service.change_password(db, user, new_hash, keep=keep, now=at)
    service.record_event(db, service.EventKind.password_changed, user, now=at, origin=origin)
    return checked.status


# --- administration of users ----------------------------------------------------------------


def _user_or_404(db: Session, admin: Identity, uid: uuid.UUID) -> User:
    user = service.get_user(db, admin.user.org, uid)
    if user is None:
        raise HTTPException(404)
    return user


@router.get("/admin/users", include_in_schema=False)
def list_users(request: Request, admin: Admin, db: SessionDep) -> Response:
    users = service.list_users(db, admin.user.org)
    locked = service.locked_usernames(db, [u.username for u in users], now=now(request))
    return render(
        request,
        "admin/users.html",
        {
            "page_title": "Users",
            "users": users,
            "locked": locked,
            "org": admin.user.org,
        },
    )


def _new_user_page(
    request: Request, admin: Identity, *, form: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "admin/new_user.html",
        {
            "page_title": "Add a user",
            "form": form,
            "errors": errors,
            "org": admin.user.org,
        },
        status_code=status_code,
    )


@router.get("/admin/users/new", include_in_schema=False)
def new_user_form(request: Request, admin: Admin) -> Response:
    return _new_user_page(request, admin, form={"roles": []}, errors={})


@router.post("/admin/users", include_in_schema=False)
async def create_user(
    request: Request,
    admin: Admin,
    roles: RolesField,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=500)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    form = {"username": username, "display_name": display_name, "roles": roles}
    given = password or None
    chosen = given or service.generate_password()
    new = service.NewUser(username=username, display_name=display_name, roles=roles, password=chosen)
    if service.password_problem(chosen) is None:  # a password refused is named, not hashed
        new.password_hash = await hashing(request, service.hash_password, chosen)
    try:
        user, _ = await in_session(request.app, service.create_user, admin.principal, admin.user.org, new)
    except service.InvalidInput as exc:
        return _new_user_page(request, admin, form=form, errors=exc.errors, status_code=422)
    return render(
        request,
        "admin/user_created.html",
        {
            "page_title": "User added",
            "created": user,
            "generated_password": None if given else chosen,
        },
        status_code=201,
    )


def _manage_page(
    request: Request,
    db: Session,
    admin: Identity,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    roles: list[str] | None = None,
    updated: str | None = None,
    status_code: int = 200,
) -> Response:
    locked = user.username in service.locked_usernames(db, [user.username], now=now(request))
    return render(
        request,
        "admin/user.html",
        {
            "page_title": user.display_name,
            "subject": user,
            "locked": locked,
            "errors": errors or {},
            "chosen_roles": roles if roles is not None else list(user.roles),
            "updated": updated,
            "is_self": user.id == admin.user.id,
        },
        status_code=status_code,
    )


UPDATES = {
    "roles": "Roles updated",
    "deactivated": "Account deactivated: the user is signed out and can no longer sign in",
    "reactivated": "Account reactivated",
    "unlocked": "Account unlocked",
    "not-locked": "The account was not locked",
}


EVENT_LABELS = {
    service.EventKind.signed_in: "Signed in",
    service.EventKind.sign_in_failed: "Sign-in failed: wrong password",
    service.EventKind.sign_in_locked: "Sign-in refused: account locked",
    service.EventKind.signed_out: "Signed out",
    service.EventKind.password_changed: "Changed their password",
    service.EventKind.password_change_failed: "Password not changed: wrong current password",
}


@router.get("/admin/sign-ins", include_in_schema=False)
def sign_in_record(
    request: Request,
    admin: Admin,
    db: SessionDep,
    before: Annotated[int | None, Query(ge=1)] = None,
    user: uuid.UUID | None = None,
) -> Response:
    """Sign-ins, failures, sign-outs and password changes of the organisation's users, newest first."""
    events, older = service.list_events(db, admin.user.org, before=before, user=user)
    subject = service.get_user(db, admin.user.org, user) if user else None
    return render(
        request,
        "admin/sign_ins.html",
        {
            "page_title": "Sign-in activity",
            "events": events,
            "older": older,
            "before": before,
            "subject": subject,
            "user_filter": user,
            "labels": EVENT_LABELS,
            "retention_days": request.app.state.settings.sign_in_audit_retention_days,
        },
    )


@router.get("/admin/users/{uid}", include_in_schema=False)
def manage_user(request: Request, uid: uuid.UUID, admin: Admin, db: SessionDep, updated: str | None = None) -> Response:
    user = _user_or_404(db, admin, uid)
    return _manage_page(request, db, admin, user, updated=UPDATES.get(updated or ""))


def _done(uid: uuid.UUID, what: str) -> Response:
    return RedirectResponse(f"/admin/users/{uid}?updated={what}", status_code=303)


@router.post("/admin/users/{uid}/roles", include_in_schema=False)
def change_roles(request: Request, uid: uuid.UUID, admin: Admin, db: SessionDep, roles: RolesField) -> Response:
    user = _user_or_404(db, admin, uid)
    try:
        service.set_roles(db, admin.principal, user, roles)
    except service.InvalidInput as exc:
        return _manage_page(request, db, admin, user, errors=exc.errors, roles=roles, status_code=422)
    return _done(uid, "roles")


@router.post("/admin/users/{uid}/deactivate", include_in_schema=False)
def deactivate_user(request: Request, uid: uuid.UUID, admin: Admin, db: SessionDep) -> Response:
    user = _user_or_404(db, admin, uid)
    try:
        service.deactivate(db, admin.principal, user)
    except service.InvalidInput as exc:
        return _manage_page(request, db, admin, user, errors=exc.errors, status_code=422)
    return _done(uid, "deactivated")


@router.post("/admin/users/{uid}/reactivate", include_in_schema=False)
def reactivate_user(request: Request, uid: uuid.UUID, admin: Admin, db: SessionDep) -> Response:
    user = _user_or_404(db, admin, uid)
    service.reactivate(db, admin.principal, user)
    return _done(uid, "reactivated")


@router.post("/admin/users/{uid}/unlock", include_in_schema=False)
def unlock_user(request: Request, uid: uuid.UUID, admin: Admin, db: SessionDep) -> Response:
    user = _user_or_404(db, admin, uid)
    was_locked = service.unlock(db, admin.principal, user, now=now(request))
    return _done(uid, "unlocked" if was_locked else "not-locked")
