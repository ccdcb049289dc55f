"""Accounts, sign-in with lockout, server-side sessions and user administration.

Plain functions taking a database Session and the time; no web framework here. Every change an
administrator makes appends an audit record in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, delete, select, update

from servicekit import audit
from servicekit.auth import Principal
from servicekit.db import rowcount
from servicekit.errors import DatabaseBusy
from web.accounts.models import SignInEvent, SignInThrottle, User, UserSession
from web.accounts.organisations import is_organisation
from web.accounts.roles import Role, parse_roles
from web.db import utcnow

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,49}$")

# argon2id at OWASP's recommended cost (Password Storage Cheat Sheet: 19 MiB, 2 passes, 1 lane):
# about 17 ms here, where the library's default (64 MiB, 3 passes, 4 lanes) took 140 ms, so 200
# people signing in at the start of a panel day are in within seconds, not queued past a minute.
# Hashes made with other parameters are upgraded at the next sign-in (check_needs_rehash).
PRODUCTION_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_hasher = PRODUCTION_HASHER
_dummy_hash: str | None = None


class InvalidInput(Exception):
    """Field-level problems with what was entered: {field: message}, in the order of the form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- passwords ------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _spend_a_verification(password: str) -> None:
    """Cost an unknown username the same time as a known one, so timing reveals nothing."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    return None


def normalise_username(value: str) -> str:
    return value.strip().lower()


# --- sign-in and lockout --------------------------------------------------------------------


class SignInStatus(StrEnum):
    ok = "ok"
    invalid = "invalid"
    locked = "locked"


@dataclass(frozen=True)
class SignInResult:
    status: SignInStatus
    user: User | None = None  # the user signed in (status ok)
    account: User | None = None  # the account of that username, whatever the status (for the record)


# A sign-in is three steps, so that argon2 (tens of milliseconds of CPU and 64 MiB) never runs while
# a database connection is held: `read_sign_in` (a short session), `weigh_password` (no database;
# the web runs it off the event loop, a few at once), `record_sign_in` (a second short session,
# which counts the attempt against the name's state as it is then, whatever other attempts for the
# same name did meanwhile).


@dataclass(frozen=True)
class SignInCheck:
    """What a sign-in reads before the password is weighed."""

    key: str  # the username as counted (normalised)
    locked: bool  # the name is locked now: the password is not weighed at all
    account: User | None  # the account of that name, active or not


@dataclass(frozen=True)
class Verdict:
    """The password weighed: right (for an active account), and a fresh hash of it when the stored
    one was made with other parameters than today's."""

    good: bool
    rehashed: str | None = None


def read_sign_in(db: Session, username: str, *, now: datetime) -> SignInCheck:
    key = normalise_username(username)[:200]
    throttle = db.exec(select(SignInThrottle).where(SignInThrottle.username == key)).first()
    user = db.exec(select(User).where(User.username == key)).first() if key else None
    locked = throttle is not None and throttle.locked_until is not None and throttle.locked_until > now
    return SignInCheck(key, locked, user)


def weigh_password(check: SignInCheck, password: str) -> Verdict:
    """argon2 only, no database. A locked name and a name that is no account cost one verification
    too, so the time taken reveals neither."""
    user = check.account
    if check.locked or user is None:
        _spend_a_verification(password)
        return Verdict(False)
    good = verify_password(user.password_hash, password) and user.active
    rehashed = hash_password(password) if good and _hasher.check_needs_rehash(user.password_hash) else None
    return Verdict(good, rehashed)


