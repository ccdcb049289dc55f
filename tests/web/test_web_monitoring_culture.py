"""The culture page and My organisation's culture card, against the real monitoring-api with its demo
survey (BSO: two closed waves of the HSC culture instrument; Coaching and Mentoring has 7 and then 8
respondents, so nothing about it may be shown): engagement over the waves as a chart and a table,
the cultural characteristics as a heat map, every question with its change and named test; withheld
figures marked in words, and the real figures of the small team absent from every page and download
(read from monitoring-api's own calculation with no disclosure control, as an oracle); refusals;
monitoring-api down."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from typing import Any

import pytest
from sqlmodel import Session
from web_monitoring_demo_support import (
    ADMIN,
    READ,
    demo_monitoring,
    demo_web,
    monitoring_transport,
    open_as,
    recruitment_transport,
)

from servicekit.auth import Principal

__all__ = ["demo_monitoring", "demo_web", "monitoring_transport", "open_as", "recruitment_transport"]

PERCENT_TEST = "two-proportion z-test (pooled proportion, two-sided)"
SCORE_TEST = "Welch's t-test (unequal variances, two-sided)"


def _text(fragment: str) -> str:
    fragment = re.sub(r"<svg.*?</svg>", " ", fragment, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def _row(fragment: str, name: str) -> str:
    """The table row whose header cell names `name`."""
    for row in re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", fragment, flags=re.S):
        if name in _text(re.search(r"<th[^>]*>(.*?)</th>", row, flags=re.S).group(1)):
            return row
    raise AssertionError(f"no row for {name}")


def _waves(demo_monitoring) -> list[dict[str, Any]]:
    waves = demo_monitoring.get("/survey-waves", limit=500)["items"]
    return sorted((w for w in waves if w["org"] == "BSO"), key=lambda w: w["opens"])


def _unit(demo_monitoring, code: str, org: str = "BSO") -> dict[str, Any]:
    return next(u for u in demo_monitoring.get("/units", org=org, limit=500)["items"] if u["code"] == code)


def _api_results(demo_monitoring, wave_id: str, unit_id: str | None = None) -> dict[str, Any]:
    params = {"unit": unit_id} if unit_id else {}
    return demo_monitoring.get(f"/survey-waves/{wave_id}/results", **params)


def _truth(demo_monitoring, wave_id: str, unit_id: str) -> Any:
    """The unit's real figures: monitoring-api's own calculation with no disclosure control (a
    minimum of 3, the least it allows, and no complementary suppression). Only a test may read them."""
    from monitoring_api.surveys import service as surveys

    principal = Principal(subject="oracle", org="BSO", scopes=frozenset({"monitoring:read"}))
    with Session(demo_monitoring.app.state.engine) as session:
        wave = surveys.get_wave(session, principal, uuid.UUID(wave_id))
        return surveys.results(
            session, principal, wave, uuid.UUID(unit_id), None, minimum=3, complementary=False
        ).cells[0]


def _forms(cell: Any) -> set[str]:
    """How the page would write the cell's real figures: scores to one decimal, percents whole."""
    forms = set()
    for s in [*cell.engagement, *cell.themes]:
        if isinstance(s.score, float):
            forms.add(f"{s.score:.1f}")
    for q in cell.questions:
        if isinstance(q.percent_positive, float):
            forms.add(f"{q.percent_positive:.0f}%")
    return forms


