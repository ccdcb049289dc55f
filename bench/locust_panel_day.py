"""Locust users for the panel-day load test (`bench_panel_day.py` runs this; not a benchmark itself).

Each user is one assessor on one stage's panel, with no think time: save a draft, save it again (the
autosave), submit, read the panel's scores, then the next candidate. Panel leads who also hold
`recruitment:admin` read the stage's results after each submission. With `LOCUST_MODE=livez`
every user asks `GET /livez` instead: the baseline measured in the same run.

Configuration comes from the JSON file named by `PANEL_DAY_CONFIG` (written by bench_panel_day.py).
When locust quits, the file named by `LOCUST_OUTPUT` receives every request's name, latency and
outcome, the round's length, and each acknowledged submission, so the benchmark can compute exact
percentiles over every round and check that every acknowledged submission is in the database.
"""

from __future__ import annotations

import itertools
import json
import os

from locust import FastHttpUser, constant, task
from locust_record import Recorder

CONFIG = json.loads(open(os.environ["PANEL_DAY_CONFIG"]).read())  # noqa: SIM115 - read once at import
MODE = os.environ.get("LOCUST_MODE", "work")
# Rounds of scoring alternate with rounds of livez; each round scores its own share of candidates.
ROUND, ROUNDS = int(os.environ.get("LOCUST_ROUND", "0")), int(os.environ.get("LOCUST_ROUNDS", "1"))
_seats = itertools.count()
acknowledged: list[tuple[str, str]] = []
record = Recorder()
record.extra["acknowledged"] = acknowledged

SCORES = {
    "scores": [
        {"criterion": code, "score": 1 + (n % 4), "notes": "Clear example of the behaviour, well structured."}
        for n, code in enumerate(CONFIG["criteria"])
    ]
}


class Assessor(FastHttpUser):
    wait_time = constant(0)
    # One keep-alive connection per user, as a browser tab behind the web would hold.
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        seat = next(_seats) % len(CONFIG["assessors"])
        self.assessor = CONFIG["assessors"][seat]
        self.headers = {"Authorization": f"Bearer {self.assessor['token']}", "Accept": "application/json"}
        self.queue = iter(self.assessor["candidates"][ROUND::ROUNDS])
        self.stage = f"/vacancies/{self.assessor['vacancy_id']}/stages/{self.assessor['stage_id']}"

    @task
    def work(self) -> None:
        if MODE == "livez":
            self.client.get("/livez", name="livez")
            return
        candidate = next(self.queue, None)
        if candidate is None:  # scored everyone: keep the pressure on with reads
            self.client.get(f"{self.stage}/my-sheets", headers=self.headers, name="my sheets")
            return
        sheet = f"{self.stage}/candidates/{candidate}/sheet"
        self.client.put(sheet, json=SCORES, headers=self.headers, name="save draft")
        self.client.put(sheet, json=SCORES, headers=self.headers, name="save draft")
        with self.client.post(f"{sheet}/submit", headers=self.headers, name="submit", catch_response=True) as answer:
            if answer.status_code == 200:
                acknowledged.append((self.assessor["subject"], candidate))
                answer.success()
            else:
                answer.failure(f"{answer.status_code} {answer.text[:200]}")
        self.client.get(f"{self.stage}/candidates/{candidate}/scores", headers=self.headers, name="panel scores")
        if self.assessor["admin"]:
            self.client.get(f"{self.stage}/results", headers=self.headers, name="results")