def record_sign_in(
    db: Session,
    check: SignInCheck,
    verdict: Verdict,
    *,
    now: datetime,
    threshold: int,
    lockout_minutes: int,
) -> SignInResult:
    """Count the attempt and commit. Failures are counted per username, known or not; after
    `threshold` of them the name is locked for `lockout_minutes`, and attempts while locked are
    refused (and still counted) even with the right password. Attempts for one name at the same
    time each count: the count is changed only if no other attempt changed it since it was read
    (otherwise it is read again), and two first failures at once cannot both make the name's row."""
    window = timedelta(minutes=lockout_minutes)
    good = verdict.good and not check.locked
    for _ in range(_RECORD_ATTEMPTS):
        try:
            status = _count_attempt(db, check.key, good=good, now=now, threshold=threshold, window=window)
        except IntegrityError:
            # Two first failures for the same name at once: the other one made the row.
            db.rollback()
            continue
        if status is None:  # another attempt changed the count since it was read
            db.rollback()
            continue
        if check.locked:
            # The password was not weighed: whatever the name's state now, this attempt is refused.
            status = SignInStatus.locked
        user = check.account
        if status == SignInStatus.ok:
            assert user is not None
            if verdict.rehashed is not None:
                # Only over the hash just verified (never over a password changed meanwhile).
                db.execute(
                    update(User)
                    .where(col(User.id) == user.id, col(User.password_hash) == user.password_hash)
                    .values(password_hash=verdict.rehashed),
                    execution_options=_UNSYNCHRONISED,
                )
            db.commit()
            return SignInResult(SignInStatus.ok, user, account=user)
        db.commit()
        return SignInResult(status, account=user)
    # So many attempts for this name at once that this one never found its count still: come back.
    raise DatabaseBusy(f"the sign-in count of {check.key!r} kept changing under {_RECORD_ATTEMPTS} attempts")


# Each time the count is read again, another attempt for the name has been counted; the web weighs
# a few passwords at a time (web.accounts.hashing), so few attempts for one name reach this at once.
_RECORD_ATTEMPTS = 20
# The statements below change rows by their state in the database, not objects in the session.
_UNSYNCHRONISED = {"synchronize_session": False}


def _count_attempt(
    db: Session, key: str, *, good: bool, now: datetime, threshold: int, window: timedelta
) -> SignInStatus | None:
    """The name's count after one attempt, written (not committed) only over the state it was read
    in; None if that state changed in the meantime."""
    query = select(SignInThrottle).where(SignInThrottle.username == key)
    throttle = db.exec(query.execution_options(populate_existing=True)).first()
    if throttle is None:
        if good:
            return SignInStatus.ok
        locks = threshold <= 1
        db.add(
            SignInThrottle(
                username=key, failed_count=1, last_failed_at=now, locked_until=now + window if locks else None
            )
        )
        db.flush()  # IntegrityError if another attempt made the row first
        return SignInStatus.locked if locks else SignInStatus.invalid
    count, last_failed_at, locked_until = throttle.failed_count, throttle.last_failed_at, throttle.locked_until
    unchanged = (
        col(SignInThrottle.id) == throttle.id,
        col(SignInThrottle.failed_count) == count,
        _same(col(SignInThrottle.last_failed_at), last_failed_at),
        _same(col(SignInThrottle.locked_until), locked_until),
    )
    if locked_until is not None and locked_until > now:
        status, values = SignInStatus.locked, {"failed_count": count + 1, "last_failed_at": now}
    else:
        stale = last_failed_at is None or now - last_failed_at > window
        if locked_until is not None or stale:
            count, locked_until = 0, None
        if good:
            done = db.execute(delete(SignInThrottle).where(*unchanged), execution_options=_UNSYNCHRONISED)
            db.expunge(throttle)
            return SignInStatus.ok if rowcount(done) == 1 else None
        count += 1
        status = SignInStatus.invalid
        if count >= threshold:
            locked_until = now + window
            status = SignInStatus.locked
        values = {"failed_count": count, "last_failed_at": now, "locked_until": locked_until}
    done = db.execute(update(SignInThrottle).where(*unchanged).values(**values), execution_options=_UNSYNCHRONISED)
    db.expunge(throttle)
    return status if rowcount(done) == 1 else None


