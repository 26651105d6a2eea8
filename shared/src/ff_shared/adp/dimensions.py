"""The star schema's small dimensions: marketing channels, term and amount bands, months."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

import msgspec

from ff_shared.adp.sources import JourneyRow
from ff_shared.domain.loans import LMS_PRODUCT_CODE

CHANNELS = {
    "paid": "Paid search, display and affiliates (utm_medium cpc, ppc, paid, display, affiliate)",
    "email": "E-mail campaigns (utm_medium email)",
    "social": "Social networks (utm_medium social)",
    "organic": "Search engines without payment (utm_medium organic, or a search engine's host)",
    "referral": "Links from other sites",
    "direct": "No source: typed or bookmarked",
    "unknown": "Applications the journey tracker did not see",
}
_PAID = {"cpc", "ppc", "paid", "paidsearch", "display", "affiliate"}
_SEARCH = {"google", "bing", "duckduckgo", "yahoo", "ecosia"}


def channel_of(source: str, medium: str | None, referrer_host: str | None) -> str:
    m = (medium or "").strip().lower()
    if m in _PAID:
        return "paid"
    if m == "email":
        return "email"
    if m == "social":
        return "social"
    if source == "direct":
        return "direct"
    if m == "organic" or source.split(".")[0] in _SEARCH:
        return "organic"
    return "referral"


def term_band(term: int) -> str:
    if term <= 6:
        return "3-6"
    if term <= 12:
        return "7-12"
    if term <= 18:
        return "13-18"
    return "19-24" if term <= 24 else "25+"


def amount_band(pence: int | None) -> str:
    if pence is None:
        return "unknown"
    if pence < 50_000:
        return "under 500"
    if pence < 100_000:
        return "500-999"
    if pence < 200_000:
        return "1000-1999"
    return "2000+"


@lru_cache(maxsize=8192)
def month_of(value: date) -> str:
    return value.isoformat()[:7]


class Seen(msgspec.Struct, kw_only=True):
    """What the dimensions list, gathered while the facts are built."""

    segments: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)
    sources: dict[str, str] = msgspec.field(default_factory=dict)
    regions: set[str] = msgspec.field(default_factory=set)
    products: set[str] = msgspec.field(default_factory=lambda: {LMS_PRODUCT_CODE})
    terms: set[int] = msgspec.field(default_factory=set)


def origin_of(journeys: Mapping[str, JourneyRow], application_id: str | None) -> tuple[str, str]:
    journey = journeys.get(application_id or "")
    if journey is None:
        return "unknown", "unknown"
    return journey.source, channel_of(journey.source, journey.utm_medium, journey.referrer_host)
