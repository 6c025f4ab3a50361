"""The working-day calendar: the hall's pulled table first, then ``chinese-calendar``, then weekends alone."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import chinese_calendar
import pytest

from kiosk.workdays import WorkingCalendar

HOLIDAYS_2027 = Path(__file__).parent.parent / "holidays_2027.csv"


@pytest.fixture
def table_2027() -> WorkingCalendar:
    with HOLIDAYS_2027.open(encoding="utf-8") as file:
        return WorkingCalendar.from_rows(csv.DictReader(file))


def test_the_library_knows_the_years_it_was_released_for():
    # 2026-09-30 is a Wednesday; 1-7 October are holidays; 10 October (Saturday) is a working day.
    calendar = WorkingCalendar()
    assert calendar.add_working_days(date(2026, 9, 30), 2) == (date(2026, 10, 9), False)
    assert calendar.add_working_days(date(2026, 9, 30), 3) == (date(2026, 10, 10), False)


def test_past_every_table_the_date_is_a_weekend_only_estimate():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))  # the premise: this release ends with 2026
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2027, 10, 1)) is None
    # Counted on weekends alone, National Day week is worked: 15 working days from Monday 20 September 2027.
    assert calendar.add_working_days(date(2027, 9, 20), 15) == (date(2027, 10, 11), True)
    assert calendar.add_working_days(date(2026, 12, 21), 20) == (date(2027, 1, 18), True)


def test_the_pulled_table_counts_an_adjusted_working_sunday_and_skips_weekday_holidays(table_2027):
    assert table_2027.is_working_day(date(2027, 9, 26)) is True  # a Sunday worked for National Day
    assert table_2027.is_working_day(date(2027, 10, 1)) is False  # a Friday off
    assert table_2027.is_working_day(date(2027, 10, 10)) is False  # an ordinary Sunday of a year the hall knows
    assert table_2027.is_working_day(date(2027, 9, 21)) is True  # an ordinary Tuesday
    # 21-24 Sep, Sunday 26, 27-30 Sep (9), Friday 8 Oct, Saturday 9 Oct, 11-14 Oct (15).
    assert table_2027.add_working_days(date(2027, 9, 20), 15) == (date(2027, 10, 14), False)
    # Spring Festival: Friday 5 to Saturday 13 February off, Sunday 14 and Saturday 20 worked.
    assert table_2027.add_working_days(date(2027, 2, 4), 1) == (date(2027, 2, 14), False)
    assert table_2027.add_working_days(date(2027, 2, 4), 7) == (date(2027, 2, 20), False)


def test_the_pulled_table_wins_over_the_library_for_its_years():
    calendar = WorkingCalendar.from_rows(
        [
            {"date": "2026-10-09", "kind": "holiday", "name": "国庆节"},  # the library has it worked
            {"date": "2026-10-07", "kind": "normal", "name": ""},  # the hall took it out: an ordinary Wednesday
        ]
    )
    assert calendar.is_working_day(date(2026, 10, 9)) is False
    assert calendar.is_working_day(date(2026, 10, 7)) is True
    assert calendar.is_working_day(date(2026, 10, 10)) is False  # the library's working Saturday: 2026 is the hall's
    assert calendar.is_working_day(date(2025, 10, 1)) is False  # a year the table has not: the library's
    assert calendar.is_working_day(date(2025, 9, 28)) is True  # the library's working Sunday


def test_a_year_with_only_days_taken_out_is_still_the_librarys():
    calendar = WorkingCalendar.from_rows([{"date": "2026-10-07", "kind": "normal", "name": ""}])
    assert calendar.is_working_day(date(2026, 10, 6)) is False
    assert calendar.is_working_day(date(2026, 10, 7)) is True


def test_no_date_and_no_row_makes_it_crash():
    calendar = WorkingCalendar.from_rows(
        [{"date": "2027-02-30", "kind": "holiday"}, {"date": None, "kind": "holiday"}, {"kind": "x"}, {}]
    )
    assert calendar.is_working_day(date(2027, 3, 1)) is None
    assert calendar.add_working_days(date(9999, 12, 28), 5) == (date.max, True)
    assert calendar.add_working_days(date(1900, 1, 1), 1) == (date(1900, 1, 2), True)
    assert calendar.add_working_days(date(2026, 5, 6), 0) == (date(2026, 5, 6), False)
