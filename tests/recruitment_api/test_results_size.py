"""Large results pages: compressed at a level that pays for itself, the same data either way."""

from __future__ import annotations

from recruitment_support import ready_panel, score
from starlette.middleware.gzip import GZipMiddleware

from recruitment_api.results.models import StageResultsPublic


def test_responses_compress_at_zlibs_default_level(recruitment_app):
    """Starlette's default level 9 spent three times the CPU of level 6 on a 7 MB results page for a
    tenth fewer bytes: the results endpoint took longer to compress than to compute."""
    (gzip_middleware,) = [m for m in recruitment_app.user_middleware if m.cls is GZipMiddleware]
    assert gzip_middleware.kwargs["compresslevel"] == 6


def test_a_compressed_results_page_is_the_same_page(client, keys):
    panel = ready_panel(client, keys, org="PHA", candidates=12)
    for candidate in panel.candidates:
        score(client, panel, panel.lead, candidate, {"V1": 3, "V2": 2, "V3": None, "V4": 4})
        score(client, panel, panel.second, candidate, {"V1": 1, "V2": 2, "V3": 3, "V4": 4})
    url = f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/results"
    packed = client.get(url, headers={**panel.admin, "Accept-Encoding": "gzip"})
    plain = client.get(url, headers={**panel.admin, "Accept-Encoding": "identity"})
    assert packed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert packed.headers["content-type"] == plain.headers["content-type"] == "application/json"
    assert packed.json() == plain.json()
    assert StageResultsPublic.model_validate(plain.json()).model_dump(mode="json") == plain.json()
    assert len(plain.json()["candidates"]) == 12


def test_a_results_page_of_megabytes_is_gzipped_faster_and_is_the_same_page(client, keys, monkeypatch):
    """A whole large stage (7 MB for 5,000 candidates) is gzipped by the route at level 3, not by the
    middleware at 6, which took longer than computing it; any client still reads the same page."""
    from servicekit import compression

    panel = ready_panel(client, keys, org="PHB", candidates=3)
    for candidate in panel.candidates:
        score(client, panel, panel.lead, candidate, {"V1": 3, "V2": 2, "V3": None, "V4": 4})
    url = f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/results"
    plain = client.get(url, headers={**panel.admin, "Accept-Encoding": "identity"})
    monkeypatch.setattr(compression, "LARGE_BODY_BYTES", 100)  # this page counts as large
    packed = client.get(url, headers={**panel.admin, "Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["content-type"] == "application/json"
    assert int(packed.headers["content-length"]) < len(plain.content)
    assert packed.content == plain.content
    # Level 0 stores without compressing: a body longer than the page itself was gzipped by the
    # route alone (the middleware passed it through, rather than compressing it a second time).
    monkeypatch.setattr(compression, "LARGE_BODY_LEVEL", 0)
    stored = client.get(url, headers={**panel.admin, "Accept-Encoding": "gzip"})
    assert int(stored.headers["content-length"]) > len(plain.content) and stored.content == plain.content
    unpacked = client.get(url, headers={**panel.admin, "Accept-Encoding": "identity"})
    assert "content-encoding" not in unpacked.headers and unpacked.content == plain.content