def _same(column: Mapped[datetime | None], value: datetime | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def locked_usernames(db: Session, usernames: Iterable[str], *, now: datetime) -> set[str]:
    names = list(usernames)
    if not names:
        return set()
    rows = db.exec(
        select(SignInThrottle).where(
            col(SignInThrottle.username).in_(names), col(SignInThrottle.locked_until).is_not(None)
        )
    ).all()
    return {row.username for row in rows if row.locked_until and row.locked_until > now}


# --- the sign-in record ---------------------------------------------------------------------


class EventKind(StrEnum):
    signed_in = "signed_in"
    sign_in_failed = "sign_in_failed"
    sign_in_locked = "sign_in_locked"  # refused, the name being locked (the password not even weighed)
    signed_out = "signed_out"
    password_changed = "password_changed"  # noqa: S105  (the name of an event, not a password)
    password_change_failed = "password_change_failed"  # noqa: S105  (the current password given was wrong)


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as the sign-in record keeps it."""

    ip: str | None = None
    user_agent: str | None = None


def record_event(db: Session, kind: EventKind, account: User | None, *, now: datetime, origin: Origin) -> None:
    """Append to the sign-in record and commit. A name that is no account is recorded without it."""
    db.add(
        SignInEvent(
            at=now,
            kind=kind.value,
            user_uid=account.uid if account else None,
            username=account.username if account else None,
            org=account.org if account else None,
            ip=(origin.ip or None) and origin.ip[:64],
            user_agent=(origin.user_agent or None) and origin.user_agent[:300],
        )
    )
    db.commit()


def list_events(
    db: Session, org: str, *, before: int | None = None, user: uuid.UUID | None = None, limit: int = 50
) -> tuple[list[SignInEvent], int | None]:
    """The organisation's sign-in record, newest first, and the id to continue before (or None)."""
    query = select(SignInEvent).where(SignInEvent.org == org)
    if user is not None:
        query = query.where(SignInEvent.user_uid == user)
    if before is not None:
        query = query.where(col(SignInEvent.id) < before)
    rows = list(db.exec(query.order_by(col(SignInEvent.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


# --- changing one's own password ------------------------------------------------------------


def new_password_problems(current: str, new: str, confirm: str) -> dict[str, str]:
    """What is wrong with a new password and its confirmation, by form field."""
    errors: dict[str, str] = {}
    if not new:
        errors["new_password"] = "Enter a new password"  # noqa: S105  (a message, not a password)
    elif problem := password_problem(new):
        errors["new_password"] = problem
    elif new == current:
        errors["new_password"] = "Choose a new password that is not your current one"  # noqa: S105
    if not confirm:
        errors["confirm_password"] = "Enter the new password again"  # noqa: S105
    elif new and confirm != new:
        errors["confirm_password"] = "The passwords do not match: enter the new password again"  # noqa: S105
    return errors


def change_password(db: Session, user: User, password_hash: str, *, keep: UserSession, now: datetime) -> int:
    """Set the user's password (its hash, made beforehand with `hash_password` outside any database
    session) and end every other session of theirs (a browser someone else may be using); this one
    stays signed in. Returns how many sessions ended."""
    assert user.id is not None
    db.execute(
        update(User).where(col(User.id) == user.id).values(password_hash=password_hash, updated_at=now),
        execution_options=_UNSYNCHRONISED,
    )
    ended = db.execute(delete(UserSession).where(col(UserSession.user_id) == user.id, col(UserSession.id) != keep.id))
    actor = Principal(subject=str(user.uid), org=user.org, scopes=frozenset(), name=user.display_name)
    audit.record(db, actor, "user.password.change", "user", user.uid, after={"other_sessions_ended": rowcount(ended)})
    db.commit()
    return rowcount(ended)


# --- retention ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    sessions: int
    events: int
    throttles: int


def purge(db: Session, *, now: datetime, event_days: int, lockout_minutes: int) -> Purged:
    """Remove expired sessions, sign-in records older than `event_days`, and failed-sign-in counts
    that have lapsed (no lock in force, no failure within the lockout window). The append-only
    audit_record of administrators' changes is never removed."""
    sessions = rowcount(db.execute(delete(UserSession).where(col(UserSession.expires_at) <= now)))
    events = rowcount(db.execute(delete(SignInEvent).where(col(SignInEvent.at) < now - timedelta(days=event_days))))
    lapsed = now - timedelta(minutes=lockout_minutes)
    throttles = rowcount(
        db.execute(
            delete(SignInThrottle).where(
                or_(col(SignInThrottle.locked_until).is_(None), col(SignInThrottle.locked_until) <= now),
                or_(col(SignInThrottle.last_failed_at).is_(None), col(SignInThrottle.last_failed_at) <= lapsed),
            )
        )
    )
    db.commit()
    return Purged(sessions, events, throttles)


# --- sessions -------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Session, user: User, *, now: datetime, ttl_minutes: int) -> tuple[str, UserSession]:
    """A new session for a signed-in user; returns the cookie token (only its hash is kept)."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    record = UserSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(minutes=ttl_minutes),
    )
    db.add(record)
    db.execute(delete(UserSession).where(col(UserSession.user_id) == user.id, col(UserSession.expires_at) <= now))
    db.commit()
    return token, record


def find_session(db: Session, token: str, *, now: datetime) -> tuple[UserSession, User] | None:
    if not token:
        return None
    row = db.exec(
        select(UserSession, User)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(UserSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    record, user = row
    if record.expires_at <= now or not user.active:
        return None
    return record, user


def end_session(db: Session, token: str) -> None:
    db.execute(delete(UserSession).where(col(UserSession.token_hash) == token_hash(token)))
    db.commit()


# --- administration -------------------------------------------------------------------------


@dataclass
class NewUser:
    username: str
    display_name: str
    roles: list[str] = field(default_factory=list)
    password: str | None = None  # None: generate one
    uid: uuid.UUID | None = None  # None: a new random id (the demo accounts have fixed ones)
    # The hash of `password`, made beforehand outside any database session (None: made here).
    password_hash: str | None = None


def list_users(db: Session, org: str) -> list[User]:
    return list(db.exec(select(User).where(User.org == org).order_by(col(User.username))).all())


def get_user(db: Session, org: str, uid: uuid.UUID) -> User | None:
    """A user of `org`; another organisation's users are not found."""
    return db.exec(select(User).where(User.uid == uid, User.org == org)).first()


def _role_values(roles: Iterable[str]) -> list[str]:
    return [role.value for role in parse_roles(roles)]


def create_user(db: Session, actor: Principal, org: str, new: NewUser) -> tuple[User, str | None]:
    """Create a user in `org`. Returns the user and the generated password (None if one was given)."""
    username = normalise_username(new.username)
    display_name = new.display_name.strip()
    errors: dict[str, str] = {}
    if not display_name:
        errors["display_name"] = "Enter the person's name"
    elif len(display_name) > 100:
        errors["display_name"] = "Name must be 100 characters or fewer"
    if not username:
        errors["username"] = "Enter a username"
    elif not USERNAME_PATTERN.match(username):
        errors["username"] = (
            "Username must be 3 to 50 characters: letters, numbers, full stops, "
            "hyphens, underscores or @, starting with a letter or number"
        )
    elif db.exec(select(User).where(User.username == username)).first() is not None:
        errors["username"] = "A user with this username already exists"
    unknown = set(new.roles) - {role.value for role in Role}
    roles = _role_values(new.roles)
    if unknown:
        errors["roles"] = "Choose roles from the list"
    elif not roles:
        errors["roles"] = "Select at least one role"
    generated = None
    password = new.password
    if password:
        if problem := password_problem(password):
            errors["password"] = problem
    else:
        password = generated = generate_password()
    if not is_organisation(org):
        errors["org"] = "Unknown organisation"
    if errors:
        raise InvalidInput(errors)

    password_hash = new.password_hash or hash_password(password)
    user = User(username=username, display_name=display_name, org=org, roles=roles, password_hash=password_hash)
    if new.uid is not None:
        user.uid = new.uid
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise InvalidInput({"username": "A user with this username already exists"}) from exc
    audit.record(db, actor, "user.create", "user", user.uid, after=user.snapshot())
    db.commit()
    return user, generated


def set_roles(db: Session, actor: Principal, user: User, roles: Iterable[str]) -> User:
    wanted = list(roles)
    chosen = _role_values(wanted)
    if set(wanted) - {role.value for role in Role}:
        raise InvalidInput({"roles": "Choose roles from the list"})
    if not chosen:
        raise InvalidInput({"roles": "Select at least one role"})
    if str(user.uid) == actor.subject and Role.admin.value not in chosen:
        raise InvalidInput({"roles": "You cannot remove the administrator role from your own account"})
    if chosen == list(user.roles):
        return user
    before = user.snapshot()
    user.roles = chosen
    user.updated_at = utcnow()
    db.add(user)
    audit.record(db, actor, "user.roles.change", "user", user.uid, before=before, after=user.snapshot())
    db.commit()
    return user


def deactivate(db: Session, actor: Principal, user: User) -> User:
    """The user can no longer sign in; their sessions end at once."""
    if str(user.uid) == actor.subject:
        raise InvalidInput({"deactivate": "You cannot deactivate your own account"})
    if not user.active:
        return user
    before = user.snapshot()
    user.active = False
    user.updated_at = utcnow()
    db.add(user)
    db.execute(delete(UserSession).where(col(UserSession.user_id) == user.id))
    audit.record(db, actor, "user.deactivate", "user", user.uid, before=before, after=user.snapshot())
    db.commit()
    return user


def reactivate(db: Session, actor: Principal, user: User) -> User:
    if user.active:
        return user
    before = user.snapshot()
    user.active = True
    user.updated_at = utcnow()
    db.add(user)
    audit.record(db, actor, "user.reactivate", "user", user.uid, before=before, after=user.snapshot())
    db.commit()
    return user


def unlock(db: Session, actor: Principal, user: User, *, now: datetime) -> bool:
    """Clear a lockout (and the failed sign-ins counted) for the user; False if none was there."""
    throttle = db.exec(select(SignInThrottle).where(SignInThrottle.username == user.username)).first()
    if throttle is None:
        return False
    was_locked = throttle.locked_until is not None and throttle.locked_until > now
    before = {
        "failed_count": throttle.failed_count,
        "locked_until": throttle.locked_until.isoformat() if throttle.locked_until else None,
    }
    db.delete(throttle)
    audit.record(
        db, actor, "user.unlock", "user", user.uid, before=before, after={"failed_count": 0, "locked_until": None}
    )
    db.commit()
    return was_locked


def ensure_admin(
    db: Session, *, username: str, org: str, display_name: str, password: str | None
) -> tuple[User | None, str | None]:
    """Create the first administrator of `org` unless the username is taken.

    Returns (user, generated password) when created, (None, None) when the username exists."""
    if db.exec(select(User).where(User.username == normalise_username(username))).first() is not None:
        return None, None
    system = Principal(subject="cli:create-admin", org=org, scopes=frozenset(), name="web create-admin")
    return create_user(
        db,
        system,
        org,
        NewUser(username=username, display_name=display_name, roles=[Role.admin.value], password=password),
    )


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    roles: tuple[str, ...]
    uid: uuid.UUID


@dataclass(frozen=True)
class DemoOutcome:
    account: DemoAccount
    created: bool
    # An account of that username exists but is not the demo account (another id or organisation).
    conflict: str | None = None


def ensure_demo_users(db: Session, org: str, accounts: Iterable[DemoAccount], password: str) -> list[DemoOutcome]:
    """Create each demo account unless its username is taken; never changes an existing account."""
    system = Principal(subject="cli:create-demo-users", org=org, scopes=frozenset(), name="web create-demo-users")
    outcomes = []
    for account in accounts:
        existing = db.exec(select(User).where(User.username == normalise_username(account.username))).first()
        if existing is not None:
            conflict = None
            if existing.uid != account.uid or existing.org != org:
                conflict = (
                    f"the user {existing.username!r} already exists with another id or organisation, "
                    "so the demo panel does not include it"
                )
            outcomes.append(DemoOutcome(account, created=False, conflict=conflict))
            continue
        create_user(
            db,
            system,
            org,
            NewUser(
                username=account.username,
                display_name=account.display_name,
                roles=list(account.roles),
                password=password,
                uid=account.uid,
            ),
        )
        outcomes.append(DemoOutcome(account, created=True))
    return outcomes
