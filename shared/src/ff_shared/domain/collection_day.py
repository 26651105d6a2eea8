"""Moving a loan's collections to another day of the month, as a customer can ask.

The rule, agreed by staff for each request (the customer asks, staff change it):

* the day is 1-28, so it exists in every month;
* collections already created with the provider, instalments already in arrears, and any
  instalment whose new date would fall inside the Bacs lead time are left as they are;
* from the first instalment after those, every instalment falls due on the new day of its own
  month (amounts unchanged), and a new date never falls on or before the previous instalment's:
  when it would, the move starts one instalment later.

The daily collections run then creates the next collections for the new dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from ff_shared.domain.loans import Instalment, InstalmentStatus
from ff_shared.domain.payments import BACS_LEAD_WORKING_DAYS, charge_date_for, earliest_charge_date

FIRST_DAY = 1
LAST_DAY = 28


def first_movable_instalment(
    schedule: Sequence[Instalment],
    *,
    day: int,
    collected: Iterable[int],
    today: date,
    lead_days: int = BACS_LEAD_WORKING_DAYS,
) -> int | None:
    """The first instalment to fall due on ``day`` under the rule above; None when none can."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError("the collection day must be between 1 and 28")
    ordered = sorted(schedule, key=lambda i: i.number)
    after = max(collected, default=0)
    earliest = earliest_charge_date(today, lead_days)
    previous: date | None = None
    for instalment in ordered:
        new_due = instalment.due_date.replace(day=day)
        if (
            instalment.number > after
            and instalment.status is not InstalmentStatus.OVERDUE
            and instalment.due_date >= today
            and charge_date_for(new_due) >= earliest
            and (previous is None or new_due > previous)
        ):
            return instalment.number
        previous = instalment.due_date
    return None
