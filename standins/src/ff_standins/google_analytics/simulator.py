"""A Google Analytics Data API (GA4, v1beta) simulator over HTTP, for the REST transport.

    python -m ff_standins.google_analytics.simulator --port 8105

- ``POST /v1beta/properties/{id}:runReport`` and ``:batchRunReports``: ``dateRanges`` (ISO dates,
  ``NdaysAgo``, ``yesterday``, ``today``), ``dimensions`` (``date``, ``sessionSource``,
  ``sessionMedium``, ``sessionCampaignName``, ``deviceCategory``, ``landingPage``), ``metrics``
  (``sessions``, ``totalUsers``, ``engagedSessions``, ``keyEvents``), ``limit``/``offset``,
  ``orderBys`` on one metric or dimension, ``returnPropertyQuota``. Values are strings, as the
  API sends them. Unknown dimensions or metrics are ``400 INVALID_ARGUMENT``.
- ``GET /v1beta/properties/{id}/metadata``: the dimensions and metrics above.
- Traffic is generated per day from the same sources and devices as the journey tracker's demo
  generator (``ff_shared.tracking.generator``), deterministically, so the two agree in shape:
  Google CPC, Facebook paid social, the MoneySavingExpert referral, e-mail and direct.
- Quota: each report costs tokens; ``tokensPerDay`` runs out into ``429 RESOURCE_EXHAUSTED``,
  as the API answers. ``POST /_sim/quota`` sets the allowance (``{"tokens_per_day": N}``) and
  resets what was consumed. Faults as every simulator (:mod:`ff_standins.simulation`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ff_shared.clock import london_today
from ff_shared.tracking.generator import DEVICES, SOURCES
from ff_standins.simulation import (
    MalformedKind,
    Simulation,
    add_simulation_routes,
    serve,
)

DEFAULT_PORT = 8105
DIMENSIONS = (
    "date",
    "sessionSource",
    "sessionMedium",
    "sessionCampaignName",
    "deviceCategory",
    "landingPage",
)
METRICS = ("sessions", "totalUsers", "engagedSessions", "keyEvents")
LANDING_PAGES = (("/", 0.5), ("/loans", 0.3), ("/apply", 0.2))
TOKENS_PER_REPORT = 10
_RELATIVE = re.compile(r"^(\d+)daysAgo$")


def _source_of(context: dict[str, str]) -> tuple[str, str, str]:
    if "utm_source" in context:
        return (
            context["utm_source"],
            context.get("utm_medium", "(none)"),
            context.get("utm_campaign", "(not set)"),
        )
    if "referrer" in context:
        host = context["referrer"].split("://", 1)[1].split("/", 1)[0].removeprefix("www.")
        return host, "referral", "(referral)"
    return "(direct)", "(none)", "(direct)"


def _noise(*parts: object) -> float:
    """A repeatable number in [0.8, 1.2) for a day and a row."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return 0.8 + int.from_bytes(digest[:4], "big") / 2**32 * 0.4


def daily_rows(day: date, visits_per_day: int) -> Iterator[tuple[tuple[str, ...], list[int]]]:
    """Every (dimension values, metric values) row of one day's traffic."""
    weekend = 0.8 if day.weekday() >= 5 else 1.0
    for context, weight, lift in SOURCES:
        source, medium, campaign = _source_of(context)
        for device, device_weight, _ in DEVICES:
            for page, page_weight in LANDING_PAGES:
                base = visits_per_day * weight * device_weight * page_weight * weekend
                sessions = round(base * _noise(day, source, device, page))
                if sessions <= 0:
                    continue
                users = max(1, round(sessions * 0.86))
                engaged = round(sessions * 0.58 * lift)
                key_events = round(sessions * 0.22 * lift)
                values = (day.strftime("%Y%m%d"), source, medium, campaign, device, page)
                yield values, [sessions, users, engaged, key_events]


def _parse_date(text: str, today: date) -> date:
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if (m := _RELATIVE.match(text)) is not None:
        return today - timedelta(days=int(m.group(1)))
    return date.fromisoformat(text)


class InvalidArgument(Exception):
    pass


@dataclass
class Quota:
    tokens_per_day: int = 200_000
    consumed: int = 0
    hourly: int = 40_000

    def as_json(self) -> dict[str, Any]:
        def bucket(limit: int) -> dict[str, int]:
            return {"consumed": TOKENS_PER_REPORT, "remaining": max(0, limit - self.consumed)}

        return {
            "tokensPerDay": bucket(self.tokens_per_day),
            "tokensPerHour": bucket(self.hourly),
            "concurrentRequests": {"consumed": 0, "remaining": 10},
            "serverErrorsPerProjectPerHour": {"consumed": 0, "remaining": 10},
            "potentiallyThresholdedRequestsPerHour": {"consumed": 0, "remaining": 120},
            "tokensPerProjectPerHour": bucket(self.hourly),
        }


@dataclass
class Property:
    visits_per_day: int = 400
    quota: Quota = field(default_factory=Quota)


PROPERTY = web.AppKey("ga_property", Property)


