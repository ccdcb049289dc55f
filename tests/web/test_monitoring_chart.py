"""web.monitoring.chart: the SPC chart as SVG, a pure function of the chart's values. Examples, and
properties over any series: well-formed SVG, every drawn thing inside the viewBox, one focusable
element per point with a value (and none for a gap), each saying its date, value and type."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from web.monitoring import chart as spc

SVG = "{http://www.w3.org/2000/svg}"
TYPES = [
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
]


def _month(k: int) -> date:
    return date(2020 + k // 12, k % 12 + 1, 1)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output)


def _points(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "spc-point"]


def _focusable(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("tabindex") is not None]


def _series(values: list[float | None], **overrides: object) -> spc.ChartData:
    points = tuple(
        spc.Point(
            on=_month(k),
            value=v,
            mean=50.0,
            lpl=40.0,
            upl=60.0,
            near_lpl=43.3,
            near_upl=56.7,
            point_type=None if v is None else "common_cause",
        )
        for k, v in enumerate(values)
    )
    return spc.ChartData(title="Test", unit_of_measure="%", points=points, **overrides)  # type: ignore[arg-type]


def test_a_point_says_its_date_value_and_type():
    point = spc.Point(on=date(2024, 3, 1), value=72.456, point_type="special_cause_improvement")
    assert spc.point_label(point, "%") == "1 March 2024: 72.5%, special cause variation, improvement"
    ghost = spc.Point(on=date(2024, 4, 1), value=10, ghosted=True, ghost_reason="extract failed")
    assert spc.point_label(ghost, "days") == (
        "1 April 2024: 10 days, ghosted, left out of the calculation: extract failed"
    )
    provisional = spc.Point(on=date(2024, 5, 1), value=0.5, point_type="common_cause", provisional=True)
    assert spc.point_label(provisional).endswith("common cause variation (provisional limits)")


def test_numbers_as_people_read_them():
    assert spc.number(1234567.8, "GBP") == "1,234,568 GBP"
    assert spc.number(66.666, "%") == "66.7%"
    assert spc.number(0.3456) == "0.35"
    assert spc.number(5.0) == "5"
    assert spc.number(None) == "no value"
    assert spc.number(-0.001) == "0"


def test_points_are_coloured_as_making_data_count_and_ghosts_hollow():
    data = spc.ChartData(
        "T",
        "",
        (
            spc.Point(_month(0), 1.0, 2.0, 0.0, 4.0, point_type="common_cause"),
            spc.Point(_month(1), 5.0, 2.0, 0.0, 4.0, point_type="special_cause_improvement"),
            spc.Point(_month(2), -1.0, 2.0, 0.0, 4.0, point_type="special_cause_concern"),
            spc.Point(_month(3), 2.0, 2.0, 0.0, 4.0, ghosted=True, ghost_reason="r"),
        ),
    )
    circles = [p.find(f"{SVG}circle") for p in _points(_parse(spc.draw(data)))]
    assert [c.get("fill") for c in circles] == ["#7B7D7D", "#289DE0", "#FAB428", "#FFFFFF"]
    assert circles[3].get("stroke") == spc.GHOST


def test_limits_are_drawn_per_segment_and_a_rebase_is_marked():
    points = tuple(
        spc.Point(
            _month(k),
            10.0 + k % 3,
            11.0 if k < 6 else 20.0,
            8.0 if k < 6 else 17.0,
            14.0 if k < 6 else 23.0,
            point_type="common_cause",
            segment=0 if k < 6 else 1,
            provisional=True,
        )
        for k in range(12)
    )
    data = spc.ChartData("T", "", points, rebases=(spc.Rebase(_month(6), "new process"),))
    root = _parse(spc.draw(data))
    for kind in ("spc-mean", "spc-upl", "spc-lpl"):
        assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == kind]) == 2, kind
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "Rebased from Jul 2020: new process" in titles
    assert sum(1 for t in root.iter(f"{SVG}text") if t.text == "provisional limits") == 2


def test_the_target_is_a_step_line_that_changes_with_the_target():
    points = tuple(spc.Point(_month(k), 50.0, target=None if k < 2 else (60.0 if k < 6 else 70.0)) for k in range(10))
    root = _parse(spc.draw(spc.ChartData("T", "", points)))
    [target] = [p for p in root.iter(f"{SVG}path") if p.get("class") == "spc-target"]
    coords = [tuple(map(float, c.split(","))) for c in re.findall(r"[ML]([\d.]+,[\d.]+)", target.get("d"))]
    levels = sorted({y for _, y in coords})
    assert len(levels) == 2  # two targets in force, one after the other
    xs = [x for x, _ in coords]
    assert xs == sorted(xs)  # a step line goes forward in time, with one vertical step


def test_near_limits_only_when_the_chart_reads_them():
    plain = spc.draw(_series([50.0, 51.0, 49.0]))
    assert "spc-near-upl" not in plain
    assert "spc-near-upl" in spc.draw(_series([50.0, 51.0, 49.0], near_limits=True))


def test_annotations_are_numbered_and_escaped():
    data = _series([1.0, 2.0, 3.0], annotations=(spc.Annotation(_month(1), "<script>alert(1)</script> & more"),))
    svg = spc.draw(data)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = _parse(svg)
    [note] = [g for g in root.iter(f"{SVG}g") if g.get("class") == "spc-annotation"]
    assert note.find(f"{SVG}title").text.startswith("Note 1, 1 February 2020: <script>")
    assert note.get("tabindex") is None  # the notes are listed in words below the chart


def test_an_empty_or_flat_series_still_draws():
    assert _points(_parse(spc.draw(spc.ChartData("T", "", ())))) == []
    flat = _parse(spc.draw(_series([5.0])))
    assert len(_points(flat)) == 1
    _parse(spc.sparkline(_series([None, None]).points, label="nothing yet"))


values = st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False))


@st.composite
def charts(draw: st.DrawFn) -> spc.ChartData:
    n = draw(st.integers(min_value=0, max_value=40))
    segments = sorted(draw(st.lists(st.integers(min_value=0, max_value=max(n - 1, 0)), max_size=3)))
    points = []
    for k in range(n):
        value = draw(values)
        segment = sum(1 for s in segments if s <= k)
        points.append(
            spc.Point(
                on=_month(k),
                value=value,
                mean=draw(values),
                lpl=draw(values),
                upl=draw(values),
                near_lpl=draw(values),
                near_upl=draw(values),
                target=draw(values),
                point_type=None if value is None else draw(st.sampled_from(TYPES)),
                ghosted=value is not None and draw(st.booleans()),
                ghost_reason=draw(st.one_of(st.none(), st.text(max_size=30))),
                provisional=draw(st.booleans()),
                segment=segment,
            )
        )
    annotations = tuple(
        spc.Annotation(_month(draw(st.integers(min_value=0, max_value=70))), draw(st.text(min_size=1, max_size=40)))
        for _ in range(draw(st.integers(min_value=0, max_value=3)))
    )
    rebases = tuple(spc.Rebase(_month(s), "r") for s in segments)
    return spc.ChartData(
        title=draw(st.text(max_size=40)),
        unit_of_measure=draw(st.sampled_from(["%", "days", "GBP", ""])),
        points=tuple(points),
        annotations=annotations,
        rebases=rebases,
        near_limits=draw(st.booleans()),
    )


def _coordinates(element: ET.Element) -> list[tuple[float, float]]:
    found: list[tuple[float, float]] = []
    if element.tag == f"{SVG}circle":
        found.append((float(element.get("cx")), float(element.get("cy"))))
    if element.tag == f"{SVG}line":
        found += [
            (float(element.get("x1")), float(element.get("y1"))),
            (float(element.get("x2")), float(element.get("y2"))),
        ]
    if element.tag in (f"{SVG}text",):
        found.append((float(element.get("x")), float(element.get("y"))))
    if element.tag == f"{SVG}path":
        found += [tuple(map(float, c.split(","))) for c in re.findall(r"[ML](-?[\d.]+,-?[\d.]+)", element.get("d"))]
    return found


@settings(max_examples=40, deadline=None)
@given(charts())
def test_every_point_is_inside_the_view_box_and_focusable_once(data: spc.ChartData):
    svg = spc.draw(data)
    root = _parse(svg)
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    for element in root.iter():
        for x, y in _coordinates(element):
            assert 0 <= x <= width and 0 <= y <= height, (element.tag, x, y)
    points = _points(root)
    assert len(points) == sum(1 for p in data.points if p.value is not None)
    assert _focusable(root) == points  # one focusable element per point, nothing else
    for element, point in zip(points, [p for p in data.points if p.value is not None], strict=True):
        label = element.get("aria-label")
        assert label == spc._NOT_XML.sub("", spc.point_label(point, data.unit_of_measure))
        assert element.find(f"{SVG}title").text == label
        assert spc.day(point.on) in label
    spark = _parse(spc.sparkline(data.points, label="x"))
    sw, sh = (float(v) for v in spark.get("viewBox").split()[2:])
    for element in spark.iter():
        for x, y in _coordinates(element):
            assert 0 <= x <= sw and 0 <= y <= sh
    assert _focusable(spark) == []


def test_notes_are_numbered_in_date_order_as_the_page_lists_them():
    later, earlier = spc.Annotation(_month(2), "later"), spc.Annotation(_month(0), "earlier")
    root = _parse(spc.draw(_series([1.0, 2.0, 3.0], annotations=(later, earlier))))
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "spc-annotation"]
    assert titles == ["Note 1, 1 January 2020: earlier", "Note 2, 1 March 2020: later"]
