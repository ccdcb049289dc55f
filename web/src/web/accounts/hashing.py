"""argon2 off the event loop, outside any database session, a few at a time.

A hash or a verification (argon2id, 64 MiB, 3 passes) takes tens of milliseconds of CPU and its
64 MiB. On the event loop it would stall every page; inside a database session it would hold a
connection all that time, and 200 sign-ins at once would hold every connection while the other
pages wait for one. So the web weighs passwords on worker threads, at most
`password_hashing_at_once` at a time (which also bounds the memory they take: 2 x 64 MiB by
default), and a request waits for its turn holding nothing else: no database place, no thread.

A request that cannot have its turn within `password_hashing_wait_seconds` is told to come back
(`HashingBusy`, 503 with Retry-After), never left to wait without end; one whose browser has gone
away while it waited is not weighed at all (`ClientGone`), so a crowd that gave up costs nothing."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import Request

T = TypeVar("T")


class HashingBusy(Exception):
    """No hashing place came free in time: the request is answered 503 with Retry-After."""


class ClientGone(Exception):
    """The browser went away while its request waited for a hashing place."""


async def hashing(request: Request, work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` (argon2, and nothing that touches the database) on a worker thread, once one
    of the app's hashing places is free."""
    settings = request.app.state.settings
    places = _limiter(request.app)
    try:
        with anyio.fail_after(settings.password_hashing_wait_seconds):
            await places.acquire()
    except TimeoutError:
        raise HashingBusy from None
    try:
        if await request.is_disconnected():
            raise ClientGone
        # A thread of its own (the place above is what limits how many run): never one of the
        # threads the routes and database sessions share.
        return await anyio.to_thread.run_sync(work, *args, limiter=anyio.CapacityLimiter(1))
    finally:
        places.release()


def _limiter(app: Any) -> anyio.CapacityLimiter:
    # anyio's limiters belong to one event loop; tests run an app under several.
    limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] | None = getattr(
        app.state, "hashing_limiters", None
    )
    if limiters is None:
        limiters = app.state.hashing_limiters = weakref.WeakKeyDictionary()
    loop = asyncio.get_running_loop()
    limiter = limiters.get(loop)
    if limiter is None:
        limiter = limiters[loop] = anyio.CapacityLimiter(app.state.settings.password_hashing_at_once)
    return limiter
