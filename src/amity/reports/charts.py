"""Charts as server-side SVG: bar, line, funnel and heat-map, no JavaScript and no build step.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (read by screen
readers; the desc lists every value) and a ``viewBox`` with ``width="100%"``, so it scales to
the column it sits in and stays readable on a 390 px phone: bars are horizontal with their
label above, the line chart labels only a few ticks. Colours are presentation attributes
(the content security policy forbids inline styles, not these). Geometry uses floats; every
number printed comes from the exact value given.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2")
WIDTH = 360
_ids = itertools.count(1)


def fmt(value: Any) -> str:
    if value is None:
        return "\u2013"
    if isinstance(value, Decimal):
        return f"{value:,f}" if value == value.to_integral() else f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _num(value: Any) -> float:
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _open(title: str, desc: str, height: float, width: float = WIDTH) -> tuple[str, str]:
    n = next(_ids)
    head = (f'<svg class="chart" role="img" viewBox="0 0 {width:g} {height:g}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" aria-labelledby="chart-t{n} chart-d{n}" '
            f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" '
            f'font-size="13"><title id="chart-t{n}">{escape(title)}</title>'
            f'<desc id="chart-d{n}">{escape(desc)}</desc>')
    return head, "</svg>"


def _svg(parts: list[str]) -> Markup:
    # every text or label interpolated into ``parts`` went through ``escape`` first
    return Markup("".join(parts))  # noqa: S704


def _describe(labels: Sequence[str], values: Sequence[Any]) -> str:
    return "; ".join(f"{lab}: {fmt(v)}" for lab, v in zip(labels, values, strict=False))


def empty(title: str) -> Markup:
    head, tail = _open(title, "No data", 40)
    return _svg([head, '<text x="0" y="24" fill="#6b7280">No data to chart.</text>', tail])


def bar_chart(title: str, labels: Sequence[str], values: Sequence[Any]) -> Markup:
    """Horizontal bars, one per label; negative values drawn from zero to the left."""
    if not labels:
        return empty(title)
    nums = [_num(v) for v in values]
    top = max((abs(n) for n in nums), default=0.0) or 1.0
    has_neg = any(n < 0 for n in nums)
    zero = WIDTH / 2 if has_neg else 0.0
    span = WIDTH / 2 if has_neg else WIDTH - 70
    row = 38
    head, tail = _open(title, _describe(labels, values), row * len(labels) + 4)
    parts = [head]
    for i, (label, value, n) in enumerate(zip(labels, values, nums, strict=False)):
        y = i * row
        w = abs(n) / top * span
        x = zero - w if n < 0 else zero
        parts.append(f'<text x="0" y="{y + 13}" fill="#111827">{escape(label)}</text>'
                     f'<rect x="{x:.1f}" y="{y + 18}" width="{max(w, 1):.1f}" height="14" '
                     f'rx="2" fill="{PALETTE[0]}"><title>{escape(label)}: {escape(fmt(value))}'
                     f'</title></rect><text x="{min(x + w + 4, WIDTH - 66):.1f}" '
                     f'y="{y + 30}" fill="#374151" font-size="12">{escape(fmt(value))}</text>')
    parts.append(tail)
    return _svg(parts)


def line_chart(title: str, labels: Sequence[str], values: Sequence[Any]) -> Markup:
    """One series over ordered labels (time buckets); a few tick labels so a phone can read
    them, every point with its value in a tooltip and in the description."""
    if not labels:
        return empty(title)
    nums = [_num(v) for v in values]
    lo, hi = min(0.0, *nums), max(nums) or 1.0
    if hi == lo:
        hi = lo + 1
    left, right, top, bottom, height = 8, WIDTH - 8, 18, 170, 200
    step = (right - left) / max(len(nums) - 1, 1)
    pts = [(left + i * step, bottom - (n - lo) / (hi - lo) * (bottom - top))
           for i, n in enumerate(nums)]
    head, tail = _open(title, _describe(labels, values), height)
    parts = [head, f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" '
                   'stroke="#9ca3af"/>',
             f'<text x="{left}" y="12" fill="#374151" font-size="12">max '
             f'{escape(fmt(max(values, key=_num)))}</text>',
             '<polyline fill="none" stroke="' + PALETTE[0] + '" stroke-width="2" points="'
             + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>']
    for (x, y), label, value in zip(pts, labels, values, strict=False):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{PALETTE[0]}">'
                     f'<title>{escape(label)}: {escape(fmt(value))}</title></circle>')
    ticks = sorted({0, len(labels) // 2, len(labels) - 1})
    for i in ticks:
        anchor = "start" if i == 0 else ("end" if i == len(labels) - 1 else "middle")
        parts.append(f'<text x="{pts[i][0]:.1f}" y="{bottom + 20}" text-anchor="{anchor}" '
                     f'fill="#374151" font-size="12">{escape(labels[i])}</text>')
    parts.append(tail)
    return _svg(parts)


def funnel_chart(title: str, stages: Sequence[tuple[str, int]]) -> Markup:
    """Centred bars narrowing stage by stage, each with its count and the share of the first."""
    if not stages:
        return empty(title)
    first = stages[0][1] or 1
    top = max(n for _s, n in stages) or 1
    row = 40
    desc = "; ".join(f"{s}: {n} ({n * 100 // first}% of {stages[0][0]})" for s, n in stages)
    head, tail = _open(title, desc, row * len(stages) + 4)
    parts = [head]
    for i, (stage, n) in enumerate(stages):
        y = i * row
        w = max(n / top * WIDTH, 2)
        parts.append(f'<text x="0" y="{y + 13}" fill="#111827">{escape(stage)} \u00b7 {n:,}'
                     f' ({n * 100 // first}%)</text><rect x="{(WIDTH - w) / 2:.1f}" '
                     f'y="{y + 18}" width="{w:.1f}" height="16" rx="3" '
                     f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(stage)}: {n:,}</title>'
                     '</rect>')
    parts.append(tail)
    return _svg(parts)


def heat_map(title: str, rows: Sequence[str], columns: Sequence[str],
             cells: Sequence[Sequence[Decimal | None]]) -> Markup:
    """A grid of shares (0-1): darker is higher, each cell printed as a whole percentage."""
    if not rows:
        return empty(title)
    label_w, cell_h = 62, 24
    cell_w = max(22.0, (WIDTH - label_w) / max(len(columns), 1))
    width = label_w + cell_w * len(columns)
    desc = "; ".join(f"{r}: " + ", ".join(f"{c} {fmt_pct(v)}" for c, v in
                                          zip(columns, vals, strict=False))
                     for r, vals in zip(rows, cells, strict=False))
    head, tail = _open(title, desc, cell_h * (len(rows) + 1) + 4, width)
    parts = [head]
    for j, col in enumerate(columns):
        parts.append(f'<text x="{label_w + j * cell_w + cell_w / 2:.1f}" y="16" '
                     f'text-anchor="middle" fill="#374151" font-size="11">{escape(col)}</text>')
    for i, (r, vals) in enumerate(zip(rows, cells, strict=False)):
        y = (i + 1) * cell_h
        parts.append(f'<text x="0" y="{y + 16}" fill="#111827" font-size="11">{escape(r)}</text>')
        for j, v in enumerate(vals):
            if v is None:
                continue
            share = min(max(float(v), 0.0), 1.0)
            ink = "#ffffff" if share >= 0.5 else "#111827"
            parts.append(f'<rect x="{label_w + j * cell_w:.1f}" y="{y}" width="{cell_w - 1:.1f}"'
                         f' height="{cell_h - 1}" fill="{PALETTE[0]}" '
                         f'fill-opacity="{0.08 + 0.92 * share:.2f}"><title>{escape(r)} '
                         f'{escape(columns[j])}: {fmt_pct(v)}</title></rect>'
                         f'<text x="{label_w + j * cell_w + cell_w / 2:.1f}" y="{y + 16}" '
                         f'text-anchor="middle" fill="{ink}" font-size="10">{fmt_pct(v)}</text>')
    parts.append(tail)
    return _svg(parts)


def fmt_pct(value: Decimal | None) -> str:
    return "\u2013" if value is None else f"{value * 100:.0f}%"


def for_result(title: str, chart: str, columns: Sequence[Any], rows: Sequence[Sequence[Any]]
               ) -> Markup | None:
    """The chart of a report result: its dimensions joined as labels, its first measure as
    values; ``None`` for a table-only report or one without a dimension."""
    dims = [i for i, c in enumerate(columns) if c.kind == "dimension"]
    measure = next((i for i, c in enumerate(columns) if c.kind == "measure"), None)
    if chart == "table" or not dims or measure is None:
        return None
    labels = [" \u00b7 ".join("(none)" if r[i] is None else str(r[i]) for i in dims)
              for r in rows]
    values = [r[measure] for r in rows]
    full = f"{title}: {columns[measure].label} by " + ", ".join(columns[i].label for i in dims)
    if chart == "line":
        return line_chart(full, labels, values)
    return bar_chart(full, labels, values)
