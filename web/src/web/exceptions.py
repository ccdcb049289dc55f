"""The refusals pages raise. No imports of ours: anything may raise them, and the handlers that turn
them into pages (`web.errors`, installed by `web.main`) stay at the edge."""

from __future__ import annotations


class SignInRequired(Exception):
    """No signed-in user: the page sends the browser to sign in, and back afterwards."""


class NotPermitted(Exception):
    """The signed-in user lacks a scope the page needs."""

    def __init__(self, scopes: tuple[str, ...] = ()) -> None:
        super().__init__(", ".join(scopes))
        self.scopes = scopes


class CsrfRefused(Exception):
    """A form or htmx request that changes something came without this session's CSRF token."""
