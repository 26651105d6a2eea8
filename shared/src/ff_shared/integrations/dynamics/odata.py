"""OData v4 as the platform writes it: literals for ``$filter`` and keys, the query options, and
the page and upsert results the client hands back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Generic, TypeVar

import msgspec

ROW = TypeVar("ROW", bound=msgspec.Struct)


def literal(value: str | int | bool | datetime | date | None) -> str:
    """A value as an OData literal for ``$filter`` or a key: strings quoted with ``''`` escaping,
    datetimes in UTC as ``2024-05-01T10:00:00Z``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("OData datetimes must be timezone-aware")
        moment = value.astimezone(UTC)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if moment.microsecond:
            text += f".{moment.microsecond // 1000:03d}"
        return text + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return "'" + value.replace("'", "''") + "'"


class Query(msgspec.Struct, frozen=True, kw_only=True):
    """The OData system query options the platform uses."""

    select: tuple[str, ...] = ()
    filter: str | None = None
    orderby: str | None = None
    top: int | None = None
    count: bool = False

    def params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.select:
            params["$select"] = ",".join(self.select)
        if self.filter:
            params["$filter"] = self.filter
        if self.orderby:
            params["$orderby"] = self.orderby
        if self.top is not None:
            params["$top"] = str(self.top)
        if self.count:
            params["$count"] = "true"
        return params


EVERYTHING = Query()


class Page(msgspec.Struct, Generic[ROW], frozen=True, kw_only=True):
    """One page of rows, and whether more follow."""

    number: int
    rows: tuple[ROW, ...]
    next_link: str | None
    count: int | None = None


class UpsertResult(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    created: bool | None
    """True/False when known (query mode); None for an alternate-key upsert, which does not say."""
