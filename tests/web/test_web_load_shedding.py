"""The web under load: which requests take a place in the database, and for how long.

A request is admitted to the web's database by as many places as the pool has connections
(servicekit.db.Database). Pages read the signed-in user in a short session of their own, so a page
waiting for framework-api or recruitment-api holds no place meanwhile; /livez and the sign-in page
hold none at all; passwords are weighed (argon2) outside any session, off the event loop, a few at
a time; and failed sign-ins for one username at the same time each count towards its lockout."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.routing import APIRoute
from recruitment_support import ready_panel, score
from sqlmodel import Session, select
from starlette.requests import Request

from servicekit.auth import Principal
from servicekit.db import database_of
from servicekit.params import session_dependency
from web.accounts import hashing, service
from web.accounts.auth import optional_identity
from web.accounts.models import SignInEvent, SignInThrottle, User
from web.config import Settings
from web.main import create_app

PASSWORD = "a-long-enough-password"  # the test accounts'
FRAMEWORK_API_URL = "http://framework-api.held"
RECRUITMENT_URL = "http://recruitment-api.held"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
ONE_PLACE = {"db_pool_size": 1, "db_max_overflow": 0, "db_wait_seconds": 1.0}
# One place that requests queue for as long as a busy machine needs: several pages reading the user
# one after the other may take more than a second there. A page that held the place while waiting
# for a service would still keep the others out for good (until_waiting fails first).
ONE_PATIENT_PLACE = {**ONE_PLACE, "db_wait_seconds": 30.0}


def csrf_from(html: str) -> str:
    return CSRF_INPUT.search(html).group(1)


def add_user(app, username: str, *, org: str, roles: tuple[str, ...], display_name: str | None = None):
    with Session(app.state.engine, expire_on_commit=False) as db:
        user, _ = service.create_user(
            db,
            Principal(subject="test", org=org, scopes=frozenset()),
            org,
            service.NewUser(username, display_name or username.title(), list(roles), password=PASSWORD),
        )
        return user


class HeldTransport(httpx.AsyncBaseTransport):
    """A service that answers only once released: counts the requests waiting for it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.waiting = 0
        self.released = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.waiting += 1
        await self.released.wait()
        return await self.inner.handle_async_request(request)

    async def until_waiting(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while self.waiting < count:
            assert time.monotonic() < deadline, f"{self.waiting} requests reached the service, not {count}"
            await asyncio.sleep(0.01)


@asynccontextmanager
async def browser(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await (await sign_in_form(client, username, password))()


async def sign_in_form(client: httpx.AsyncClient, username: str, password: str = PASSWORD):
    """The sign-in form, filled in: a call that sends it."""
    page = await client.get("/sign-in")
    form = {"username": username, "password": password, "next": "/", "csrf_token": csrf_from(page.text)}
    return lambda: client.post("/sign-in", data=form)


@asynccontextmanager
async def every_place_taken(app) -> AsyncIterator[None]:
    """Hold every place the web's database has (as that many requests inside it would)."""
    database = database_of(app)
    async with AsyncExitStack() as stack:
        for _ in range(database.slots):
            await stack.enter_async_context(database.session())
        yield


def make(settings: Settings, transports=None, **changes):
    return create_app(settings.model_copy(update=changes), transports=transports)


# --- no database place where none is needed -------------------------------------------------


async def test_livez_and_the_sign_in_page_answer_with_every_database_place_taken(settings):
    app = make(settings, **ONE_PLACE)
    add_user(app, "manager", org="BHSCT", roles=("manager",))
    try:
        async with browser(app) as anonymous, browser(app) as signed_in:
            assert (await sign_in(signed_in, "manager")).status_code == 303
            async with every_place_taken(app):
                assert (await anonymous.get("/livez")).status_code == 200
                page = await anonymous.get("/sign-in")
                assert page.status_code == 200 and 'name="csrf_token"' in page.text
                # A page that must read the user waits for a place, then says to come back: no hang.
                started = time.monotonic()
                busy = await signed_in.get("/")
                assert busy.status_code == 503 and busy.headers["retry-after"]
                assert time.monotonic() - started < 1.0 + 15  # its 1 s wait, with a margin for a busy machine
            assert (await signed_in.get("/")).status_code == 200
    finally:
        app.state.engine.dispose()


async def test_pages_waiting_for_framework_api_hold_no_database_place(settings, framework_api):
    held = HeldTransport(framework_api)
    app = make(settings, {settings.framework_api_url: held}, **ONE_PATIENT_PLACE)
    add_user(app, "admin", org="BHSCT", roles=("admin",))
    try:
        async with browser(app) as client:
            assert (await sign_in(client, "admin")).status_code == 303
            pages = [asyncio.create_task(client.get("/frameworks")) for _ in range(6)]
            await held.until_waiting(6)  # all six inside, with one database place between them
            # Meanwhile pages that read the web's database get its one place at once.
            assert (await client.get("/account")).status_code == 200
            assert (await client.get("/admin/users")).status_code == 200
            held.released.set()
            for page in await asyncio.gather(*pages):
                assert page.status_code == 200 and "Frameworks" in page.text
    finally:
        app.state.engine.dispose()


async def test_the_panels_scores_read_assessors_names_without_holding_a_place_while_recruitment_api_answers(
    settings, recruitment_services, keys
):
    held = HeldTransport(httpx.ASGITransport(app=recruitment_services["recruitment"]))
    transports = {
        FRAMEWORK_API_URL: httpx.ASGITransport(app=recruitment_services["framework"]),
        RECRUITMENT_URL: held,
    }
    app = make(
        settings,
        transports,
        framework_api_url=FRAMEWORK_API_URL,
        recruitment_api_url=RECRUITMENT_URL,
        **ONE_PATIENT_PLACE,
    )
    lead = add_user(app, "lead", org="SEHSCT", roles=("assessor",), display_name="Lena Lead")
    second = add_user(app, "second", org="SEHSCT", roles=("assessor",), display_name="Sam Second")
    api = recruitment_services["api"]
    panel = ready_panel(api, keys, org="SEHSCT", lead=str(lead.uid), second=str(second.uid))
    candidate = panel.candidates[0]
    for headers in (panel.lead, panel.second):
        score(api, panel, headers, candidate, {"V1": 3, "V2": 2, "V3": 3, "V4": 2})
    url = f"/recruitment/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/candidates/{candidate['id']}/scores"
    try:
        async with browser(app) as client:
            assert (await sign_in(client, "lead")).status_code == 303
            pages = [asyncio.create_task(client.get(url)) for _ in range(3)]
            await held.until_waiting(3 * 4)  # each page asks recruitment-api four things at once
            assert (await client.get("/account")).status_code == 200
            held.released.set()
            for page in await asyncio.gather(*pages):
                assert page.status_code == 200, page.text
                assert "Lena Lead (you)" in page.text and "Sam Second" in page.text
    finally:
        app.state.engine.dispose()


def test_no_route_takes_a_database_place_before_reading_the_user(app):
    """A route with a session for the whole route (SessionDep) reads the user first: the other way
    round it would hold one place while waiting for a second, and enough such requests at once
    would hold every place while all waited."""
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        order = _calls(route.dependant)
        if session_dependency in order and optional_identity in order:
            assert order.index(optional_identity) < order.index(session_dependency), route.path


def _calls(dependant, seen=None) -> list:
    """The dependencies' functions in the order FastAPI calls them (each once)."""
    seen = [] if seen is None else seen
    for sub in dependant.dependencies:
        _calls(sub, seen)
        if sub.call not in seen:
            seen.append(sub.call)
    return seen


# --- passwords weighed outside the database, a few at a time --------------------------------


class SpyHasher(PasswordHasher):
    """A cheap hasher that notes, each time it works, where it runs and what is held meanwhile.

    Its waits are on conditions, not on the clock, so a busy machine changes nothing: `together`
    holds each job until that many have been at work at once (or `WAIT_SECONDS` pass: the test then
    fails on `most`), and `gate` holds each job until it is set."""

    WAIT_SECONDS = 30

    def __init__(self, app, pause: float = 0.0, *, together: int = 1, gate: threading.Event | None = None) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.app = app
        self.pause = pause
        self.together = together
        self.gate = gate
        self.lock = threading.Condition()
        self.running = self.most = self.calls = 0
        self.seen: list[tuple[bool, int, bool]] = []  # (on the event loop, connections out, places free)

    def _work(self, job):
        database = database_of(self.app)
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        free = all(semaphore.value == database.slots for semaphore in list(database._semaphores.values()))
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
            self.seen.append((on_loop, self.app.state.engine.pool.checkedout(), free))
            self.lock.notify_all()
            self.lock.wait_for(lambda: self.most >= self.together, timeout=self.WAIT_SECONDS)
        try:
            if self.gate is not None:
                self.gate.wait(timeout=self.WAIT_SECONDS)
            time.sleep(self.pause)
            return job()
        finally:
            with self.lock:
                self.running -= 1

    def hash(self, password, *, salt=None):
        return self._work(lambda: super(SpyHasher, self).hash(password, salt=salt))

    def verify(self, hash, password):
        return self._work(lambda: super(SpyHasher, self).verify(hash, password))


async def test_sign_in_password_change_and_a_new_user_hash_outside_any_database_session(settings, monkeypatch):
    app = make(settings)
    add_user(app, "admin", org="BHSCT", roles=("admin",))
    spy = SpyHasher(app)
    monkeypatch.setattr(service, "_hasher", spy)
    monkeypatch.setattr(service, "_dummy_hash", None)
    try:
        async with browser(app) as client, browser(app) as stranger:
            assert (await sign_in(stranger, "nobody")).status_code == 422  # the equal-time verification
            assert (await sign_in(client, "admin", "wrong password!")).status_code == 422
            assert (await sign_in(client, "admin")).status_code == 303
            page = await client.get("/account/password")
            changed = await client.post(
                "/account/password",
                data={
                    "current_password": PASSWORD,
                    "new_password": "another-long-password",
                    "confirm_password": "another-long-password",
                    "csrf_token": csrf_from(page.text),
                },
            )
            assert changed.status_code == 303, changed.text
            page = await client.get("/admin/users/new")
            created = await client.post(
                "/admin/users",
                data={
                    "username": "newcomer",
                    "display_name": "New Comer",
                    "roles": ["manager"],
                    "password": "a-password-for-newcomer",
                    "csrf_token": csrf_from(page.text),
                },
            )
            assert created.status_code == 201, created.text
            async with browser(app) as fresh:
                assert (await sign_in(fresh, "newcomer", "a-password-for-newcomer")).status_code == 303
    finally:
        app.state.engine.dispose()
    # unknown name (dummy hash made and spent), wrong, right, current + new, new user, newcomer
    assert spy.calls >= 7
    for on_loop, connections, places_free in spy.seen:
        assert not on_loop
        assert connections == 0
        assert places_free


async def test_sign_ins_at_once_are_weighed_a_few_at_a_time(settings, monkeypatch):
    app = make(settings, password_hashing_at_once=2)
    add_user(app, "manager", org="BHSCT", roles=("manager",))
    spy = SpyHasher(app, pause=0.05, together=2)  # the first two wait for each other, however slow the machine
    monkeypatch.setattr(service, "_hasher", spy)
    try:
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(browser(app)) for _ in range(8)]
            answers = await asyncio.gather(*(sign_in(client, "manager") for client in clients))
    finally:
        app.state.engine.dispose()
    assert [answer.status_code for answer in answers] == [303] * 8
    assert spy.most == 2


async def test_a_sign_in_that_cannot_be_weighed_in_time_is_told_to_come_back(settings, monkeypatch):
    app = make(settings, password_hashing_at_once=1, password_hashing_wait_seconds=0.2)
    add_user(app, "manager", org="BHSCT", roles=("manager",))
    weighing = threading.Event()  # the one weighed is held until the other has its answer
    monkeypatch.setattr(service, "_hasher", SpyHasher(app, gate=weighing))

    async def answered(send) -> httpx.Response:
        answer = await send()
        if answer.status_code == 503:
            weighing.set()
        return answer

    try:
        async with browser(app) as first, browser(app) as second:
            forms = [await sign_in_form(first, "manager", "wrong password!"), await sign_in_form(second, "manager")]
            answers = await asyncio.gather(*(answered(send) for send in forms))
        with Session(app.state.engine) as db:
            throttle = db.exec(select(SignInThrottle)).first()
            events = db.exec(select(SignInEvent)).all()
    finally:
        app.state.engine.dispose()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([422, 503], [303, 503])
    busy = next(answer for answer in answers if answer.status_code == 503)
    assert busy.headers["retry-after"] and "busy" in busy.text
    # The one told to come back changed nothing: one attempt counted, one recorded.
    assert len(events) == 1
    assert (throttle.failed_count if throttle else 0) == (1 if statuses == [422, 503] else 0)


async def test_a_browser_that_went_away_while_waiting_is_not_weighed(settings):
    app = make(settings)

    async def gone():
        return {"type": "http.disconnect"}

    request = Request({"type": "http", "method": "POST", "path": "/sign-in", "headers": [], "app": app}, gone)
    weighed = []
    with pytest.raises(hashing.ClientGone):
        await hashing.hashing(request, weighed.append, "password")
    assert weighed == []
    app.state.engine.dispose()


# --- failed sign-ins at the same time each count ----------------------------------------------


def _attempts_at_once(app, username: str, count: int, *, threshold: int) -> list[service.SignInStatus]:
    """`count` wrong passwords for one name, each in sessions of its own, all read before any is
    recorded (the moment two at once collide)."""
    engine = app.state.engine
    now = service.utcnow()
    barrier = threading.Barrier(count)
    statuses: list[service.SignInStatus] = []

    def attempt() -> None:
        with Session(engine, expire_on_commit=False) as db:
            check = service.read_sign_in(db, username, now=now)
        barrier.wait()
        with Session(engine, expire_on_commit=False) as db:
            result = service.record_sign_in(
                db, check, service.Verdict(False), now=now, threshold=threshold, lockout_minutes=15
            )
        statuses.append(result.status)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _failed_count(app, username: str) -> int:
    with Session(app.state.engine) as db:
        return db.exec(select(SignInThrottle).where(SignInThrottle.username == username)).one().failed_count


@pytest.mark.parametrize("earlier_failures", [0, 1])
def test_failed_sign_ins_for_one_name_at_once_each_count(app, make_user, earlier_failures):
    make_user("target")
    if earlier_failures:
        _attempts_at_once(app, "target", earlier_failures, threshold=100)
    statuses = _attempts_at_once(app, "target", 8, threshold=100)
    assert statuses == [service.SignInStatus.invalid] * 8
    assert _failed_count(app, "target") == earlier_failures + 8


def test_failures_at_once_lock_the_name_at_the_threshold_exactly(app):
    statuses = _attempts_at_once(app, "not-an-account", 8, threshold=5)
    assert statuses.count(service.SignInStatus.invalid) == 4
    assert statuses.count(service.SignInStatus.locked) == 4
    assert _failed_count(app, "not-an-account") == 8


async def test_wrong_passwords_sent_at_once_each_count_and_are_each_recorded(settings):
    app = make(settings)
    add_user(app, "target", org="BHSCT", roles=("manager",))
    try:
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(browser(app)) for _ in range(8)]
            answers = await asyncio.gather(*(sign_in(client, "target", "wrong password!") for client in clients))
        with Session(app.state.engine) as db:
            failed = db.exec(select(SignInEvent).where(SignInEvent.kind == "sign_in_failed")).all()
            refused = db.exec(select(SignInEvent).where(SignInEvent.kind == "sign_in_locked")).all()
    finally:
        app.state.engine.dispose()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [422] * 4 + [429] * 4  # the fifth failure locks the name (threshold 5)
    assert len(failed) == 4 and len(refused) == 4
    assert _failed_count(app, "target") == 8


