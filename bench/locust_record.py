"""What each of the benchmarks' locustfiles records, in one place (they import it: locust puts the
locustfile's folder on sys.path).

When locust quits, the file named by `LOCUST_OUTPUT` receives every request's name, latency and
outcome, the answers' status codes by request name (0: no answer), the first few failures, the
round's length, the requests still waiting when the round ended (locust stops its users without
recording them: not fast, not failed, unfinished), and whatever the locustfile adds to `extra`.
_support.run_locust reads it back.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from typing import Any

from locust import events


class Recorder:
    """Registers locust's event listeners at creation. Users that track what they wait for set
    `pending = (name, time.monotonic())` before a request and None after, and join `users`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, float, bool]] = []  # name, milliseconds, failed
        self.statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)  # name -> status -> answers
        self.failures: list[str] = []  # the first few, to say what went wrong
        self.unfinished: list[tuple[str, float]] = []  # name, milliseconds waited so far
        self.users: list[Any] = []
        self.extra: dict[str, Any] = {}
        self.started = self.stopped = time.monotonic()
        events.test_start.add_listener(self._started)
        events.test_stopping.add_listener(self._stopping)
        events.test_stop.add_listener(self._stopped)
        events.request.add_listener(self._record)
        events.quitting.add_listener(self._write)

    def _started(self, **_kwargs: Any) -> None:
        self.started = time.monotonic()

    def _stopping(self, **_kwargs: Any) -> None:
        """Before locust stops its users: what each is still waiting for."""
        now = time.monotonic()
        pending = [user.pending for user in self.users if getattr(user, "pending", None)]
        self.unfinished.extend((name, (now - since) * 1000) for name, since in pending)

    def _stopped(self, **_kwargs: Any) -> None:
        self.stopped = time.monotonic()

    def _record(self, name: str, response_time: float, exception: Any, response: Any = None, **_kwargs: Any) -> None:
        self.requests.append((name, response_time, exception is not None))
        self.statuses[name][getattr(response, "status_code", None) or 0] += 1
        if exception is not None and len(self.failures) < 20:
            self.failures.append(f"{name}: {exception}"[:300])

    def _write(self, **_kwargs: Any) -> None:
        with open(os.environ["LOCUST_OUTPUT"], "w") as out:
            json.dump(
                {
                    "seconds": self.stopped - self.started,
                    "requests": self.requests,
                    "statuses": self.statuses,
                    "failures": self.failures,
                    "unfinished": self.unfinished,
                    **self.extra,
                },
                out,
            )
