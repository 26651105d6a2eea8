"""Calendar arithmetic shared by pricing, validation and the decision rules."""

import calendar
from datetime import date


def add_months(anchor: date, months: int) -> date:
    """The same day ``months`` calendar months after ``anchor``, clamped to the month's end.

    Always computed from the original anchor rather than from the previous result, so a loan
    drawn on 31 January falls due on 28/29 February and then on 31 March, not on the 28th.
    """
    year, month = divmod(anchor.year * 12 + anchor.month - 1 + months, 12)
    day = anchor.day
    if day > 28:
        day = min(day, _month_length(year, month + 1))
    return date(year, month + 1, day)


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_length(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def age_on(date_of_birth: date, today: date) -> int:
    """Completed years of age on ``today``.

    Someone born on 29 February comes of age on 1 March in a common year, which is how UK law
    reckons it, so a plain tuple comparison of (month, day) gives the right answer.
    """
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)
