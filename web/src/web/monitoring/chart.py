"""Statistical process control charts drawn as SVG on the server: pure functions, no I/O.

A chart is monitoring-api's XmR chart of one indicator at one unit (`from_chart` reads its answer
into the plain values here). `draw` gives the whole chart in Making Data Count's colours (the
NHSRplotthedots palette): the value line, the mean and process limits of each segment (limits drawn
per segment, so a rebase breaks them; a segment with trial limits is marked provisional), the 2-sigma
near limits dashed when the chart reads them, the target as a step line that changes when the target
does, ghosted points hollow and grey, and annotations as numbered markers. Every point with a value is
a focusable group (`tabindex="0"`) whose `<title>` and `aria-label` say its date, value and type in
words, so a keyboard reaches each point and a screen reader hears it. `sparkline` is the small
version for small multiples. Only presentation attributes are used (no `<style>`): the page's
content security policy refuses inline styles, and the SVG download must look the same on its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Protocol

# NHSRplotthedots' colours (ptd_spc_colours): Making Data Count's palette.
COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289DE0",
    "special_cause_concern": "#FAB428",
    "special_cause_neutral_high": "#361475",
    "special_cause_neutral_low": "#361475",
}
LINE = "#7B7D7D"
TARGET = "#DE1B1B"
TEXT = "#4C6272"  # NHS.UK secondary text: 4.5:1 or better on white
GHOST = "#AEB7BD"

POINT_TYPES = {
    "common_cause": "common cause variation",
    "special_cause_improvement": "special cause variation, improvement",
    "special_cause_concern": "special cause variation, concern",
    "special_cause_neutral_high": "special cause variation, high (neither improvement nor concern)",
    "special_cause_neutral_low": "special cause variation, low (neither improvement nor concern)",
}

WIDTH, HEIGHT = 760, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 36, 56
SPARK_WIDTH, SPARK_HEIGHT = 160, 48


@dataclass(frozen=True)
class Point:
    on: date
    value: float | None  # None: a gap
    mean: float | None = None
    lpl: float | None = None
    upl: float | None = None
    near_lpl: float | None = None
    near_upl: float | None = None
    target: float | None = None
    point_type: str | None = None
    ghosted: bool = False
    ghost_reason: str | None = None
    provisional: bool = False
    segment: int = 0


@dataclass(frozen=True)
class Annotation:
    on: date
    text: str


@dataclass(frozen=True)
class Rebase:
    on: date
    reason: str


@dataclass(frozen=True)
class ChartData:
    title: str
    unit_of_measure: str
    points: tuple[Point, ...]
    annotations: tuple[Annotation, ...] = ()
    rebases: tuple[Rebase, ...] = ()
    near_limits: bool = False  # the 2-sigma lines are part of the reading (drawn dashed)


# --- monitoring-api's chart, read -------------------------------------------------------------


class _ChartPoint(Protocol):
    @property
    def date(self) -> date: ...
    @property
    def value(self) -> float | None: ...
    @property
    def mean(self) -> float | None: ...
    @property
    def lpl(self) -> float | None: ...
    @property
    def upl(self) -> float | None: ...
    @property
    def near_lpl(self) -> float | None: ...
    @property
    def near_upl(self) -> float | None: ...
    @property
    def target(self) -> float | None: ...
    @property
    def point_type(self) -> str | None: ...
    @property
    def ghosted(self) -> bool: ...
    @property
    def ghost_reason(self) -> str | None: ...
    @property
    def provisional(self) -> bool: ...
    @property
    def rebase_group(self) -> int: ...


class _Dated(Protocol):
    @property
    def on(self) -> date: ...


class _Annotation(_Dated, Protocol):
    @property
    def text(self) -> str: ...


class _Rebase(_Dated, Protocol):
    @property
    def reason(self) -> str: ...


def points_of(rows: Iterable[_ChartPoint]) -> tuple[Point, ...]:
    return tuple(
        Point(
            on=row.date,
            value=row.value,
            mean=row.mean,
            lpl=row.lpl,
            upl=row.upl,
            near_lpl=row.near_lpl,
            near_upl=row.near_upl,
            target=row.target,
            point_type=row.point_type,
            ghosted=row.ghosted,
            ghost_reason=row.ghost_reason,
            provisional=row.provisional,
            segment=row.rebase_group,
        )
        for row in rows
    )


def chart_data(
    title: str,
    unit_of_measure: str,
    rows: Iterable[_ChartPoint],
    *,
    annotations: Iterable[_Annotation] = (),
    rebases: Iterable[_Rebase] = (),
    near_limits: bool = False,
) -> ChartData:
    """The chart's values from monitoring-api's answer (`collective_clients.monitoring.models.Chart`)."""
    return ChartData(
        title=title,
        unit_of_measure=unit_of_measure,
        points=points_of(rows),
        annotations=tuple(Annotation(a.on, a.text) for a in sorted(annotations, key=lambda a: a.on)),
        rebases=tuple(Rebase(r.on, r.reason) for r in sorted(rebases, key=lambda r: r.on)),
        near_limits=near_limits,
    )


# --- words ----------------------------------------------------------------------------------------


def number(value: float | None, unit: str = "") -> str:
    """A value as people read it: 1,234, 56.7, 0.35; "no value" for a gap."""
    if value is None or not math.isfinite(value):
        return "no value"
    size = abs(value)
    if size >= 1000:
        text = f"{value:,.0f}"
    elif size >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:.2f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def month(on: date) -> str:
    return on.strftime("%b %Y")


def day(on: date) -> str:
    return f"{on.day} {on.strftime('%B %Y')}"


def point_type_words(point: Point) -> str:
    if point.ghosted:
        reason = f": {point.ghost_reason}" if point.ghost_reason else ""
        return f"ghosted, left out of the calculation{reason}"
    return POINT_TYPES.get(point.point_type or "", "not classified")


def point_label(point: Point, unit: str = "") -> str:
    """What a point says to a screen reader and in its tooltip."""
    words = f"{day(point.on)}: {number(point.value, unit)}, {point_type_words(point)}"
    if point.provisional and not point.ghosted:
        words += " (provisional limits)"
    return " ".join(words.split())  # one line: it is an attribute's value too


# --- drawing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    low: float
    high: float
    count: int

    def x(self, index: int) -> float:
        span = self.width - self.left - self.right
        if self.count <= 1:
            return self.left + span / 2
        return self.left + span * index / (self.count - 1)

    def y(self, value: float) -> float:
        span = self.height - self.top - self.bottom
        clamped = min(max(value, self.low), self.high)
        return self.top + span * (self.high - clamped) / (self.high - self.low)

    @property
    def step(self) -> float:
        span = self.width - self.left - self.right
        return span / max(self.count - 1, 1)


def _finite(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _range(points: Sequence[Point], *, near_limits: bool) -> tuple[float, float]:
    seen = _finite(
        v
        for p in points
        for v in (p.value, p.mean, p.lpl, p.upl, p.target, *((p.near_lpl, p.near_upl) if near_limits else ()))
    )
    if not seen:
        return 0.0, 1.0
    low, high = min(seen), max(seen)
    if high - low < 1e-9:
        pad = max(abs(high) * 0.1, 1.0)
        return low - pad, high + pad
    pad = (high - low) * 0.06
    return low - pad, high + pad


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-9 and len(ticks) < 20:
        ticks.append(round(value, 10))
        value += step
    return ticks


# Characters XML 1.0 does not allow (control characters, lone surrogates): dropped from any text.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """Text for the SVG: escaped, and without characters XML cannot hold."""
    return escape(_NOT_XML.sub("", value))


def _f(value: float) -> str:
    return f"{value:.1f}"


def _path(coords: Sequence[tuple[float, float]]) -> str:
    return " ".join(("M" if i == 0 else "L") + f"{_f(x)},{_f(y)}" for i, (x, y) in enumerate(coords))


def _runs(
    points: Sequence[Point], pick: str, frame: _Frame, *, by_segment: bool = True
) -> list[list[tuple[float, float]]]:
    """Polylines of one attribute of the points: broken where it is missing (and, for limits, where
    a segment starts), so each segment's lines are its own."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    segment: int | None = None
    for index, point in enumerate(points):
        value = getattr(point, pick)
        if (
            value is None
            or not math.isfinite(value)
            or (by_segment and segment is not None and point.segment != segment)
        ):
            if current:
                runs.append(current)
            current = []
        if value is not None and math.isfinite(value):
            current.append((frame.x(index), frame.y(value)))
        segment = point.segment
    if current:
        runs.append(current)
    return runs


