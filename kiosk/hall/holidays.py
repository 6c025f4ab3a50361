"""The hall's holiday table: seeded from ``chinese-calendar``, extended by staff from a file.

``chinese-calendar`` knows the years up to its release; each December the State Council publishes the next
year's holidays and adjusted working weekends, and the hall's staff import them from a file, CSV::

    date,kind,name
    2027-10-01,holiday,国庆节
    2027-09-26,workday,国庆节
    2027-05-06,normal,

or JSON, a list of ``{"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}``. ``kind`` is ``holiday`` (a
day off, whatever its weekday), ``workday`` (a Saturday or Sunday worked in exchange, named for its holiday) or
``normal`` (take the day out of the table: an ordinary day again). A listed day replaces what the table held for
it; days not listed stay as they are. Every row is checked before anything is kept: one bad row and nothing is.

    >>> days = read_holiday_file(Path("2027.csv"))     # HolidayFileError(problems) if any row is bad
    >>> storage.import_holidays(days)
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import chinese_calendar

from config.i18n import _
from kiosk.hall.models import HolidayDay
from kiosk.hall.storage import HallError, HallStorage

HEADER = ["date", "kind", "name"]
NAME_LENGTH = 40
WEEKDAYS = "一二三四五六日"
Problems = list[tuple[int, str]]  # (line, what is wrong there); line 0 is the whole file


class HolidayFileError(HallError):
    """A holiday file that cannot be imported; ``problems`` has one line per problem, each with its line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_holiday_file(path: Path) -> list[HolidayDay]:
    """Every day of a CSV or JSON holiday file (JSON if named ``*.json`` or if it starts with ``[``), checked."""
    problems: Problems = []
    days: list[HolidayDay] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")  # Excel starts a UTF-8 CSV with a byte-order mark
    except OSError as exc:
        problems.append((0, _("无法读取（{error}）", error=exc.strerror)))
    except UnicodeDecodeError:
        problems.append((0, _("不是 UTF-8 编码；在 Excel 中请另存为「CSV UTF-8」")))
    else:
        as_json = path.suffix.lower() == ".json" or text.lstrip().startswith("[")
        rows, problems = _json_rows(text) if as_json else _csv_rows(text)
        days = _checked(rows, problems)
        if not problems and not days:
            problems.append((0, _("文件里没有任何日期")))
    if problems:
        raise HolidayFileError(
            [
                f"{path}:{line}: {problem}" if line else f"{path}: {problem}"
                for line, problem in sorted(problems, key=lambda found: found[0])
            ]
        )
    return days


def library_days() -> list[HolidayDay]:
    """Every holiday and adjusted working day that ``chinese-calendar`` knows, named in Chinese."""
    names = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    tables = (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays))
    days = [
        HolidayDay(date=day.isoformat(), kind=kind, name=names.get(name, name))
        for kind, table in tables
        for day, name in table.items()
    ]
    return sorted(days, key=lambda day: day.date)


def seed_holidays(storage: HallStorage) -> bool:
    """Fill a new hall's holiday table from ``chinese-calendar``; False if it was seeded before."""
    return storage.seed_holidays(library_days())


def _csv_rows(text: str) -> tuple[list[tuple[int, Any]], Problems]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header != HEADER:
        return [], [(1, _("第一行应是表头 date,kind,name"))]
    rows: list[tuple[int, Any]] = []
    problems: Problems = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(HEADER):
            problems.append((reader.line_num, _("应有 3 列 date,kind,name，这一行有 {count} 列", count=len(cells))))
            continue
        rows.append((reader.line_num, dict(zip(HEADER, cells, strict=True))))
    return rows, problems


def _json_rows(text: str) -> tuple[list[tuple[int, Any]], Problems]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [(exc.lineno, _("不是有效的 JSON（{error}）", error=exc.msg))]
    if not isinstance(items, list):
        return [], [(1, _("JSON 应是一个列表，每项含 date、kind、name"))]
    # json.loads tells no positions: walk the list again, item by item, to know the line each starts on.
    decoder, rows, position = json.JSONDecoder(), [], text.index("[") + 1
    for _item in items:
        while text[position] in " \t\r\n,":
            position += 1
        item, end = decoder.raw_decode(text, position)
        rows.append((text.count("\n", 0, position) + 1, item))
        position = end
    return rows, []


def _checked(rows: list[tuple[int, Any]], problems: Problems) -> list[HolidayDay]:
    """The days of ``rows``; what is wrong with them goes to ``problems``."""
    days: list[HolidayDay] = []
    first_line: dict[date, int] = {}
    for line, row in rows:
        if not isinstance(row, dict):
            problems.append((line, _("每项应是含 date、kind、name 的对象")))
            continue
        found = _row_problems(row)
        day = _date(row.get("date"))
        if day is not None and day in first_line:
            found.append(_("{date} 在第 {first} 行已经写过", date=day.isoformat(), first=first_line[day]))
        elif day is not None:
            first_line[day] = line
        problems += [(line, problem) for problem in found]
        if not found and day is not None:
            days.append(HolidayDay(date=day.isoformat(), kind=row["kind"].strip(), name=_text(row.get("name"))))
    return days


def _row_problems(row: dict[str, Any]) -> list[str]:
    found = []
    day, kind, name = _date(row.get("date")), row.get("kind"), row.get("name")
    if day is None:
        found.append(_("日期「{value}」不对，应写成 2027-10-01 这样的年-月-日", value=row.get("date", "")))
    kind = kind.strip() if isinstance(kind, str) else kind
    if kind not in ("holiday", "workday", "normal"):
        found.append(
            _(
                "类型「{value}」不对，应是 holiday（放假）、workday（调休上班）或 normal（恢复为普通日）",
                value=row.get("kind", ""),
            )
        )
    elif kind == "workday" and day is not None and day.weekday() < 5:
        found.append(_("{date} 是星期{weekday}，调休上班只能是周六或周日", date=day, weekday=WEEKDAYS[day.weekday()]))
    if name is not None and not _is_text(name, NAME_LENGTH):
        found.append(_("名称应是不超过 {length} 个字的文字", length=NAME_LENGTH))
    elif kind in ("holiday", "workday") and not _text(name):
        found.append(_("缺少名称（如 国庆节）"))
    return found


def _date(value: Any) -> date | None:
    """A day written ``YYYY-MM-DD``, the one form the file allows (``date.fromisoformat`` takes others too)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _is_text(value: Any, length: int) -> bool:
    if not isinstance(value, str) or len(value.strip()) > length:
        return False
    try:
        value.encode("utf-8")  # JSON may carry a lone surrogate, which no database can keep
    except UnicodeEncodeError:
        return False
    return True


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
