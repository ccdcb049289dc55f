"""Locust users for the web load test (`bench_web_load.py` runs this; not a benchmark itself).

Each user holds a session of its own, signed in before the rounds by bench_web_load.py, and with no think time opens
the pages people use most: home, the framework list, the seeded framework version, a live search,
an item, and the recruitment hub and its panels. With `LOCUST_MODE=livez` every user asks
`GET /livez` instead. When locust quits, `LOCUST_OUTPUT` receives every request's name, latency
and outcome, the round's length, and the requests still waiting for an answer when the round ended
(locust stops its users without recording them: they are neither fast nor failed, just unfinished).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time

from locust import FastHttpUser, constant, events, task

CONFIG = json.loads(open(os.environ["WEB_LOAD_CONFIG"]).read())  # noqa: SIM115 - read once at import
MODE = os.environ.get("LOCUST_MODE", "work")
_seats = itertools.count()
requests: list[tuple[str, float, bool]] = []  # name, milliseconds, failed
failures: list[str] = []  # the first few, to say what went wrong
unfinished: list[tuple[str, float]] = []  # name, milliseconds waited so far, when the round ended
people: list[Person] = []
started = stopped = time.monotonic()
# The headings of web/notices.py's notices for a service that is down or failed.
DEGRADED = re.compile(r"The [a-z]+ service (is not available just now|could not answer this request)")


class Person(FastHttpUser):
    wait_time = constant(0)
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 60.0

    pending: tuple[str, float] | None = None  # the request this user waits for, and since when

    def on_start(self) -> None:
        people.append(self)
        # Signed in before the rounds (bench_web_load.py's sign-in storm): each user its own session.
        self.cookie = {"Cookie": CONFIG["cookie"] + "=" + CONFIG["sessions"][next(_seats) % len(CONFIG["sessions"])]}

    def _get(self, path: str, name: str):
        self.pending = (name, time.monotonic())
        with self.client.get(path, name=name, headers=self.cookie, catch_response=True) as response:
            # A page whose service did not answer in time still answers 200, with a notice in place
            # of what it shows: under load that is a failure too, not a page.
            notice = DEGRADED.search(response.text or "") if response.status_code == 200 else None
            if notice:
                response.failure(f"200 with the notice: {notice[0]}")
        self.pending = None  # not reached when locust stops the user mid-request
        return response

    @task
    def browse(self) -> None:
        if MODE == "livez":
            self._get("/livez", "livez")
            return
        version = CONFIG["version_id"]
        for path, name in (
            ("/", "home"),
            ("/frameworks", "frameworks"),
            (f"/versions/{version}", "version"),
            (f"/versions/{version}/search?q=compassion", "search"),
            (f"/versions/{version}/items/{CONFIG['item_id']}", "item"),
            ("/recruitment", "recruitment hub"),
            ("/recruitment/panels", "my panels"),
        ):
            self._get(path, name)


@events.test_start.add_listener
def _started(environment, **_kwargs) -> None:
    global started
    started = time.monotonic()


@events.test_stopping.add_listener
def _stopping(environment, **_kwargs) -> None:
    """Before locust stops its users: what each is still waiting for."""
    now = time.monotonic()
    unfinished.extend((person.pending[0], (now - person.pending[1]) * 1000) for person in people if person.pending)


@events.test_stop.add_listener
def _stopped(environment, **_kwargs) -> None:
    global stopped
    stopped = time.monotonic()


@events.request.add_listener
def _record(name, response_time, exception, **_kwargs) -> None:
    requests.append((name, response_time, exception is not None))
    if exception is not None and len(failures) < 20:
        failures.append(f"{name}: {exception}"[:300])


@events.quitting.add_listener
def _write_output(environment, **_kwargs) -> None:
    with open(os.environ["LOCUST_OUTPUT"], "w") as out:
        json.dump(
            {"seconds": stopped - started, "requests": requests, "failures": failures, "unfinished": unfinished}, out
        )
