"""The report's two charts as inline SVG, drawn by hand.

Why by hand: the pages must open in any browser on a closed network, and two simple charts do not justify
a charting library. Labels are passed in already rendered, so the charts know nothing of languages.
"""

from __future__ import annotations

from html import escape
from typing import Any

OURS, BASE, VOLUME = "#c0392b", "#7f8c8d", "#d5dbe0"


def bars(rows: list[tuple[str, float, int, float | None]], *, caption: str) -> str:
    """Horizontal bars, one per (label, rate, count, 2018 rate or None): this run's rate with its case count,
    and the 2018 baseline beside it where there is one."""
    row, label_w, width = 34, 190, 480
    height = row * len(rows) + 16
    parts = [f'<svg width="{label_w + width + 110}" height="{height}" '
             f'role="img" aria-label="{escape(caption)}">']
    for i, (name, rate, count, baseline) in enumerate(rows):
        y = 8 + i * row
        parts.append(f'<text x="0" y="{y + 12}" font-size="12">{escape(name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{rate * width:.1f}" height="12" fill="{OURS}"/>')
        parts.append(f'<text x="{label_w + rate * width + 4:.1f}" y="{y + 11}" font-size="11">'
                     f'{rate:.1%} ({count:,})</text>')
        if baseline is not None:
            parts.append(f'<rect x="{label_w}" y="{y + 14}" width="{baseline * width:.1f}" height="10" '
                         f'fill="{BASE}"/>')
            parts.append(f'<text x="{label_w + baseline * width + 4:.1f}" y="{y + 23}" font-size="10" '
                         f'fill="{BASE}">{baseline:.0%} (2018)</text>')
    parts.append("</svg>")
    return "".join(parts)


def trend(points: list[dict[str, Any]], baseline: float, *, caption: str) -> str:
    """Per checkpoint week: the number of checked cases as grey columns (right axis) and the defect rate as a
    red line (left axis), with the 2018 overall rate dashed."""
    width, height, pad = 760, 240, 40
    most = max((p["cases"] for p in points), default=0)
    if not most:
        return ""
    step = (width - 2 * pad) / max(len(points), 1)

    def y(share: float) -> float:
        return height - pad - share * (height - 2 * pad)

    def x(i: int) -> float:
        return pad + (i + 0.5) * step

    parts = [f'<svg width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(caption)}">']
    for i, p in enumerate(points):
        parts.append(f'<rect x="{x(i) - step * 0.4:.1f}" y="{y(p["cases"] / most):.1f}" width="{step * 0.8:.1f}" '
                     f'height="{y(0) - y(p["cases"] / most):.1f}" fill="{VOLUME}"><title>{escape(p["week"])}: '
                     f'{p["cases"]:,} / {p["defect_rate"]:.1%}</title></rect>')
    coords = " ".join(f"{x(i):.1f},{y(p['defect_rate']):.1f}" for i, p in enumerate(points))
    parts += [f'<line x1="{pad}" y1="{y(0)}" x2="{width - pad}" y2="{y(0)}" stroke="#999"/>',
              f'<line x1="{pad}" y1="{y(1)}" x2="{pad}" y2="{y(0)}" stroke="#999"/>',
              f'<text x="2" y="{y(1) + 4}" font-size="10">100%</text>',
              f'<text x="14" y="{y(0) + 4}" font-size="10">0%</text>',
              f'<text x="{width - pad + 4}" y="{y(1) + 4}" font-size="10" fill="{BASE}">{most:,}</text>',
              f'<text x="{width - pad + 4}" y="{y(0) + 4}" font-size="10" fill="{BASE}">0</text>',
              f'<line x1="{pad}" y1="{y(baseline):.1f}" x2="{width - pad}" y2="{y(baseline):.1f}" stroke="{BASE}" '
              f'stroke-dasharray="5,4"/><text x="{width - pad - 70}" y="{y(baseline) - 4:.1f}" font-size="10" '
              f'fill="{BASE}">2018: {baseline:.0%}</text>',
              f'<polyline points="{coords}" fill="none" stroke="{OURS}" stroke-width="2"/>']
    for i, p in enumerate(points):
        if i % max(len(points) // 8, 1) == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 14}" font-size="9" '
                         f'text-anchor="middle">{escape(p["week"])}</text>')
    parts.append("</svg>")
    return "".join(parts)
