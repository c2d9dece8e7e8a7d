"""The KPI report as CSV rows or a self-contained HTML page (JSON is the report itself)."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterator
from typing import Any


def flatten(report: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted.key, value) for every scalar; lists of rows (agents) keyed by their id."""
    for key, value in report.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, f"{name}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                label = item.get("agent_id", i) if isinstance(item, dict) else i
                if isinstance(item, dict):
                    yield from flatten(item, f"{name}.{label}.")
                else:
                    yield f"{name}.{label}", item
        else:
            yield name, value


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])
    for key, value in flatten(report):
        writer.writerow([key, "" if value is None else value])
    return out.getvalue()


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False)


def to_html(report: dict[str, Any], *, title: str = "hybridcx KPI report") -> str:
    sections: dict[str, list[tuple[str, Any]]] = {}
    for key, value in flatten(report):
        head, _, rest = key.partition(".")
        sections.setdefault(head, []).append((rest or head, value))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;color:#222}",
        "table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}",
        "td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}",
        "td.v{text-align:right;font-variant-numeric:tabular-nums}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for section, rows in sections.items():
        parts.append(f"<h2>{html.escape(section.replace('_', ' '))}</h2><table>")
        for key, value in rows:
            shown = "—" if value is None else str(value)
            parts.append(
                f"<tr><td>{html.escape(key)}</td><td class='v'>{html.escape(shown)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


RENDERERS = {"json": to_json, "csv": to_csv, "html": to_html}
