"""The web's own database going away: every page is a 503 that says to come back (Retry-After),
never a 500 or a hang, and the web recovers by itself when the database returns.

The web reaches PostgreSQL through a TCP proxy the test controls (tests/tcp_proxy.py); stopping it
cuts every open connection and refuses new ones."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from support import ON_POSTGRES
from tcp_proxy import TcpProxy
from web.config import Settings
from web.main import create_app

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="an outage needs the database over the network (PostgreSQL)")

WAIT_SECONDS = 2.0
# Never a hang: every answer comes within the service's own waits. The margin is for a busy
# machine (the suite runs in parallel on small CI machines); a hang is a wait without a limit, or
# SQLAlchemy's own 30 s pool timeout, both well beyond it.
NO_HANG_SECONDS = WAIT_SECONDS * 3 + 15
PAGES = ["/", "/sign-in", "/frameworks", "/recruitment", "/account/password", "/admin/users"]


@pytest.fixture
def proxied_web(settings: Settings, framework_api):
    target = make_url(settings.database_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(
        settings.model_copy(update={"database_url": url, "db_wait_seconds": WAIT_SECONDS}),
        transports={settings.framework_api_url: framework_api},
    )
    try:
        yield app, proxy
    finally:
        proxy.stop()
        app.state.engine.dispose()


def test_every_page_is_503_while_the_web_database_is_away_and_recovers(proxied_web, make_user, login):
    app, proxy = proxied_web
    make_user("manager", roles=("manager",))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as browser:
        assert login(browser, "manager").status_code == 303
        assert browser.get("/").status_code == 200

        proxy.stop()
        try:
            for path in PAGES:
                started = time.monotonic()
                page = browser.get(path)
                took = time.monotonic() - started
                assert took < NO_HANG_SECONDS, f"{path} took {took:.1f} s"
                assert page.status_code == 503, f"{path}: {page.status_code}"
                assert page.headers["retry-after"], path
                assert "not available just now" in page.text, path
            refused = browser.post("/sign-out", data={})
            assert refused.status_code == 503
        finally:
            proxy.start()

        assert browser.get("/").status_code == 200  # same session, no restart