def test_the_culture_page_shows_two_waves_the_heat_map_and_every_question(open_as, demo_monitoring):
    first, second = _waves(demo_monitoring)
    found = _api_results(demo_monitoring, second["id"])
    page = open_as("BSO").get("/monitoring/culture")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Culture survey results</h1>" in html
    assert 'aria-current="page">Culture survey</a>' in html  # its navigation entry, the current one

    engagement = _section(html, "engagement-heading")
    organisation = found["cells"][0]
    score = next(s for s in organisation["engagement"] if s["id"] == "engagement")
    assert f"<strong>{score['score']:.1f}</strong> out of 10" in engagement
    change = score["change"]
    assert f"{abs(change['change']):.1f}" in _text(engagement)
    assert ("a significant change" if change["significant"] else "not a significant change") in engagement
    assert SCORE_TEST in _text(html)
    # The chart: one focusable point per shown figure, each with its words; and the table alternative.
    assert engagement.count('class="culture-point" tabindex="0"') == 8  # 4 series x 2 waves, all shown
    assert f'aria-label="Staff engagement, {second["title"]}: {score["score"]:.1f} out of 10"' in engagement
    table = _text(engagement[engagement.index("<table") :])
    assert first["title"] in table and second["title"] in table

    heat = _section(html, "heat-heading")
    for cell in found["cells"]:
        row = _text(_row(heat, cell["unit"]["name"]))
        for theme in ("vision", "performance", "people_management", "learning", "team_working", "values"):
            figure = next(s for s in cell["themes"] if s["id"] == theme)
            if isinstance(figure["score"], dict):
                assert figure["score"]["reason"].capitalize() in row
            else:
                assert f"{figure['score']:.1f}" in row
    assert "culture-heat--" in heat  # shading as an aid; the values are written

    questions = _section(html, "questions-heading")
    assert PERCENT_TEST in questions
    assert "I would recommend my organisation as a place to work." in questions
    recommend = next(q for q in organisation["questions"] if q["code"] == "engagement.recommend_work")
    row = _text(_row(questions, "I would recommend my organisation as a place to work."))
    assert f"{recommend['percent_positive']:.0f}%" in row and f"{abs(recommend['change']['change']):.1f} points" in row
    assert "Why some figures are not shown" in html and f"fewer than {found['minimum']} responses" in html


def test_a_team_of_seven_shows_nothing_about_them(open_as, demo_monitoring):
    waves = _waves(demo_monitoring)
    coaching, centre = _unit(demo_monitoring, "COACHING"), _unit(demo_monitoring, "HSCLC")
    truths = [_truth(demo_monitoring, w["id"], coaching["id"]) for w in waves]
    assert [t.responses for t in truths] == [7, 8]  # the demo's small team
    forms = set().union(*(_forms(t) for t in truths))
    browser = open_as("BSO")

    # The team's own page: every figure says why it is not shown; no number about them at all.
    page = browser.get(f"/monitoring/culture?unit={coaching['id']}")
    assert page.status_code == 200
    main = page.text[page.text.index("<main") :]
    assert "Fewer than 10 responses" in main
    assert 'class="culture-point"' not in main  # nothing drawn
    everything = _text(main).replace("p < 0.05", "")
    assert not re.search(r"\d+%", everything) and not re.search(r"\d\.\d", everything)
    for heading in ("engagement-heading", "heat-heading", "questions-heading"):
        words = _text(_section(page.text, heading))
        for known in (
            *(w["title"] for w in waves),
            "fewer than 10 responses",
            "out of 10",
            "0 to 10",
            "p < 0.05",
            "below 2, 2 to 4, 4 to 6, 6 to 8, 8 and above",
        ):
            words = re.sub(re.escape(known), "", words, flags=re.I)
        assert not re.search(r"\d", words), words
    assert not forms & set(re.findall(r"\d+\.\d|\d+%", everything))

    # Its directorate's heat map: the team's row is withheld, and none of its real figures appear in it.
    row = _text(
        _row(_section(browser.get(f"/monitoring/culture?unit={centre['id']}").text, "heat-heading"), "Coaching")
    )
    assert "Fewer than 10 responses" in row
    assert not re.search(r"\d", row.replace("Fewer than 10 responses", ""))

    # The download is monitoring-api's own export: suppressed in words, the real figures nowhere.
    for wave in waves:
        download = browser.get(f"/monitoring/culture/results.csv?wave={wave['id']}&unit={coaching['id']}")
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
        lines = download.text.splitlines()[1:]
        assert lines and all("suppressed: fewer than 10 responses" in line for line in lines)
        assert not re.search(r",\d", download.text.split("\n", 1)[1])


