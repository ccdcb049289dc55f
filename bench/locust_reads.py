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

from locust import FastHttpUser, constant, task
from locust_record import Recorder

CONFIG = json.loads(open(os.environ["READ_LOAD_CONFIG"]).read())  # noqa: SIM115 - read once at import
MODE = os.environ.get("LOCUST_MODE", "work")
record = Recorder()


class Reader(FastHttpUser):
    wait_time = constant(0)
    # One keep-alive connection per user, as one integrator or one browser tab behind the web.
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 60.0

    pending: tuple[str, float] | None = None  # the request this user waits for, and since when

    def on_start(self) -> None:
        record.users.append(self)
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