def run_report(prop: Property, request: dict[str, Any], today: date) -> dict[str, Any]:
    dims = [d.get("name") for d in request.get("dimensions", [])]
    mets = [m.get("name") for m in request.get("metrics", [])]
    unknown = [d for d in dims if d not in DIMENSIONS] + [m for m in mets if m not in METRICS]
    if unknown or not mets:
        raise InvalidArgument(f"Field {unknown[0] if unknown else 'metrics'} is not a valid field")
    ranges = request.get("dateRanges") or [{"startDate": "28daysAgo", "endDate": "yesterday"}]
    totals: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * len(mets))
    dim_index = [DIMENSIONS.index(d) for d in dims]
    met_index = [METRICS.index(m) for m in mets]
    for date_range in ranges:
        start = _parse_date(date_range.get("startDate", "28daysAgo"), today)
        end = _parse_date(date_range.get("endDate", "yesterday"), today)
        if start > end:
            raise InvalidArgument("startDate is after endDate")
        day = start
        while day <= end:
            for values, metrics in daily_rows(day, prop.visits_per_day):
                key = tuple(values[i] for i in dim_index)
                row = totals[key]
                for j, i in enumerate(met_index):
                    row[j] += metrics[i]
            day += timedelta(days=1)
    rows = sorted(totals.items(), key=lambda kv: kv[0])
    for order in reversed(request.get("orderBys", [])):
        desc = bool(order.get("desc"))
        if "metric" in order and order["metric"].get("metricName") in mets:
            j = mets.index(order["metric"]["metricName"])
            rows.sort(key=lambda kv: kv[1][j], reverse=desc)
        elif "dimension" in order and order["dimension"].get("dimensionName") in dims:
            k = dims.index(order["dimension"]["dimensionName"])
            rows.sort(key=lambda kv: kv[0][k], reverse=desc)
    offset = int(request.get("offset", 0))
    limit = int(request.get("limit", 10_000))
    answer: dict[str, Any] = {
        "dimensionHeaders": [{"name": d} for d in dims],
        "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in mets],
        "rows": [
            {
                "dimensionValues": [{"value": v} for v in key],
                "metricValues": [{"value": str(v)} for v in values],
            }
            for key, values in rows[offset : offset + limit]
        ],
        "rowCount": len(rows),
        "metadata": {"currencyCode": "GBP", "timeZone": "Europe/London"},
        "kind": "analyticsData#runReport",
    }
    if request.get("returnPropertyQuota"):
        answer["propertyQuota"] = prop.quota.as_json()
    return answer


def _google_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": status, "message": message, "status": code}}, status=status
    )


def _charge(prop: Property, reports: int) -> web.Response | None:
    cost = TOKENS_PER_REPORT * reports
    if prop.quota.consumed + cost > prop.quota.tokens_per_day:
        return _google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Exhausted property tokens per day. Wait until tomorrow or reduce the requests.",
        )
    prop.quota.consumed += cost
    return None


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise InvalidArgument("Invalid JSON payload received.") from exc
    if not isinstance(body, dict):
        raise InvalidArgument("Invalid JSON payload received.")
    return body


async def _property_call(request: web.Request) -> web.Response:
    prop = request.app[PROPERTY]
    method = request.match_info["method"]
    today = london_today()
    try:
        body = await _body(request)
        if method == "runReport":
            if (refused := _charge(prop, 1)) is not None:
                return refused
            return web.json_response(run_report(prop, body, today))
        if method == "batchRunReports":
            requests = body.get("requests", [])
            if not 1 <= len(requests) <= 5:
                raise InvalidArgument("batchRunReports takes between 1 and 5 requests")
            if (refused := _charge(prop, len(requests))) is not None:
                return refused
            return web.json_response(
                {
                    "reports": [run_report(prop, r, today) for r in requests],
                    "kind": "analyticsData#batchRunReports",
                }
            )
    except (InvalidArgument, ValueError) as exc:
        return _google_error(400, "INVALID_ARGUMENT", str(exc))
    return _google_error(404, "NOT_FOUND", f"Method {method} not found")


async def _metadata(request: web.Request) -> web.Response:
    prop_id = request.match_info["property"]
    return web.json_response(
        {
            "name": f"properties/{prop_id}/metadata",
            "dimensions": [
                {"apiName": d, "uiName": d, "category": "Traffic source"} for d in DIMENSIONS
            ],
            "metrics": [
                {"apiName": m, "uiName": m, "type": "TYPE_INTEGER", "category": "Session"}
                for m in METRICS
            ],
        }
    )


async def _admin_quota(request: web.Request) -> web.Response:
    prop = request.app[PROPERTY]
    try:
        body = await _body(request)
        prop.quota = Quota(tokens_per_day=int(body.get("tokens_per_day", 200_000)))
        if "visits_per_day" in body:
            prop.visits_per_day = int(body["visits_per_day"])
    except (InvalidArgument, ValueError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"tokens_per_day": prop.quota.tokens_per_day})


MALFORMED: dict[MalformedKind, bytes] = {
    "truncated": b'{"dimensionHeaders":[{"name":"sessionSource"}],"rows":[{"dimen',
    "wrong_shape": b'{"rows": "not a list"}',
    "html": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
}


def create_app(*, visits_per_day: int = 400) -> web.Application:
    app = web.Application()
    app[PROPERTY] = Property(visits_per_day=visits_per_day)
    add_simulation_routes(app, Simulation(MALFORMED))
    app.router.add_post("/v1beta/properties/{property}:{method}", _property_call)
    app.router.add_get("/v1beta/properties/{property}/metadata", _metadata)
    app.router.add_post("/_sim/quota", _admin_quota)
    return app


def _default_port() -> int:
    url = os.environ.get("FF_GOOGLE_ANALYTICS_BASE_URL")
    port = urlsplit(url).port if url else None
    return port or DEFAULT_PORT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Google Analytics Data API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=_default_port())
    parser.add_argument("--visits-per-day", type=int, default=400)
    args = parser.parse_args(argv)
    if os.environ.get("FF_ENVIRONMENT") == "production":
        raise SystemExit("the Google Analytics simulator does not run in production")
    serve(
        create_app(visits_per_day=args.visits_per_day),
        host=args.host,
        port=args.port,
        name="google analytics simulator",
    )


if __name__ == "__main__":
    main()
