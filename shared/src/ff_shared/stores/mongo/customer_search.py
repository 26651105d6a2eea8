"""Finding customers for staff: by name, e-mail, phone, postcode or application reference.

Phone numbers and postcodes are matched ignoring spaces (and a +44 or 0 trunk prefix), the way
people type them; names word by word. Pages are cut on the customer id.

The search is bounded: a term has at least :data:`MIN_TERM_LENGTH` characters, and the matching
applications are read at most :data:`MAX_MATCHED_APPLICATIONS` at a time, so the customer-id
list a query carries is bounded too; a term matching more asks for a narrower one. Without a
term, customers are listed a page at a time along the ``_id`` index.
"""

from __future__ import annotations

import re
from typing import Any

from ff_shared.errors import FieldProblem, InvalidInput
from ff_shared.stores.mongo.applications import ApplicationRepository, text_clause
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import CustomerDocument

_PHONE = re.compile(r"^\+?[\d\s()-]{6,}$")
MIN_TERM_LENGTH = 2
MAX_MATCHED_APPLICATIONS = 500


def _contains(word: str) -> dict[str, str]:
    return {"$regex": re.escape(word), "$options": "i"}


def _loose(text: str) -> dict[str, str]:
    """Match ``text`` with any spacing between its characters."""
    chars = [re.escape(c) for c in text if not c.isspace()]
    return {"$regex": r"\s*".join(chars), "$options": "i"}


def phone_pattern(text: str) -> dict[str, str] | None:
    """A UK number however written: 07700 900123, 07700900123, +44 7700 900123."""
    if not _PHONE.match(text.strip()):
        return None
    digits = re.sub(r"\D", "", text)
    if digits.startswith("44"):
        digits = digits[2:]
    digits = digits.removeprefix("0")
    if len(digits) < 5:
        return None
    body = r"[\s()-]*".join(digits)
    return {"$regex": rf"(?:(?:\+|00)44[\s()-]*|0)?[\s()-]*{body}"}


def _application_clause(q: str) -> dict[str, Any]:
    alternatives: list[dict[str, Any]] = [
        {"reference": _contains(q.strip())},
        {"steps.personal.email": _contains(q.strip())},
        {"steps.address.postcode": _loose(q)},
        # $elemMatch: the embedded MongoDB stand-in does not match a regex through an array path.
        {"steps.address.previous_addresses": {"$elemMatch": {"postcode": _loose(q)}}},
    ]
    if (names := text_clause(q)) is not None:
        alternatives.append(names)
    if (phone := phone_pattern(q)) is not None:
        alternatives.append({"steps.personal.mobile": phone})
    return {"$or": alternatives}


def _profile_clause(q: str) -> dict[str, Any]:
    alternatives: list[dict[str, Any]] = [
        {"email": _contains(q.strip())},
        {"preferred_name": _contains(q.strip())},
    ]
    if (phone := phone_pattern(q)) is not None:
        alternatives.append({"mobile": phone})
    return {"$or": alternatives}


async def search(
    applications: ApplicationRepository, q: str | None, *, after_id: str | None, limit: int
) -> list[str]:
    """Ids of the customers matching ``q`` (every customer without one), in id order."""
    profiles = collection(CustomerDocument)
    clauses: list[dict[str, Any]] = []
    if q and q.strip():
        if len(q.strip()) < MIN_TERM_LENGTH:
            raise InvalidInput(
                "the search term is too short",
                errors=[
                    FieldProblem(
                        path="query.q", message=f"give at least {MIN_TERM_LENGTH} characters"
                    )
                ],
            )
        from_applications, more = await applications.customer_ids_matching(
            _application_clause(q), limit=MAX_MATCHED_APPLICATIONS
        )
        if more:
            raise InvalidInput(
                "the search term matches too many customers; give more of it",
                errors=[FieldProblem(path="query.q", message="matches too many customers")],
            )
        clauses.append({"$or": [_profile_clause(q), {"_id": {"$in": from_applications}}]})
    if after_id is not None:
        clauses.append({"_id": {"$gt": after_id}})
    query: dict[str, Any] = {"$and": clauses} if clauses else {}
    cursor = profiles.find(query, {"_id": 1}).sort([("_id", 1)]).limit(limit)
    return [str(raw["_id"]) async for raw in cursor]
