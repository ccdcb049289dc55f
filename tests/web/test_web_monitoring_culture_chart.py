"""web.monitoring.culture_chart: the culture page's trend chart as SVG and its words, pure functions.
Examples, and properties over any series with withheld figures: well-formed SVG, everything drawn
inside the viewBox, one focusable point per shown figure with its words, and nothing drawn or
placed for a withheld one (its words say only why)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from web.monitoring import culture_chart as draw
from web.monitoring.culture import change_of, figure

SVG = "{http://www.w3.org/2000/svg}"
IDS = ("engagement", "motivation", "involvement", "advocacy")
REASON = "fewer than 10 responses"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output)


def _points(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "culture-point"]


def _series(values: list[list[float | None]], waves: list[str]) -> list[draw.Series]:
    return [
        draw.Series(
            IDS[i % 4],
            IDS[i % 4].capitalize(),
            tuple(draw.TrendPoint(w, v, None if v is not None else REASON) for w, v in zip(waves, row, strict=True)),
        )
        for i, row in enumerate(values)
    ]


def test_two_waves_each_point_focusable_with_its_words():
    waves = ["Autumn 2025", "Autumn 2026"]
    svg = draw.trend("Engagement, BSO", waves, _series([[6.25, 7.0], [5.0, None]], waves))
    root = _parse(svg)
    points = _points(root)
    assert [p.get("aria-label") for p in points] == [
        "Engagement, Autumn 2025: 6.2 out of 10",
        "Engagement, Autumn 2026: 7.0 out of 10",
        "Motivation, Autumn 2025: 5.0 out of 10",
    ]
    assert all(p.get("tabindex") == "0" and p.get("role") == "img" for p in points)
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "Not shown: Motivation, Autumn 2026: not shown, fewer than 10 responses" in desc.text
    assert "some figures not shown" in svg
    # Each series differs by more than colour: its own dash pattern and marker shape.
    styles = {(s.dash, s.marker) for s in draw.STYLES.values()}
    assert len(styles) == len(draw.STYLES)


def test_text_is_escaped_and_one_line():
    svg = draw.trend('<script>"x"</script>\x00', ["A & B\nC"], _series([[5.0]], ["A & B\nC"]))
    _parse(svg)
    assert "<script>" not in svg and "A &amp; B C" in svg


def test_words():
    assert draw.score(7.25) == "7.2" and draw.score(None) == "no score" and draw.score(-0.01) == "0.0"
    assert draw.percent(63.5) == "64%" and draw.percent(None) == "no answers"
    assert draw.signed(5.21) == "+5.2" and draw.signed(-1.0) == "\u22121.0" and draw.signed(0.01) == "0.0"
    assert [draw.heat_band(v) for v in (0, 1.99, 2, 5, 7.99, 8, 10, 11)] == [0, 0, 1, 2, 3, 4, 4, 4]
    assert draw.heat_band(None) is None and draw.heat_band(float("nan")) is None


def test_a_withheld_figure_keeps_only_its_reason():
    from collective_clients.monitoring.models import ChangePublic, Suppressed

    withheld = figure(Suppressed(reason=REASON))
    assert withheld.text == REASON and withheld.value is None and withheld.band is None and not withheld.shown
    assert (
        figure(7.04).text == "7.0" and figure(63.4, "percent").text == "63%" and figure(1234, "count").text == "1,234"
    )
    assert change_of(Suppressed(reason=REASON)).withheld == REASON
    change = change_of(
        ChangePublic(previous=50.0, change=-6.3, test="z", statistic=-2.1, p_value=0.0004, significant=True), "percent"
    )
    assert change.text == "\u22126.3 points, a significant change" and change.p_value == "p < 0.001"
    assert change.direction == "down"
    assert change_of(None).significant is None


values = st.one_of(st.none(), st.floats(min_value=0, max_value=10, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=8).flatmap(
        lambda n: st.tuples(st.just(n), st.lists(st.lists(values, min_size=n, max_size=n), min_size=1, max_size=4))
    )
)
def test_any_series_is_well_formed_inside_the_view_and_draws_only_shown_figures(case):
    count, rows = case
    waves = [f"Wave {k}" for k in range(count)]
    svg = draw.trend("Engagement", waves, _series(rows, waves))
    root = _parse(svg)
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    for element in root.iter():
        for attr in ("x", "cx", "x1", "x2"):
            if element.get(attr) is not None:
                assert -1 <= float(element.get(attr)) <= width + 1
        for attr in ("y", "cy", "y1", "y2"):
            if element.get(attr) is not None:
                assert -1 <= float(element.get(attr)) <= height + 1
        for pair in re.findall(r"(-?[\d.]+),(-?[\d.]+)", element.get("d", "") + " " + element.get("points", "")):
            assert -1 <= float(pair[0]) <= width + 1 and -1 <= float(pair[1]) <= height + 1
    shown = sum(1 for row in rows for v in row if v is not None)
    points = _points(root)
    assert len(points) == shown == len([e for e in root.iter() if e.get("tabindex") is not None])
    assert all(re.fullmatch(r".+: \d+\.\d out of 10", p.get("aria-label")) for p in points)
