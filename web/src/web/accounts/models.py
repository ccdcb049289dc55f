"""The web's own tables: local user accounts, server-side sessions and sign-in lockout."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from web.db import utcnow


class User(SQLModel, table=True):
    __tablename__ = "web_user"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    username: str = Field(max_length=50, unique=True, description="Stored lower-case; sign-in ignores case.")
    display_name: str = Field(max_length=100)
    org: str = Field(max_length=20, index=True)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def snapshot(self) -> dict[str, Any]:
        """What the audit trail records of a user (never the password hash)."""
        return {
            "username": self.username,
            "display_name": self.display_name,
            "org": self.org,
            "roles": list(self.roles),
            "active": self.active,
        }


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("web_user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins by username, whether or not such a user exists (so lockout reveals nothing)."""

    __tablename__ = "sign_in_throttle"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=200, unique=True)
    failed_count: int = 0
    last_failed_at: datetime | None = Field(default=None)
    locked_until: datetime | None = Field(default=None)


class SignInEvent(SQLModel, table=True):
    """Who signed in, failed to, was refused while locked, signed out or changed their password,
    and when: the security record an organisation's administrators read. Unlike audit_record it is
    not append-only: `web purge` removes what is older than its retention period."""

    __tablename__ = "sign_in_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    kind: str = Field(max_length=30)
    # The account's id, name and organisation; all None for a name that is no account (what was
    # typed is not kept: it may be a password typed into the wrong box).
    user_uid: uuid.UUID | None = Field(default=None, index=True)
    username: str | None = Field(default=None, max_length=50)
    org: str | None = Field(default=None, max_length=20, index=True)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
