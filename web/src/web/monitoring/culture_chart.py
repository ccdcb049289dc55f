"""Culture survey figures drawn and worded on the server: pure functions, no I/O.

`trend` draws engagement and its sub-scores over the waves of a survey as an SVG line chart on the
0 to 10 scale: each series has its own colour, dash pattern and marker shape (never colour alone),
and every shown point is a focusable group whose `<title>` and `aria-label` say the series, the wave
and the score in words. A figure monitoring-api withholds (disclosure control) is a gap: it is never
drawn, never placed on an axis, and its words say only that it is not shown and why. `heat_band`
puts a score in one of five bands for the heat map's colours (the value is always written in the
cell too). Only presentation attributes are used (no `<style>`), as in web.monitoring.chart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 340
LEFT, RIGHT, TOP, BOTTOM = 48, 32, 56, 64
SCALE_HIGH = 10.0
TEXT = "#4C6272"
GRID = "#E8EDEE"
HEAT_BANDS = 5


@dataclass(frozen=True)
class Style:
    colour: str
    dash: str | None  # stroke-dasharray; None: solid
    marker: str  # circle | square | triangle | diamond
    width: float


# Engagement stands out; its sub-scores differ in colour, dash and marker (NHS.UK colours, each
# 4.5:1 or better on white).
STYLES: dict[str, Style] = {
    "engagement": Style("#005EB8", None, "circle", 3.0),
    "motivation": Style("#007F3B", "6 4", "square", 2.0),
    "involvement": Style("#330072", "2 3", "triangle", 2.0),
    "advocacy": Style("#AE2573", "8 3 2 3", "diamond", 2.0),
}
DEFAULT_STYLE = Style("#425563", None, "circle", 2.0)


@dataclass(frozen=True)
class TrendPoint:
    wave: str  # the wave's title
    value: float | None  # None: not shown (withheld) or nobody answered
    note: str | None = None  # why there is no value, in words (e.g. "fewer than 10 responses")


@dataclass(frozen=True)
class Series:
    id: str
    title: str
    points: tuple[TrendPoint, ...]


# Characters XML 1.0 does not allow (as web.monitoring.chart): dropped from any text.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """Text for the SVG: escaped, one line, and without characters XML cannot hold."""
    return escape(" ".join(_NOT_XML.sub("", value).split()))


# --- words ----------------------------------------------------------------------------------------


def score(value: float | None) -> str:
    """A score on the 0 to 10 scale as people read it: one decimal."""
    if value is None or not math.isfinite(value):
        return "no score"
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def percent(value: float | None) -> str:
    """A percentage, whole: 64%."""
    if value is None or not math.isfinite(value):
        return "no answers"
    text = f"{value:.0f}"
    return ("0" if text == "-0" else text) + "%"


def signed(value: float, *, decimals: int = 1) -> str:
    """A change with its sign: +5.2, a true minus sign (U+2212) before a fall, 0.0 unsigned."""
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text


def point_label(series: Series, point: TrendPoint) -> str:
    if point.value is None or not math.isfinite(point.value):
        return f"{series.title}, {point.wave}: not shown, {point.note or 'no score'}"
    return f"{series.title}, {point.wave}: {score(point.value)} out of 10"


def heat_band(value: float | None, *, high: float = SCALE_HIGH, bands: int = HEAT_BANDS) -> int | None:
    """The band (0 = lowest) of a score for the heat map's colour; None when there is no score."""
    if value is None or not math.isfinite(value):
        return None
    share = min(max(value / high, 0.0), 1.0)
    return min(int(share * bands), bands - 1)


# --- drawing --------------------------------------------------------------------------------------


def _f(value: float) -> str:
    return f"{value:.1f}"


def _x(index: int, count: int, width: float) -> float:
    span = width - LEFT - RIGHT
    if count <= 1:
        return LEFT + span / 2
    return LEFT + span * index / (count - 1)


def _y(value: float, height: float) -> float:
    span = height - TOP - BOTTOM
    clamped = min(max(value, 0.0), SCALE_HIGH)
    return TOP + span * (SCALE_HIGH - clamped) / SCALE_HIGH


def marker(kind: str, x: float, y: float, colour: str, size: float = 5.0) -> str:
    if kind == "square":
        return (
            f'<rect x="{_f(x - size)}" y="{_f(y - size)}" width="{_f(size * 2)}" height="{_f(size * 2)}" '
            f'fill="{colour}" stroke="#FFFFFF" stroke-width="1"/>'
        )
    if kind == "triangle":
        top, left, right = (x, y - size * 1.2), (x - size * 1.1, y + size * 0.9), (x + size * 1.1, y + size * 0.9)
        pts = " ".join(f"{_f(a)},{_f(b)}" for a, b in (top, left, right))
        return f'<polygon points="{pts}" fill="{colour}" stroke="#FFFFFF" stroke-width="1"/>'
    if kind == "diamond":
        r = size * 1.25
        pts = " ".join(f"{_f(a)},{_f(b)}" for a, b in ((x, y - r), (x + r, y), (x, y + r), (x - r, y)))
        return f'<polygon points="{pts}" fill="{colour}" stroke="#FFFFFF" stroke-width="1"/>'
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(size)}" fill="{colour}" stroke="#FFFFFF" stroke-width="1"/>'


