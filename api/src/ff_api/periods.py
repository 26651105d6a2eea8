"""The ``from``/``to`` query period the staff reports share: defaults, order and length checked."""

from __future__ import annotations

from datetime import date, timedelta

from ff_shared.errors import FieldProblem, InvalidInput


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
    that runs backwards or covers ``max_days`` or more is bad input naming the field at fault."""
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
