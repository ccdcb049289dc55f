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

from locust import FastHttpUser, constant, task
from locust_record import Recorder

CONFIG = json.loads(open(os.environ["WEB_LOAD_CONFIG"]).read())  # noqa: SIM115 - read once at import
MODE = os.environ.get("LOCUST_MODE", "work")
_seats = itertools.count()
record = Recorder()
# The headings of web/notices.py's notices for a service that is down or failed.
DEGRADED = re.compile(r"The [a-z]+ service (is not available just now|could not answer this request)")


class Person(FastHttpUser):
    wait_time = constant(0)
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 60.0

    pending: tuple[str, float] | None = None  # the request this user waits for, and since when

    def on_start(self) -> None:
        record.users.append(self)
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
