"""What a customer's personal data looks like in free text, for the checks that keep it in.

The AI analyst's guard runs every outgoing request through :func:`find_personal_data`; a match
refuses the request. The patterns err on the side of refusing: an aggregate never needs an
e-mail address, a phone number, a full postcode, a bank detail or one of the platform's ids, so a
false alarm costs a rephrased question, while a miss would send a person's data to a third party.
"""

from __future__ import annotations

import json
import re
from datetime import date

import msgspec

PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "mobile_number": re.compile(r"(?:\+44\s?7\d{3}|\b07\d{3})\s?\d{3}\s?\d{3}\b"),
    "landline_number": re.compile(r"(?:\+44\s?|\b0)[123]\d{1,4}\s?\d{3,4}\s?\d{3,4}\b"),
    "sort_code": re.compile(r"\b\d{2}[- ]\d{2}[- ]\d{2}\b"),
    "account_number": re.compile(r"(?<![\w.,])\d{8}(?![\w.,])"),
    "postcode": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
    "platform_id": re.compile(
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE
    ),
    "application_reference": re.compile(r"\bFF-[A-HJ-NP-Z2-9]{8}\b"),
}
_NAME_PAIR = re.compile(r"\b([A-Z][a-z'\u2019-]+)\s+([A-Z][a-z'\u2019-]+)\b")
_DATES = (
    re.compile(r"\b(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})\b"),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
)
ADULT_YEARS = 16
"""A date at least this many years back cannot be a period an analyst asks about here (the
platform is younger), so it is taken for a date of birth."""


class PersonalDataFound(msgspec.Struct, frozen=True, kw_only=True):
    """What kind of personal data was found and where: never the value itself."""

    kind: str
    where: str


def find_personal_data(text: str, *, where: str = "text") -> list[PersonalDataFound]:
    return [
        PersonalDataFound(kind=kind, where=where)
        for kind, pattern in PATTERNS.items()
        if pattern.search(text)
    ]


def dates_of_birth(text: str, *, today: date) -> list[PersonalDataFound]:
    """Dates far enough back to be someone's birthday rather than a reporting period."""
    found: list[PersonalDataFound] = []
    for pattern in _DATES:
        for m in pattern.finditer(text):
            try:
                day = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                continue
            if day.year <= today.year - ADULT_YEARS:
                found.append(PersonalDataFound(kind="date_of_birth", where="question"))
    return found


def name_candidates(text: str, *, limit: int = 20) -> list[tuple[str, str]]:
    """Pairs of capitalised words that could be a first and last name, to look up."""
    pairs: list[tuple[str, str]] = []
    for m in _NAME_PAIR.finditer(text):
        pair = (m.group(1), m.group(2))
        if pair not in pairs:
            pairs.append(pair)
        if len(pairs) >= limit:
            break
    return pairs


def _strings(value: object, where: str) -> list[tuple[str, str]]:
    """Every string inside a JSON-like value (numbers are figures, not personal data)."""
    if isinstance(value, str):
        return [(value, where)]
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key, item in value.items():
            out += _strings(item, f"{where}.{key}")
        return out
    if isinstance(value, list | tuple):
        out = []
        for index, item in enumerate(value):
            out += _strings(item, f"{where}[{index}]")
        return out
    return []


def scan_request(body: object) -> list[PersonalDataFound]:
    """Personal data anywhere in an outgoing request: its text, its tool inputs and results.

    A tool result is JSON text: its strings are scanned one by one, so a figure such as a balance
    of 12,345,678 pence is a number and not taken for an account number.
    """
    found: list[PersonalDataFound] = []
    for text, where in _strings(body, "request"):
        try:
            parsed = json.loads(text) if text[:1] in "{[" else None
        except ValueError:
            parsed = None
        if parsed is not None:
            found += scan_request(parsed)
            continue
        found += find_personal_data(text, where=where)
    return found
