"""The user directory: the organisation's people as the pages name them. The services know people
only by the token subject (the user's id); these are the names behind those ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Protocol

from sqlmodel import Session, col, select

from web.accounts.models import User
from web.accounts.roles import scopes_for


class Me(Protocol):
    """The signed-in user, as far as naming them goes."""

    @property
    def user(self) -> User: ...


def people(db: Session, org: str, ids: Iterable[str] | None = None) -> dict[str, User]:
    """The organisation's users by id (the token subject the services know them by)."""
    query = select(User).where(User.org == org)
    if ids is not None:
        wanted = []
        for value in ids:
            try:
                wanted.append(uuid.UUID(value))
            except ValueError:
                continue
        query = query.where(col(User.uid).in_(wanted))
    return {str(user.uid): user for user in db.exec(query.order_by(col(User.display_name)))}


def person_name(directory: Mapping[str, User], subject: str, me: Me | None = None) -> str:
    if me is not None and subject == str(me.user.uid):
        return f"{me.user.display_name} (you)"
    user = directory.get(subject)
    return user.display_name if user else "An assessor not in Collective's accounts"


def people_with_scope(db: Session, org: str, scope: str) -> dict[str, str]:
    """The organisation's active users whose roles give `scope`, by id: e.g. who can sit on a panel."""
    return {
        uid: user.display_name
        for uid, user in people(db, org).items()
        if user.active and scope in scopes_for(user.roles)
    }
