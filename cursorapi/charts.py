"""Small SVG charts drawn on the server for the admin: no JavaScript, nothing loaded from outside.

Colours that must follow the admin's light and dark themes (text, axes) are CSS classes styled by
the page with the admin's own variables; series colours are mid-tones readable on both themes.
Every chart is `role="img"` with an `aria-label` that states what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#3d8fd1", "#e09b2d", "#4caf7a", "#9b6ad6", "#d65a8a", "#6aa6a6"]
ERROR_COLOUR = "#d64545"


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str


def _fmt(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _nice_top(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above `value`, so that gridlines land on round numbers."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _open(width: int, height: int, label: str, fluid: bool = True) -> list[str]:
    # Fluid charts fill their column; the others keep their drawn size (form rows, short lists).
    size = 'width="100%"' if fluid else f'width="{width}" height="{height}"'
    return [
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'{size} preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
    ]


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts = []
    for item in series:
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{item.colour}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y:.1f}">{escape(item.name)}</text>')
        x += 22 + 7 * len(item.name)
    return parts


def _axes(left: float, top: float, width: float, height: float, peak: float, unit: str) -> list[str]:
    parts = []
    for fraction in (0, 0.5, 1):
        y = top + height * (1 - fraction)
        parts.append(f'<line class="grid" x1="{left}" x2="{left + width}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">')
        parts.append(f"{_fmt(peak * fraction)}{unit}</text>")
    return parts


def _x_labels(labels: Sequence[str], left: float, step: float, y: float) -> list[str]:
    every = max(1, len(labels) // 8)
    return [
        f'<text class="tick" x="{left + step * (i + 0.5):.1f}" y="{y:.1f}" text-anchor="middle">'
        f"{escape(text)}</text>"
        for i, text in enumerate(labels)
        if i % every == 0
    ]


def stacked_bars(labels: Sequence[str], series: Sequence[Series], label: str, unit: str = "") -> SafeString:
    """One bar per label, its series stacked bottom-up."""
    width, height, left, top, bottom = 560, 190, 44, 22, 22
    plot_w, plot_h = width - left - 8, height - top - bottom
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    peak = _nice_top(max(totals, default=0))
    step = plot_w / max(1, len(labels))
    parts = _open(width, height, label)
    parts += _axes(left, top, plot_w, plot_h, peak, unit)
    for i in range(len(labels)):
        base = top + plot_h
        for item in series:
            value = item.values[i] or 0
            if not value:
                continue
            bar_h = plot_h * value / peak
            base -= bar_h
            parts.append(
                f'<rect x="{left + step * i + step * 0.12:.1f}" y="{base:.1f}" width="{step * 0.76:.1f}" '
                f'height="{bar_h:.1f}" fill="{item.colour}"><title>{escape(labels[i])} '
                f"{escape(item.name)}: {_fmt(value)}</title></rect>"
            )
    parts += _x_labels(labels, left, step, height - 6)
    parts += _legend(series, left, 12)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text inside went through escape()


def lines(labels: Sequence[str], series: Sequence[Series], label: str, unit: str = "") -> SafeString:
    """One polyline per series; a gap where a value is missing (no requests in that bucket)."""
    width, height, left, top, bottom = 560, 190, 54, 22, 22
    plot_w, plot_h = width - left - 8, height - top - bottom
    peak = _nice_top(max((v for s in series for v in s.values if v is not None), default=0))
    step = plot_w / max(1, len(labels))
    parts = _open(width, height, label)
    parts += _axes(left, top, plot_w, plot_h, peak, unit)
    for item in series:
        runs: list[list[str]] = [[]]
        for i, value in enumerate(item.values):
            if value is None:
                runs.append([])
                continue
            x, y = left + step * (i + 0.5), top + plot_h * (1 - value / peak)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{item.colour}"><title>{escape(labels[i])} '
                f"{escape(item.name)}: {_fmt(value)}{unit}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                points = " ".join(run)
                parts.append(
                    f'<polyline fill="none" stroke="{item.colour}" stroke-width="2" points="{points}"/>'
                )
    parts += _x_labels(labels, left, step, height - 6)
    parts += _legend(series, left, 12)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def meters(rows: Sequence[tuple[str, float, str]], label: str, colour: str = PALETTE[0]) -> SafeString:
    """Horizontal bars, one per row: (name, fraction 0..1, text shown at the bar's end)."""
    row_h, name_w, bar_w = 20, 170, 420
    height = max(1, len(rows)) * row_h + 4
    parts = _open(name_w + bar_w + 130, height, label, fluid=False)
    for i, (name, fraction, text) in enumerate(rows):
        y = 2 + i * row_h
        shown = name if len(name) <= 24 else name[:23] + "…"
        filled = bar_w * min(1.0, max(0.0, fraction))
        fill = ERROR_COLOUR if fraction >= 0.9 else colour
        parts.append(f'<text x="0" y="{y + 13}">{escape(shown)}</text>')
        parts.append(f'<rect class="track" x="{name_w}" y="{y + 3}" width="{bar_w}" height="12"/>')
        parts.append(f'<rect x="{name_w}" y="{y + 3}" width="{filled:.1f}" height="12" fill="{fill}"/>')
        parts.append(f'<text x="{name_w + bar_w + 6}" y="{y + 13}">{escape(text)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def cumulative(points: Sequence[tuple[float, float]], label: str) -> SafeString:
    """A step line of (milliseconds since the start, total characters so far)."""
    width, height, left, top, bottom = 620, 170, 54, 12, 22
    plot_w, plot_h = width - left - 8, height - top - bottom
    end_ms = max((ms for ms, _ in points), default=0) or 1
    peak = _nice_top(max((chars for _, chars in points), default=0))
    parts = _open(width, height, label, fluid=False)
    parts += _axes(left, top, plot_w, plot_h, peak, "")
    path = [f"{left},{top + plot_h}"]
    last_y = top + plot_h
    for ms, chars in points:
        x = left + plot_w * ms / end_ms
        y = top + plot_h * (1 - chars / peak)
        path += [f"{x:.1f},{last_y:.1f}", f"{x:.1f},{y:.1f}"]
        last_y = y
    parts.append(f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2" points="{" ".join(path)}"/>')
    for fraction in (0, 0.5, 1):
        x = left + plot_w * fraction
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{_fmt(end_ms * fraction)} ms</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
