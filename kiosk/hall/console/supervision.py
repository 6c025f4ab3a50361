"""Time-limit supervision (电子监察): each open case's deadline from its item's promised working days, counted
on the hall's holiday table, and how urgent it is.

- 超时 (overdue): the deadline has passed;
- 预警 (warning): one working day or less is left;
- 提醒 (reminder): half of the promised time or less is left;
- 正常: more than that.

A case returned for missing materials is not on the list: its clock stops until the materials come (补正期间不计
入办理时限), and a refused or finished case has no deadline. Free of I/O: the console hands it the rows.

    >>> board = supervise(storage.open_cases(), WorkingCalendar.from_rows(rows), date(2026, 12, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.hall.storage import CHINA
from kiosk.workdays import WorkingCalendar

LEVELS = ("超时", "预警", "提醒", "正常", "时限不明")
"""Most urgent first; 时限不明: the item is no longer in the catalog, so its promise is not known."""


@dataclass(frozen=True, slots=True)
class Watched:
    case: dict[str, Any]
    level: str
    due: date | None
    left: int | None
    """Working days from today to the deadline (0: due today); negative: working days overdue."""
    estimated: bool
    """The deadline fell past the holiday table and the library: counted on weekends alone."""


def received_day(received_at: str) -> date:
    """The China-time day a case reached the hall (``received_at`` is stored in UTC)."""
    return datetime.fromisoformat(received_at).astimezone(CHINA).date()


def working_days_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``."""
    if end < start:
        return -working_days_between(calendar, end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        known = calendar.is_working_day(day)
        count += known if known is not None else day.weekday() < 5
    return count


def supervise(cases: list[dict[str, Any]], calendar: WorkingCalendar, today: date) -> list[Watched]:
    """``cases`` (as :meth:`open_cases` gives them) with their deadlines, most urgent first: the most overdue
    at the top, then by deadline."""
    watched = []
    for case in cases:
        promised = case.get("promised_days")
        if promised is None:
            watched.append(Watched(case, LEVELS[-1], None, None, False))
            continue
        due, estimated = calendar.add_working_days(received_day(case["received_at"]), promised)
        left = working_days_between(calendar, today, due)
        if today > due:
            level = "超时"
        elif left <= 1:
            level = "预警"
        elif left * 2 <= promised:
            level = "提醒"
        else:
            level = "正常"
        watched.append(Watched(case, level, due, left, estimated))
    return sorted(watched, key=lambda w: (LEVELS.index(w.level), w.due or date.max, w.case["received_at"]))