def _shown(point: TrendPoint) -> bool:
    return point.value is not None and math.isfinite(point.value)


def trend(
    title: str,
    waves: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    chart_id: str = "trend",
) -> str:
    """Scores over the waves as an SVG element: one line per series, broken where a figure is not
    shown; the y axis is the 0 to 10 scale."""
    count = len(waves)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    hidden = [point_label(s, p) for s in series for p in s.points if not _shown(p)]
    described = (
        f"Line chart of {', '.join(s.title for s in series)} on a scale of 0 to 10 over {count} "
        f"wave{'s' if count != 1 else ''}"
        + (f", from {waves[0]} to {waves[-1]}." if count > 1 else (f": {waves[0]}." if waves else "."))
    )
    if hidden:
        described += " Not shown: " + "; ".join(hidden) + "."
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'class="culture-trend" role="group" aria-labelledby="{title_id}" aria-describedby="{desc_id}" '
        f'font-family="Arial, sans-serif" font-size="12">',
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<desc id="{desc_id}">{_text(described)} Each point can be reached with the Tab key.</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
    ]
    bottom = height - BOTTOM
    # Legend: line, dash and marker of each series.
    out.append('<g class="culture-legend" aria-hidden="true">')
    x = float(LEFT)
    for s in series:
        style = STYLES.get(s.id, DEFAULT_STYLE)
        dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
        out.append(
            f'<line x1="{_f(x)}" x2="{_f(x + 28)}" y1="18" y2="18" stroke="{style.colour}" '
            f'stroke-width="{style.width}"{dash}/>'
        )
        out.append(marker(style.marker, x + 14, 18, style.colour, 4.0))
        out.append(f'<text x="{_f(x + 34)}" y="22" fill="{TEXT}">{_text(s.title)}</text>')
        x += 34 + 7.2 * len(s.title) + 24
    out.append("</g>")
    # Axes and grid: 0 to 10.
    out.append('<g aria-hidden="true">')
    for tick in range(0, 11, 2):
        y = _y(tick, height)
        out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{_f(y)}" y2="{_f(y)}" stroke="{GRID}"/>')
        out.append(f'<text x="{LEFT - 8}" y="{_f(y + 4)}" text-anchor="end" fill="{TEXT}">{tick}</text>')
    out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{bottom}" y2="{bottom}" stroke="{TEXT}"/>')
    for index, wave in enumerate(waves):
        wx = _x(index, count, width)
        anchor = "middle" if 0 < index < count - 1 or count == 1 else ("start" if index == 0 else "end")
        anchor = "middle" if count == 1 else anchor
        label = wave if len(wave) <= 40 else wave[:39] + "\u2026"
        out.append(f'<line x1="{_f(wx)}" x2="{_f(wx)}" y1="{bottom}" y2="{bottom + 4}" stroke="{TEXT}"/>')
        out.append(f'<text x="{_f(wx)}" y="{bottom + 20}" text-anchor="{anchor}" fill="{TEXT}">{_text(label)}</text>')
        if any(not _shown(s.points[index]) for s in series if index < len(s.points)):
            out.append(
                f'<text x="{_f(wx)}" y="{bottom + 36}" text-anchor="{anchor}" fill="{TEXT}" font-size="11">'
                "some figures not shown</text>"
            )
    out.append("</g>")
    # Lines, broken where a figure is not shown.
    out.append('<g class="culture-lines" aria-hidden="true" fill="none">')
    for s in series:
        style = STYLES.get(s.id, DEFAULT_STYLE)
        dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
        run: list[tuple[float, float]] = []
        runs: list[list[tuple[float, float]]] = []
        for index, point in enumerate(s.points[:count]):
            if not _shown(point):
                if run:
                    runs.append(run)
                run = []
                continue
            assert point.value is not None
            run.append((_x(index, count, width), _y(point.value, height)))
        if run:
            runs.append(run)
        for line in runs:
            if len(line) < 2:
                continue
            d = " ".join(("M" if i == 0 else "L") + f"{_f(a)},{_f(b)}" for i, (a, b) in enumerate(line))
            out.append(f'<path d="{d}" stroke="{style.colour}" stroke-width="{style.width}"{dash}/>')
    out.append("</g>")
    # Points: focusable, with their words.
    out.append('<g class="culture-points">')
    for s in series:
        style = STYLES.get(s.id, DEFAULT_STYLE)
        for index, point in enumerate(s.points[:count]):
            if not _shown(point):
                continue
            assert point.value is not None
            label = _text(point_label(s, point))
            mark = marker(style.marker, _x(index, count, width), _y(point.value, height), style.colour)
            out.append(
                f'<g class="culture-point" tabindex="0" role="img" aria-label="{label}" data-series="{_text(s.id)}">'
                f"<title>{label}</title>{mark}</g>"
            )
    out.append("</g></svg>")
    return "".join(out)
