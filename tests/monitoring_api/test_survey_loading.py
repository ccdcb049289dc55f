"""Requests that want the same closed wave's results at the same moment read (or compute) them once per
process: the others wait for the first and find them in the cache. Without that, a crowd of first
reads after a restart each did the whole computation, holding a database connection throughout, and
the queue for the database stopped moving (503s in bench_read_load.py). No timing: the first
computation is held until a second request has missed the cache."""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock

from monitoring_api.surveys import results as r
from monitoring_api.surveys import service


def test_concurrent_first_reads_of_a_wave_compute_it_once(monkeypatch):
    cache = r.PublicationCache()
    wave: Any = SimpleNamespace(uid=uuid.uuid4(), responses=40)
    settings = r.DisclosureSettings.of(10)
    computed: list[int] = []
    entered, release, second_missed = threading.Event(), threading.Event(), threading.Event()
    figures: Any = ("figures", "decisions")

    def compute(_connection, _wave, _settings):
        computed.append(1)
        if len(computed) == 1:
            entered.set()
            release.wait()
        return figures

    original_get = cache.get

    def get(key):
        found = original_get(key)
        if found is None and threading.current_thread() is second:  # missed while the first computes
            second_missed.set()
        return found

    monkeypatch.setattr(cache, "get", get)
    monkeypatch.setattr(r, "compute_wave", compute)
    monkeypatch.setattr(service, "_stored_publication", lambda *_: None)
    monkeypatch.setattr(service, "_store_publication", lambda *_: None)
    answers: list[Any] = []

    def read() -> None:
        answers.append(service.wave_publication(MagicMock(), wave, settings, cache))

    first, second = threading.Thread(target=read), threading.Thread(target=read)
    first.start()
    assert entered.wait(10)
    second.start()
    assert second_missed.wait(10)
    release.set()
    first.join(10)
    second.join(10)
    assert answers == [figures, figures]
    assert len(computed) == 1


def test_loading_locks_are_per_key_and_released():
    cache = r.PublicationCache()
    with cache.loading(("a",)), cache.loading(("b",)):  # another key is not held up
        pass
    assert len(cache._loading) == 0