# --- a hash made with older parameters ------------------------------------------------------


def test_a_hash_of_older_parameters_is_replaced_at_sign_in_but_never_over_a_newer_password(app, make_user, monkeypatch):
    old = make_user("older").password_hash  # made by the tests' cheap hasher (time cost 1)
    monkeypatch.setattr(service, "_hasher", PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    now = service.utcnow()
    with Session(app.state.engine, expire_on_commit=False) as db:
        check = service.read_sign_in(db, "older", now=now)
    verdict = service.weigh_password(check, PASSWORD)
    assert verdict.good and verdict.rehashed and "t=2" in verdict.rehashed

    # The password changes between the weighing and the record: the new one stays.
    newer = service.hash_password("a-newer-long-password")
    with Session(app.state.engine, expire_on_commit=False) as db:
        user = db.exec(select(User).where(User.username == "older")).one()
        user.password_hash = newer
        db.commit()
        result = service.record_sign_in(db, check, verdict, now=now, threshold=5, lockout_minutes=15)
    assert result.status == service.SignInStatus.ok
    with Session(app.state.engine) as db:
        assert db.exec(select(User.password_hash).where(User.username == "older")).one() == newer

    # Otherwise the stored hash takes today's parameters.
    with Session(app.state.engine, expire_on_commit=False) as db:
        user = db.exec(select(User).where(User.username == "older")).one()
        user.password_hash = old
        db.commit()
        check = service.read_sign_in(db, "older", now=now)
    verdict = service.weigh_password(check, PASSWORD)
    with Session(app.state.engine, expire_on_commit=False) as db:
        service.record_sign_in(db, check, verdict, now=now, threshold=5, lockout_minutes=15)
    with Session(app.state.engine) as db:
        stored = db.exec(select(User.password_hash).where(User.username == "older")).one()
    assert stored == verdict.rehashed and service.verify_password(stored, PASSWORD)