def _level_lines(points: Sequence[Point], pick: str, frame: _Frame) -> list[list[tuple[float, float]]]:
    """A limit or mean as it is drawn: level across its points, half a step either side, so a
    segment of one point still shows its lines."""
    out = []
    half = frame.step / 2 if frame.count > 1 else 20.0
    left, right = frame.left, frame.width - frame.right
    for run in _runs(points, pick, frame):
        if len(run) == 1:
            (x, y) = run[0]
            out.append([(max(x - half, left), y), (min(x + half, right), y)])
        else:
            out.append(run)
    return out


def _target_steps(points: Sequence[Point], frame: _Frame) -> list[list[tuple[float, float]]]:
    """The target as a step line: level while it is in force, a vertical step where it changes."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    half = frame.step / 2 if frame.count > 1 else 20.0
    previous: float | None = None
    for index, point in enumerate(points):
        target = point.target
        x = frame.x(index)
        if target is None or not math.isfinite(target):
            if current:
                runs.append(current)
            current, previous = [], None
            continue
        y = frame.y(target)
        if previous is None:
            current = [(x - half, y)]
        elif target != previous:
            current.append((x - half, frame.y(previous)))
            current.append((x - half, y))
        current.append((x + half if index == len(points) - 1 else x, y))
        previous = target
    if current:
        runs.append(current)
    left, right = frame.left, frame.width - frame.right
    return [[(min(max(x, left), right), y) for x, y in run] for run in runs]


def _index_on_or_after(points: Sequence[Point], on: date) -> int | None:
    for index, point in enumerate(points):
        if point.on >= on:
            return index
    return None


def draw(data: ChartData, *, width: int = WIDTH, height: int = HEIGHT, chart_id: str = "spc") -> str:
    """The whole chart as an SVG element (for the page, and as the download)."""
    points = data.points
    low, high = _range(points, near_limits=data.near_limits)
    frame = _Frame(width, height, LEFT, RIGHT, TOP, BOTTOM, low, high, len(points))
    unit = data.unit_of_measure
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    plotted = [p for p in points if p.value is not None and math.isfinite(p.value)]
    described = (
        f"Statistical process control chart of {len(plotted)} values from "
        f"{month(points[0].on)} to {month(points[-1].on)}."
        if points
        else "No values yet."
    )
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'class="spc-chart" role="group" aria-labelledby="{title_id}" aria-describedby="{desc_id}" '
        f'font-family="Arial, sans-serif" font-size="12">',
        f'<title id="{title_id}">{_text(data.title)}</title>',
        f'<desc id="{desc_id}">{_text(described)} Each point can be reached with the Tab key.</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
    ]
    # Axes and grid.
    bottom_y = height - BOTTOM
    out.append('<g aria-hidden="true">')
    for tick in _ticks(low, high):
        y = frame.y(tick)
        out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{_f(y)}" y2="{_f(y)}" stroke="#E8EDEE"/>')
        out.append(f'<text x="{LEFT - 6}" y="{_f(y + 4)}" text-anchor="end" fill="{TEXT}">{_text(number(tick))}</text>')
    out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{bottom_y}" y2="{bottom_y}" stroke="{TEXT}"/>')
    every = max(1, math.ceil(len(points) / 8))
    for index, point in enumerate(points):
        if index % every == 0:
            x = frame.x(index)
            out.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{bottom_y}" y2="{bottom_y + 4}" stroke="{TEXT}"/>')
            anchor = "end" if x > width - RIGHT - 30 else "middle"  # the last label stays inside
            out.append(
                f'<text x="{_f(x)}" y="{bottom_y + 18}" text-anchor="{anchor}" fill="{TEXT}">{month(point.on)}</text>'
            )
    if unit:
        out.append(f'<text x="{LEFT - 6}" y="{TOP - 14}" text-anchor="end" fill="{TEXT}">{_text(unit)}</text>')
    out.append("</g>")
    # Rebase breaks.
    out.append('<g class="spc-rebases" aria-hidden="true">')
    for rebase in data.rebases:
        at = _index_on_or_after(points, rebase.on)
        if at is None or at == 0:
            continue
        x = (frame.x(at - 1) + frame.x(at)) / 2
        out.append(
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{TOP}" y2="{bottom_y}" stroke="{TEXT}" stroke-dasharray="2 3">'
            f"<title>Rebased from {_text(month(rebase.on))}: {_text(rebase.reason)}</title></line>"
        )
        out.append(f'<text x="{_f(x + 3)}" y="{TOP - 2}" fill="{TEXT}" font-size="11">rebased</text>')
    out.append("</g>")
    # Mean, limits, near limits, per segment; provisional segments say so.
    out.append('<g class="spc-lines" aria-hidden="true" fill="none">')
    for run in _level_lines(points, "mean", frame):
        out.append(f'<path class="spc-mean" d="{_path(run)}" stroke="{LINE}" stroke-width="1.5"/>')
    for pick in ("upl", "lpl"):
        for run in _level_lines(points, pick, frame):
            out.append(
                f'<path class="spc-{pick}" d="{_path(run)}" stroke="{LINE}" stroke-width="1.5" stroke-dasharray="6 4"/>'
            )
    if data.near_limits:
        for pick in ("near_upl", "near_lpl"):
            for run in _level_lines(points, pick, frame):
                out.append(
                    f'<path class="spc-{pick.replace("_", "-")}" d="{_path(run)}" stroke="{LINE}" '
                    'stroke-width="1" stroke-dasharray="2 3"/>'
                )
    for run in _target_steps(points, frame):
        out.append(
            f'<path class="spc-target" d="{_path(run)}" stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="8 3"/>'
        )
    out.append("</g>")
    provisional_segments = sorted({p.segment for p in points if p.provisional})
    if provisional_segments:
        out.append('<g class="spc-provisional" aria-hidden="true">')
        for segment in provisional_segments:
            first = next(i for i, p in enumerate(points) if p.segment == segment)
            out.append(
                f'<text x="{_f(frame.x(first))}" y="{TOP - 16}" fill="{TEXT}" font-size="11">provisional limits</text>'
            )
        out.append("</g>")
    # The value line, broken at gaps.
    out.append('<g class="spc-values" aria-hidden="true" fill="none">')
    for run in _runs(points, "value", frame, by_segment=False):
        if len(run) > 1:
            out.append(f'<path d="{_path(run)}" stroke="{LINE}" stroke-width="1.5"/>')
    out.append("</g>")
    # Annotations: numbered markers on the top edge.
    if data.annotations:
        out.append('<g class="spc-annotations">')
        for number_, annotation in enumerate(sorted(data.annotations, key=lambda a: a.on), start=1):
            at = _index_on_or_after(points, annotation.on)
            if at is None:
                continue
            x = frame.x(at)
            out.append(
                f'<g class="spc-annotation"><title>Note {number_}, {_text(day(annotation.on))}: '
                f"{_text(annotation.text)}</title>"
                f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{TOP}" y2="{bottom_y}" stroke="#005EB8" stroke-width="1" '
                'stroke-dasharray="1 3"/>'
                f'<circle cx="{_f(x)}" cy="{TOP + 8}" r="8" fill="#005EB8"/>'
                f'<text x="{_f(x)}" y="{TOP + 12}" text-anchor="middle" fill="#FFFFFF" font-size="11" '
                f'font-weight="bold">{number_}</text></g>'
            )
        out.append("</g>")
    # The points: each one focusable, with its words.
    out.append('<g class="spc-points">')
    for index, point in enumerate(points):
        if point.value is None or not math.isfinite(point.value):
            continue
        x, y = frame.x(index), frame.y(point.value)
        label = _text(point_label(point, unit))
        if point.ghosted:
            mark = f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4.5" fill="#FFFFFF" stroke="{GHOST}" stroke-width="2"/>'
        else:
            colour = COLOURS.get(point.point_type or "", LINE)
            special = point.point_type not in (None, "common_cause")
            radius = 5.5 if special else 4
            mark = f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{radius}" fill="{colour}" stroke="#FFFFFF" stroke-width="1"/>'
        out.append(
            f'<g class="spc-point" tabindex="0" role="img" aria-label="{label}" data-index="{index}">'
            f"<title>{label}</title>{mark}</g>"
        )
    out.append("</g></svg>")
    return "".join(out)


def sparkline(points: Sequence[Point], *, label: str, width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT) -> str:
    """A small chart for small multiples: values, the last segment's mean and limits, and the last
    point in its colour; one image with its words (the link around it is what is focused)."""
    low, high = _range(points, near_limits=False)
    frame = _Frame(width, height, 4, 8, 4, 4, low, high, len(points))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'class="spc-sparkline" role="img" aria-label="{_text(label)}"><title>{_text(label)}</title>'
    ]
    for pick in ("upl", "lpl"):
        for run in _level_lines(points, pick, frame):
            out.append(f'<path d="{_path(run)}" fill="none" stroke="{GHOST}" stroke-width="1" stroke-dasharray="3 2"/>')
    for run in _level_lines(points, "mean", frame):
        out.append(f'<path d="{_path(run)}" fill="none" stroke="{GHOST}" stroke-width="1"/>')
    for run in _runs(points, "value", frame, by_segment=False):
        if len(run) > 1:
            out.append(f'<path d="{_path(run)}" fill="none" stroke="{LINE}" stroke-width="1.5"/>')
    for index, point in enumerate(points):
        if point.value is None or not math.isfinite(point.value) or point.point_type in (None, "common_cause"):
            continue
        if point.ghosted:
            continue
        colour = COLOURS.get(point.point_type or "", LINE)
        out.append(f'<circle cx="{_f(frame.x(index))}" cy="{_f(frame.y(point.value))}" r="2" fill="{colour}"/>')
    out.append("</svg>")
    return "".join(out)


def standalone(svg: str) -> str:
    """The chart as a file of its own (the download)."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"
