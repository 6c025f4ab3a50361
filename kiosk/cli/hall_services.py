"""``kiosk hall appointment | appointments | materials-received | paid``: staff's work on what the hall does for
residents beyond the case (registered by :mod:`kiosk.cli.hall`)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import date

from kiosk.hall.storage import NotFound, Rejected

Command = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]
_WINDOW = re.compile(r"^(\d{2}:\d{2})-(\d{2}:\d{2})$")


def register(command: Command) -> None:
    book = command("appointment", _appointment, "book an appointment and print its signed code (the QR's text)")
    book.add_argument("item", help="the item's code, e.g. MZ0001")
    book.add_argument("day", type=date.fromisoformat, help="the day, YYYY-MM-DD")
    book.add_argument("window", help="the time window, HH:MM-HH:MM")
    book.add_argument("--holder", default="", help="the holder's name (the code carries it masked)")
    book.add_argument("--qr", help="also write the QR as a PNG to this file")
    listing = command("appointments", _appointments, "list appointments and their check-ins")
    listing.add_argument("--day", type=date.fromisoformat, help="only this day")
    listing.add_argument("--json", action="store_true")
    received = command("materials-received", _received, "the materials posted for a case have arrived")
    received.add_argument("serial")
    paid = command("paid", _paid, "the fee of a case was paid at a window")
    paid.add_argument("serial")


def _open(args: argparse.Namespace):
    from kiosk.cli.hall import open_hall

    return open_hall(args)


def _appointment(args: argparse.Namespace) -> int:
    window = _WINDOW.match(args.window)
    if window is None:
        print("kiosk: 时段应写成 HH:MM-HH:MM，例如 09:00-10:00", file=sys.stderr)
        return 2
    with closing(_open(args)) as storage:
        if storage.catalog_item(args.item) is None:
            print(f"kiosk: 目录中没有事项 {args.item}", file=sys.stderr)
            return 2
        issued = storage.book_appointment(args.item, args.day, window[1], window[2], args.holder)
    if args.qr:
        import qrcode

        qrcode.make(issued.code).save(args.qr)
    print(f"预约 {issued.id}：{issued.item_code} {issued.day} {issued.start}-{issued.end} {issued.holder}")
    print(issued.code)
    return 0


def _appointments(args: argparse.Namespace) -> int:
    with closing(_open(args)) as storage:
        found = storage.appointments(args.day)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    for a in [] if args.json else found:
        checked = f"已签到 {a['checked_in_at']}（{a['checked_in_by']}）" if a["checked_in_at"] else "未签到"
        print(f"{a['id']}  {a['day']} {a['start']}-{a['end']}  {a['item_code']}  {a['holder']}  {checked}")
    return 0


def _received(args: argparse.Namespace) -> int:
    with closing(_open(args)) as storage:
        try:
            case = storage.materials_received(args.serial)
        except NotFound as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 1
    print(f"{case.serial}（{case.case_number}）的邮寄材料已收到")
    return 0


def _paid(args: argparse.Namespace) -> int:
    with closing(_open(args)) as storage:
        try:
            case = next((c for c in storage.cases() if c["serial"] == args.serial), None)
            if case is None:
                raise NotFound(f"大厅没有流水号为 {args.serial} 的申请")
            payment = storage.mark_paid(case["submission_id"])
        except (NotFound, Rejected) as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 1
    print(f"{payment.serial} 已缴费 {payment.cents / 100:.2f} 元")
    return 0
