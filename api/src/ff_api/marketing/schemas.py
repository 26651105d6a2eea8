"""Marketing report bodies: the report (series and table), its chart and GA's quota state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ff_shared.adp.insights import Report


class QuotaView(msgspec.Struct, kw_only=True):
    """What is left of the Google Analytics property's quotas, as GA last reported it."""

    tokens_per_day_remaining: int | None
    tokens_per_hour_remaining: int | None
    low: bool
    """Under a tenth of a standard property's daily or hourly tokens are left: reports may soon
    be refused."""
    checked_at: datetime


class MarketingReportView(msgspec.Struct, kw_only=True):
    report: Report
    vega_lite: dict[str, Any]
    """The chart as a Vega-Lite v5 specification, data inline."""
    quota: QuotaView | None
    cached: bool
    """Served from the cache (GA was not asked again)."""
