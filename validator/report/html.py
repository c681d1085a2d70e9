"""The report as one self-contained HTML file: inline CSS and SVG charts, no scripts, no network.

Why SVG by hand: the file must open in any browser on a closed network, and two simple charts do not
justify a charting library.
"""

from __future__ import annotations

from html import escape
from typing import Any

from validator.report.text import accounting

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem} td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
td.n{text-align:right} .big{font-size:2.2rem;font-weight:bold} .muted{color:#666}
.legend span{display:inline-block;width:.9rem;height:.9rem;margin:0 .3rem 0 1rem;vertical-align:middle}
"""
_OURS, _BASE = "#c0392b", "#7f8c8d"


def _bars(categories: dict[str, float], baseline: dict[str, float]) -> str:
    """Horizontal bars: this run's rate per category, the 2018 baseline beside it where there is one."""
    row, label_w, width = 34, 150, 520
    height = row * len(categories) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 80}" height="{height}" '
             'role="img" aria-label="defect rate per category next to the 2018 baseline">']
    for i, (name, rate) in enumerate(categories.items()):
        y = 10 + i * row
        parts.append(f'<text x="0" y="{y + 12}" font-size="12">{escape(name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{rate * width:.1f}" height="12" fill="{_OURS}"/>')
        parts.append(f'<text x="{label_w + rate * width + 4:.1f}" y="{y + 11}" font-size="11">{rate:.1%}</text>')
        if name in baseline:
            b = baseline[name]
            parts.append(f'<rect x="{label_w}" y="{y + 14}" width="{b * width:.1f}" height="10" fill="{_BASE}"/>')
            parts.append(f'<text x="{label_w + b * width + 4:.1f}" y="{y + 23}" font-size="10" '
                         f'fill="{_BASE}">{b:.0%} (2018)</text>')
    parts.append("</svg>")
    return "".join(parts)


def _line(points: list[dict[str, Any]], baseline: float) -> str:
    """Defect rate per checkpoint week, with the 2018 overall rate as a dashed line."""
    width, height, pad = 700, 220, 36
    if not points:
        return '<p class="muted">no checked cases yet</p>'
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y(rate: float) -> float:
        return height - pad - rate * (height - 2 * pad)

    coords = " ".join(f"{pad + i * step:.1f},{y(p['defect_rate']):.1f}" for i, p in enumerate(points))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             'aria-label="defect rate over time">',
             f'<line x1="{pad}" y1="{y(0)}" x2="{width - pad}" y2="{y(0)}" stroke="#999"/>',
             f'<line x1="{pad}" y1="{y(1)}" x2="{pad}" y2="{y(0)}" stroke="#999"/>',
             f'<text x="2" y="{y(1) + 4}" font-size="10">100%</text>',
             f'<text x="8" y="{y(0) + 4}" font-size="10">0%</text>',
             f'<line x1="{pad}" y1="{y(baseline):.1f}" x2="{width - pad}" y2="{y(baseline):.1f}" stroke="{_BASE}" '
             f'stroke-dasharray="5,4"/><text x="{width - pad - 80}" y="{y(baseline) - 4:.1f}" font-size="10" '
             f'fill="{_BASE}">2018: {baseline:.0%}</text>',
             f'<polyline points="{coords}" fill="none" stroke="{_OURS}" stroke-width="2"/>']
    for i, p in enumerate(points):
        if i % max(len(points) // 8, 1) == 0:
            parts.append(f'<text x="{pad + i * step:.1f}" y="{height - 12}" font-size="9" '
                         f'text-anchor="middle">{escape(p["week"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render(report: dict[str, Any]) -> str:
    """The whole HTML document."""
    base = report["baseline"]
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td class=n>{rate:.1%}</td>"
        f"<td class=n>{'' if name not in base['categories'] else format(base['categories'][name], '.0%')}</td></tr>"
        for name, rate in report["categories"].items())
    partners = "".join(f"<tr><td>{escape(p)}</td><td class=n>{r:.1%}</td></tr>"
                       for p, r in report["partners"].items())
    defective = [c for c in report["cases"] if c["defects"]]
    shown = defective[:500]
    cases = "".join(
        f"<tr><td><code>{escape(c['case'])}</code></td><td>{escape(c['checkpoint'][:16])}</td><td>"
        + "; ".join(escape(f"{d['category']} {d['kind']} ({d['partner']}, {d['rule']})") for d in c["defects"])
        + "</td></tr>" for c in shown)
    unknown = report["unknown_cases"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sigma completeness report</title><style>{_CSS}</style></head>
<body>
<h1>Completeness of chain information before departure</h1>
<p><span class="big">{report['defect_rate']:.1%}</span> of {report['cases_checked']:,} checked forced-departure cases
had at least one defect at the checkpoint ({report['checkpoint_hours']:g} h before departure).
2018 baseline: <b>{base['defect_rate']:.0%}</b>.</p>
<p class="muted">{escape(base['source'])}.</p>
<h2>Categories next to the 2018 baseline</h2>
<div class="legend"><span style="background:{_OURS}"></span>this run<span style="background:{_BASE}"></span>2018</div>
{_bars(report['categories'], base['categories'])}
<table><tr><th>category</th><th>this run</th><th>2018</th></tr>{rows}</table>
<h2>Defect rate over time (by checkpoint week)</h2>
{_line(report['over_time'], base['defect_rate'])}
<h2>Per partner</h2>
<table><tr><th>partner</th><th>cases with a defect attributed to it</th></tr>{partners}</table>
<h2>Defective cases ({len(defective):,}{', first 500 shown' if len(defective) > 500 else ''})</h2>
<table><tr><th>case key</th><th>checkpoint</th><th>defects</th></tr>{cases}</table>
<h2>Records</h2>
<p>{accounting(report)}. A duplicate is an event whose id and content were processed before (re-delivered
or re-sent); it is counted once.</p>
<p>{unknown['events']:,} events for {unknown['cases']:,} cases that were never handed over (not judged).</p>
</body></html>
"""
