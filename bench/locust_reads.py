"""Locust users for the read-load test of framework-api and monitoring-api (`bench_read_load.py` runs
this; not a benchmark itself).

Each user holds a valid token (its own, from the config) and with no think time makes the service's
read mix, one request after another on one keep-alive connection. The mix is a list of requests in
the JSON file named by `READ_LOAD_CONFIG`: `{"token": ..., "mix": [[name, method, path, body], ...]}`.
With `LOCUST_MODE=livez` every user asks `GET /livez` instead. When locust quits, `LOCUST_OUTPUT`
receives every request's name, latency and outcome, the answers' status codes by request name (0:
no answer), the round's length, and the requests still waiting when the round ended (locust stops
its users without recording them: not fast, not failed, unfinished).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict

from locust import FastHttpUser, constant, events, task

CONFIG = json.loads(open(os.environ["READ_LOAD_CONFIG"]).read())  # noqa: SIM115 - read once at import
MODE = os.environ.get("LOCUST_MODE", "work")
requests: list[tuple[str, float, bool]] = []  # name, milliseconds, failed
statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)  # name -> status code -> answers
failures: list[str] = []  # the first few, to say what went wrong
unfinished: list[tuple[str, float]] = []  # name, milliseconds waited so far, when the round ended
users: list[Reader] = []
started = stopped = time.monotonic()


class Reader(FastHttpUser):
    wait_time = constant(0)
    # One keep-alive connection per user, as one integrator or one browser tab behind the web.
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 60.0

    pending: tuple[str, float] | None = None  # the request this user waits for, and since when

    def on_start(self) -> None:
        users.append(self)
        self.headers = {"Authorization": f"Bearer {CONFIG['token']}", "Accept": "application/json"}

    def _call(self, name: str, method: str, path: str, body: object) -> None:
        self.pending = (name, time.monotonic())
        with self.client.request(
            method, path, name=name, headers=self.headers, json=body, catch_response=True
        ) as answer:
            # Anything but 2xx or 3xx is an error, a 503 with Retry-After included.
            if not 200 <= answer.status_code < 400:
                answer.failure(f"{answer.status_code} {(answer.text or '')[:200]}")
        self.pending = None  # not reached when locust stops the user mid-request

    @task
    def read(self) -> None:
        if MODE == "livez":
            self._call("livez", "GET", "/livez", None)
            return
        for name, method, path, body in CONFIG["mix"]:
            self._call(name, method, path, body)


@events.test_start.add_listener
def _started(environment, **_kwargs) -> None:
    global started
    started = time.monotonic()


@events.test_stopping.add_listener
def _stopping(environment, **_kwargs) -> None:
    now = time.monotonic()
    unfinished.extend((user.pending[0], (now - user.pending[1]) * 1000) for user in users if user.pending)


@events.test_stop.add_listener
def _stopped(environment, **_kwargs) -> None:
    global stopped
    stopped = time.monotonic()


@events.request.add_listener
def _record(name, response_time, exception, response=None, **_kwargs) -> None:
    requests.append((name, response_time, exception is not None))
    statuses[name][getattr(response, "status_code", None) or 0] += 1
    if exception is not None and len(failures) < 20:
        failures.append(f"{name}: {exception}"[:300])


@events.quitting.add_listener
def _write_output(environment, **_kwargs) -> None:
    with open(os.environ["LOCUST_OUTPUT"], "w") as out:
        json.dump(
            {
                "seconds": stopped - started,
                "requests": requests,
                "statuses": statuses,
                "failures": failures,
                "unfinished": unfinished,
            },
            out,
        )
