"""Vega-Lite v5 specifications of the reports, and their PNG and SVG renderings.

The portal draws the same specification the server renders for exports and e-mails, so a chart
means the same thing wherever it is seen. The data travels inline (``data.values``).
"""

from __future__ import annotations

from typing import Any

import vl_convert

from ff_shared.adp.insights import Report

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

_FORMATS = {"pence": ",.0f", "ratio": ".1%", "count": ",d", "hours": ",.1f", "days": ",.1f"}


def _values(report: Report) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for series in report.series:
        for label, value in zip(series.labels, series.values, strict=True):
            if value is None:
                continue
            # Money is pence everywhere but on a chart's axis, where people read pounds.
            shown = value / 100 if series.unit == "pence" else value
            rows.append({"series": series.name, "label": label, "value": shown})
    return rows


def vega_lite(report: Report) -> dict[str, Any]:
    unit = report.series[0].unit if report.series else "count"
    y_title = "£" if unit == "pence" else report.y_title
    value_format = _FORMATS.get(unit, ",.2f")
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "title": report.title,
        "width": 560,
        "height": 280,
        "data": {"values": _values(report)},
        "config": {"font": "sans-serif"},
    }
    x = {"field": "label", "type": "ordinal", "title": report.x_title, "sort": None}
    if report.chart == "heatmap":
        spec["mark"] = "rect"
        spec["encoding"] = {
            "x": x,
            "y": {"field": "series", "type": "ordinal", "title": report.y_title, "sort": None},
            "color": {
                "field": "value",
                "type": "quantitative",
                "title": "rate",
                "legend": {"format": ".0%"},
            },
            "tooltip": [
                {"field": "series"},
                {"field": "label"},
                {"field": "value", "format": value_format},
            ],
        }
        return spec
    y = {
        "field": "value",
        "type": "quantitative",
        "title": y_title,
        "axis": {"format": "~s" if unit in ("pence", "count") else value_format},
    }
    color = {"field": "series", "type": "nominal", "title": None}
    tooltip = [{"field": "series"}, {"field": "label"}, {"field": "value", "format": value_format}]
    if report.chart == "line":
        spec["mark"] = {"type": "line", "point": True}
        spec["encoding"] = {"x": x, "y": y, "color": color, "tooltip": tooltip}
    elif report.chart == "grouped_bar":
        spec["mark"] = "bar"
        spec["encoding"] = {
            "x": x,
            "xOffset": {"field": "series"},
            "y": y,
            "color": color,
            "tooltip": tooltip,
        }
    else:
        spec["mark"] = "bar"
        spec["encoding"] = {"x": x, "y": y, "tooltip": tooltip}
    return spec


def render_png(spec: dict[str, Any], *, scale: float = 2.0) -> bytes:
    png: bytes = vl_convert.vegalite_to_png(spec, scale=scale)
    return png


def render_svg(spec: dict[str, Any]) -> str:
    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg
