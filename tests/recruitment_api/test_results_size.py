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
