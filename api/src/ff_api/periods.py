"""The ``from``/``to`` query period the staff reports share: defaults, order and length checked."""

from __future__ import annotations

from datetime import date, timedelta

from ff_shared.errors import FieldProblem, InvalidInput

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
"""The dates a period may name: far beyond any loan's, and far enough inside the calendar's ends
that a report's arithmetic on them (the default length back, the period before) cannot leave it."""


def query_period(
    date_from: date | None,
    date_to: date | None,
    *,
    last: date,
    default_days: int,
    max_days: int,
    noun: str = "range",
) -> tuple[date, date]:
    """``date_to`` or ``last``, back to ``date_from`` or ``default_days`` days in all; a period
    that runs backwards, covers ``max_days`` or more, or names a date outside
    :data:`EARLIEST`..:data:`LATEST` is bad input naming the field at fault."""
    for name, value in (("from", date_from), ("to", date_to)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise InvalidInput(
                f"`{name}` must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
                errors=[FieldProblem(path=f"query.{name}", message="out of range")],
            )
    end = date_to or last
    start = date_from or end - timedelta(days=default_days - 1)
    if start > end:
        raise InvalidInput(
            "`from` is after `to`", errors=[FieldProblem(path="query.from", message="after to")]
        )
    if (end - start).days >= max_days:
        raise InvalidInput(
            f"a {noun} covers at most {max_days} days",
            errors=[FieldProblem(path="query.to", message=f"more than {max_days} days")],
        )
    return start, end
