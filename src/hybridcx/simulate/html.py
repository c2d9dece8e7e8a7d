"""A self-contained HTML report with inline SVG charts (no scripts, no external assets)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hybridcx.simulate.text import render, render_compare

COLORS = {"webchat": "#3b6fb6", "email": "#7aa95c", "sms": "#d9a441"}
W, H, PAD = 720, 220, 36


def _esc(v: Any) -> str:
    return html.escape(str(v))


def _axis(n: int, top: float) -> list[str]:
    out = [
        f"<line x1='{PAD}' y1='{H - PAD}' x2='{W - 8}' y2='{H - PAD}' stroke='#888'/>",
        f"<line x1='{PAD}' y1='8' x2='{PAD}' y2='{H - PAD}' stroke='#888'/>",
        f"<text x='{PAD - 4}' y='14' text-anchor='end' font-size='10'>{top:g}</text>",
        f"<text x='{PAD - 4}' y='{H - PAD}' text-anchor='end' font-size='10'>0</text>",
    ]
    step = max(1, n // 12)
    for h in range(0, n, step):
        x = PAD + (h + 0.5) * (W - 8 - PAD) / n
        out.append(
            f"<text x='{x:.1f}' y='{H - PAD + 14}' text-anchor='middle' font-size='10'>{h}</text>"
        )
    return out


def _nice(top: float) -> float:
    for m in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top <= m:
            return float(m)
    return float(top)


def stacked_bars(title: str, series: dict[str, Sequence[float]], colors: dict[str, str]) -> str:
    n = max((len(v) for v in series.values()), default=0)
    if n == 0:
        return ""
    totals = [sum(s[i] for s in series.values()) for i in range(n)]
    top = _nice(max(totals) or 1)
    bw = (W - 8 - PAD) / n
    parts = [f"<svg viewBox='0 0 {W} {H}' role='img' aria-label='{_esc(title)}'>", *_axis(n, top)]
    for i in range(n):
        y = float(H - PAD)
        for name, values in series.items():
            h = values[i] / top * (H - PAD - 8)
            y -= h
            parts.append(
                f"<rect x='{PAD + i * bw + 1:.1f}' y='{y:.1f}' width='{bw - 2:.1f}' height='{h:.1f}' "
                f"fill='{colors.get(name, '#999')}'><title>{_esc(name)} h{i}: {values[i]:g}</title></rect>"
            )
    parts.append("</svg>")
    return _figure(title, "".join(parts), colors, list(series))


def bars_and_line(
    title: str,
    bars: dict[str, Sequence[float]],
    line: Sequence[float | None],
    line_name: str,
    colors: dict[str, str],
) -> str:
    """Side-by-side bars (left axis) and a 0-100% line (right scale)."""
    n = max((len(v) for v in bars.values()), default=0)
    if n == 0:
        return ""
    top = _nice(max((max(v) for v in bars.values() if v), default=1) or 1)
    bw = (W - 8 - PAD) / n
    k = len(bars)
    parts = [f"<svg viewBox='0 0 {W} {H}' role='img' aria-label='{_esc(title)}'>", *_axis(n, top)]
    for i in range(n):
        for j, (name, values) in enumerate(bars.items()):
            h = values[i] / top * (H - PAD - 8)
            parts.append(
                f"<rect x='{PAD + i * bw + 1 + j * (bw - 2) / k:.1f}' y='{H - PAD - h:.1f}' "
                f"width='{(bw - 2) / k:.1f}' height='{h:.1f}' fill='{colors.get(name, '#999')}'>"
                f"<title>{_esc(name)} h{i}: {values[i]:g}</title></rect>"
            )
    points = [
        f"{PAD + (i + 0.5) * bw:.1f},{H - PAD - v * (H - PAD - 8):.1f}"
        for i, v in enumerate(line)
        if v is not None
    ]
    if points:
        parts.append(
            f"<polyline points='{' '.join(points)}' fill='none' stroke='#c0392b' stroke-width='2'/>"
        )
        parts.append(
            f"<text x='{W - 10}' y='14' text-anchor='end' font-size='10' fill='#c0392b'>"
            f"{_esc(line_name)} (0-100%)</text>"
        )
    parts.append("</svg>")
    return _figure(title, "".join(parts), {**colors, line_name: "#c0392b"}, [*bars, line_name])


def tier_chart(targets: dict[str, Any]) -> str:
    rows = targets["tier_distribution"]
    h = 30 * len(rows) + 30
    scale = W - 8 - 120
    parts = [f"<svg viewBox='0 0 {W} {h}' role='img' aria-label='Tier distribution vs targets'>"]
    for i, (tier, row) in enumerate(rows.items()):
        y = 10 + i * 30
        lo, hi = row["target"]
        share = row["share"] or 0.0
        parts += [
            f"<text x='4' y='{y + 15}' font-size='12'>Tier {tier}</text>",
            f"<rect x='{120 + lo * scale:.1f}' y='{y}' width='{(hi - lo) * scale:.1f}' height='20' "
            "fill='#e6f0e0' stroke='#7aa95c'><title>target</title></rect>",
            f"<rect x='120' y='{y + 5}' width='{share * scale:.1f}' height='10' "
            f"fill='{'#3b6fb6' if row['met'] else '#c0392b'}'><title>{share:.1%}</title></rect>",
            f"<text x='{124 + share * scale:.1f}' y='{y + 14}' font-size='10'>{share:.1%}</text>",
        ]
    parts.append(
        f"<text x='120' y='{h - 4}' font-size='10'>0%</text>"
        f"<text x='{W - 8}' y='{h - 4}' font-size='10' text-anchor='end'>100%</text></svg>"
    )
    return _figure(
        "Tier distribution (bars) against the product's targets (green bands)",
        "".join(parts),
        {},
        [],
    )


def _figure(title: str, svg: str, colors: dict[str, str], names: list[str]) -> str:
    legend = " ".join(
        f"<span><i style='background:{colors.get(n, '#999')}'></i>{_esc(n)}</span>" for n in names
    )
    return f"<figure><figcaption>{_esc(title)}</figcaption>{svg}<div class='legend'>{legend}</div></figure>"


def render_html(
    report: dict[str, Any],
    *,
    other: dict[str, Any] | None = None,
    diff: dict[str, Any] | None = None,
) -> str:
    hourly = report["hourly"]
    queue_colors = {"queued": "#3b6fb6", "abandoned": "#c0392b"}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>hybridcx simulation</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222;padding:0 1rem}",
        "pre{background:#f6f6f6;padding:1rem;overflow-x:auto;font-size:.85rem}",
        "figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.3rem}svg{width:100%;height:auto}",
        ".legend span{margin-right:1rem;font-size:.85rem}.legend i{display:inline-block;width:.8rem;"
        "height:.8rem;margin-right:.3rem;vertical-align:middle}",
        "</style></head><body>",
        "<h1>hybridcx simulation</h1>",
        f"<pre>{_esc(render(report))}</pre>",
        tier_chart(report["targets"]),
        stacked_bars("Arrivals per hour by channel", hourly["arrivals"], COLORS),
        bars_and_line(
            "Handoffs to people per hour, abandoned, and service level",
            {"queued": hourly["queued"], "abandoned": hourly["abandoned"]},
            hourly["service_level"],
            "service level",
            queue_colors,
        ),
        bars_and_line(
            "Agents on duty per hour and their occupancy",
            {"agents on duty": hourly["agents_on_duty"]},
            hourly["occupancy"],
            "occupancy",
            {"agents on duty": "#7aa95c"},
        ),
    ]
    if other is not None and diff is not None:
        parts += [
            "<h2>Comparison on the same traffic</h2>",
            f"<pre>{_esc(render_compare(diff))}</pre>",
            f"<h2>Policy B: {_esc(other['simulation']['policy'])}</h2>",
            f"<pre>{_esc(render(other))}</pre>",
            tier_chart(other["targets"]),
        ]
    parts.append("<p>The full numbers are in report.json beside this page.</p></body></html>")
    return "\n".join(p for p in parts if p)


def write_report(
    directory: Path,
    report: dict[str, Any],
    *,
    other: dict[str, Any] | None = None,
    diff: dict[str, Any] | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    page = directory / "index.html"
    page.write_text(render_html(report, other=other, diff=diff), encoding="utf-8")
    data = report if diff is None else {"a": report, "b": other, "differences": diff}
    (directory / "report.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return page
