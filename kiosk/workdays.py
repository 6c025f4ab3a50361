"""Working days: the expected completion date of a promised time limit.

A :class:`WorkingCalendar` knows a day from, in order: the hall's holiday table as this kiosk last pulled it,
then ``chinese-calendar`` (re-released each year, so its table ends with the year of its release), then weekends
alone; a date that needed the weekends-alone guess is marked an estimate. A year with a holiday or an adjusted
working day in the hall's table is the hall's whole year: its unlisted days are ordinary, whatever the library
says, so the two tables are never mixed within a year.

    >>> calendar = WorkingCalendar.from_rows(store.holiday_table())   # with the hall's 2027 table pulled
    >>> calendar.add_working_days(date(2027, 9, 20), 15)              # 国庆节 1-7 Oct, Sunday 26 Sep worked
    (datetime.date(2027, 10, 14), False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import chinese_calendar

KINDS = ("holiday", "workday", "normal")
"""A day in the hall's table: a public holiday, a weekend day worked in exchange (调休上班), or a day taken out of
the table again (an ordinary day, by the hall's word)."""


class WorkingCalendar:
    """Which days are working days; free of I/O, so the services rebuild it whenever the hall's table changes."""

    def __init__(self, days: Mapping[date, str] | None = None) -> None:
        self._days = dict(days or {})
        self._years = {day.year for day, kind in self._days.items() if kind != "normal"}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str]]) -> WorkingCalendar:
        """From rows such as the hall sends (``{"date": "2027-10-01", "kind": "holiday", ...}``); a row that is
        not one (a bad date, an unknown kind) is left out rather than trusted."""
        days: dict[date, str] = {}
        for row in rows:
            try:
                day = date.fromisoformat(str(row["date"]))
            except (KeyError, TypeError, ValueError):
                continue
            if row.get("kind") in KINDS:
                days[day] = str(row["kind"])
        return cls(days)

    def is_working_day(self, day: date) -> bool | None:
        """True or False where the hall's table or the library knows ``day``; None past both."""
        kind = self._days.get(day)
        if kind is not None and kind != "normal":
            return kind == "workday"
        if kind == "normal" or day.year in self._years:
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the library was not released for
            return None

    def add_working_days(self, start: date, days: int) -> tuple[date, bool]:
        """The date ``days`` working days after ``start`` and whether it is an estimate (weekends only)."""
        day, estimated, left = start, False, days
        try:
            while left > 0:
                day += timedelta(days=1)
                known = self.is_working_day(day)
                if known is None:
                    estimated, known = True, day.weekday() < 5
                left -= known
        except OverflowError:  # counted past 9999-12-31: no promise reaches it, but a date never crashes a visit
            return date.max, True
        return day, estimated
