"""``kiosk hall holidays import | list``: the holiday table kiosks count working days by (registered by
:mod:`kiosk.cli.hall`; the file's format is :mod:`kiosk.hall.holidays`).

    kiosk hall holidays import FILE --db PATH      CSV or JSON: every row checked first, then all kept or none
    kiosk hall holidays list --db PATH [--year Y] [--json]

Exit codes: 0 done, 2 a bad file (one line per problem on stderr, nothing imported) or an unusable database.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from config.i18n import _
from kiosk.hall.holidays import WEEKDAYS, HolidayFileError, read_holiday_file, seed_holidays

if TYPE_CHECKING:
    from kiosk.hall.sqlite_storage import SqlHallStorage

KIND_LABELS = {"holiday": "放假", "workday": "调休上班"}


def register(hall_commands: argparse._SubParsersAction) -> None:
    holidays = hall_commands.add_parser("holidays", help="the holiday table kiosks count working days by")
    commands = holidays.add_subparsers(dest="holidays_command", required=True)
    load = commands.add_parser("import", help="add or replace days from a CSV or JSON file (date,kind,name)")
    load.add_argument(
        "file", type=Path, help="kind is holiday, workday (an adjusted working weekend) or normal (take the day out)"
    )
    listing = commands.add_parser("list", help="list the holidays and adjusted working days, in date order")
    listing.add_argument("--year", type=int, help="only this year")
    listing.add_argument("--json", action="store_true", help="print a JSON list, in the import file's format")
    for parser, handler in ((load, _import), (listing, _list)):
        add_database_options(parser)
        parser.set_defaults(handler=handler)


def add_database_options(parser: argparse.ArgumentParser) -> None:
    from kiosk.cli.hall import add_database_options as add  # not at the top: kiosk.cli.hall imports this module

    add(parser)


def _open(args: argparse.Namespace) -> SqlHallStorage:
    from kiosk.cli.hall import open_hall  # not at the top: kiosk.cli.hall imports this module

    return open_hall(args)


def _import(args: argparse.Namespace) -> int:
    try:
        days = read_holiday_file(args.file)
    except HolidayFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(_("kiosk: 文件有 {count} 处问题，什么都没有导入", count=len(exc.problems)), file=sys.stderr)
        return 2
    with closing(_open(args)) as storage:
        seed_holidays(storage)  # first, or a day taken out (normal) would come back with the seeding
        done = storage.import_holidays(days)
    print(
        _(
            "已导入 {file}：新增 {added}、修改 {changed}、移除 {removed}、未变 {unchanged} 天，表的版本 {version}",
            file=args.file,
            added=done.added,
            changed=done.changed,
            removed=done.removed,
            unchanged=done.unchanged,
            version=done.version,
        )
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    with closing(_open(args)) as storage:
        days = storage.holidays(args.year)
    if args.json:
        print(json.dumps([day.model_dump() for day in days], ensure_ascii=False, indent=2))
        return 0
    if not days:
        print(_("节假日表里没有这一年的日子") if args.year else _("节假日表是空的"))
    for day in days:
        weekday = WEEKDAYS[date.fromisoformat(day.date).weekday()]
        label = KIND_LABELS[day.kind]
        print(f"{day.date}  周{weekday}  {label}{' ' * (8 - 2 * len(label))}  {day.name}")  # a CJK character is 2 wide
    return 0