def test_my_organisation_has_the_culture_card(open_as, demo_monitoring):
    latest = _waves(demo_monitoring)[-1]
    score = next(s for s in _api_results(demo_monitoring, latest["id"])["cells"][0]["engagement"])
    html = open_as("BSO").get("/monitoring").text
    card = _text(_section(html, "culture-heading"))
    assert latest["title"] in card and f"{score['score']:.1f} out of 10" in card
    assert "since the survey before" in card and 'href="/monitoring/culture"' in _section(html, "culture-heading")


def test_an_organisation_without_a_survey_says_so(open_as):
    browser = open_as("NHSCT")
    assert "No culture survey of your organisation has closed yet" in browser.get("/monitoring/culture").text
    assert "No culture survey of your organisation has closed yet" in _section(
        browser.get("/monitoring").text, "culture-heading"
    )


def test_refusals(open_as, demo_monitoring):
    wave = _waves(demo_monitoring)[-1]
    # Without monitoring:read: 403, for the page and the download.
    editor = open_as("BSO", roles=("framework_editor",))
    assert editor.get("/monitoring/culture").status_code == 403
    assert editor.get(f"/monitoring/culture/results.csv?wave={wave['id']}").status_code == 403
    # Another organisation's wave or unit: 404, as if it did not exist.
    other = open_as("NHSCT")
    assert other.get(f"/monitoring/culture?wave={wave['id']}").status_code == 404
    assert other.get(f"/monitoring/culture/results.csv?wave={wave['id']}").status_code == 404
    bso = open_as("BSO")
    nhsct = demo_monitoring.organisation("NHSCT")
    assert bso.get(f"/monitoring/culture?unit={nhsct['id']}").status_code == 404
    assert bso.get(f"/monitoring/culture?wave={uuid.uuid4()}").status_code == 404
    assert bso.get("/monitoring/culture?wave=not-a-wave").status_code == 400
    # A wave still open has no results: not on the page, and its download says why.
    instrument = next(i for i in demo_monitoring.get("/survey-instruments")["items"] if i["code"] == "HSC-CULTURE")
    body = {"instrument": instrument["id"], "title": "Still open", "opens": "2026-11-01", "closes": "2026-11-30"}
    opened = demo_monitoring.api.post("/survey-waves", json=body, headers=demo_monitoring.headers(READ, ADMIN)).json()
    assert bso.get(f"/monitoring/culture?wave={opened['id']}").status_code == 404
    download = bso.get(f"/monitoring/culture/results.csv?wave={opened['id']}")
    assert download.status_code == 409 and "published when the wave has closed" in download.text


@pytest.mark.parametrize("failure", ["connect", 500])
def test_monitoring_api_down_is_a_notice(open_as, monitoring_transport, failure):
    browser = open_as("BSO")
    monitoring_transport.failure = failure
    page = browser.get("/monitoring/culture")
    assert page.status_code == 200
    assert "The monitoring service is not available just now" in page.text
    home = browser.get("/monitoring")
    assert home.status_code == 200
    assert "The monitoring service is not available just now" in _section(home.text, "culture-heading")
    download = browser.get(f"/monitoring/culture/results.csv?wave={uuid.uuid4()}")
    assert download.status_code == 503


def test_results_that_fail_after_the_waves_are_read_are_a_notice(open_as, monitoring_transport, monkeypatch):
    """The waves and units answer, then the results fail: a notice, not "not part of this wave"."""
    inner = monitoring_transport.handle_async_request

    async def results_fail(request):
        if request.url.path.endswith("/results"):
            import httpx

            raise httpx.ConnectError("down", request=request)
        return await inner(request)

    monkeypatch.setattr(monitoring_transport, "handle_async_request", results_fail)
    page = open_as("BSO").get("/monitoring/culture")
    assert page.status_code == 200
    assert "The monitoring service is not available just now" in page.text
    assert "was not part of" not in page.text
