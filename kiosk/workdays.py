"""Working days: the expected completion date of a promised time limit.

Chinese public holidays and the adjusted working weekends come from ``chinese-calendar``, whose table ends with
the last year it was released for. Past that year the date is counted on weekends alone and marked an estimate.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


def is_working_day(day: date) -> bool | None:
    """True or False where the holiday table knows ``day``; None past the table."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def add_working_days(start: date, days: int) -> tuple[date, bool]:
    """The date ``days`` working days after ``start`` and whether it is an estimate (weekends only)."""
    day, estimated, left = start, False, days
    while left > 0:
        day += timedelta(days=1)
        known = is_working_day(day)
        if known is None:
            estimated = True
            known = day.weekday() < 5
        if known:
            left -= 1
    return day, estimated
