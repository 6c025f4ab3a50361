"""The ``kiosk pin`` commands: the technician PIN and the agency staff, kept in the settings file as salted
scrypt hashes (never the PIN itself).

    kiosk pin technician [--pin-stdin]                      a new technician PIN of 6-12 digits, asked twice
    kiosk pin staff ID NAME [--badge CODE] [--pin-stdin]    add or replace a member of staff: a PIN of 4-8
                                                            digits, and the code of their badge if they have one
                                                            (a member set again without --badge has no badge)

The file is the one ``kiosk run`` reads (``--config``, then ``KIOSK_CONFIG``, then the platform config folder's
``kiosk.toml``, created from the shipped one if absent); the old file is kept as ``kiosk.toml.bak``.
``--pin-stdin`` reads the PIN from one line of standard input, for scripts. The kiosk reads the new PIN when it
next starts.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from pathlib import Path

from config.editor import backup_path, set_secret, set_staff_member
from config.settings import StaffMember, default_config_path, find_config_file
from kiosk.pin import hash_secret

TECHNICIAN_DIGITS = (6, 12)
STAFF_DIGITS = (4, 8)


def register(commands: argparse._SubParsersAction) -> None:
    pin = commands.add_parser("pin", help="set the technician PIN or a staff member's PIN and badge")
    pin_commands = pin.add_subparsers(dest="pin_command", required=True)
    technician = pin_commands.add_parser("technician", help="set the technician PIN (6-12 digits)")
    technician.set_defaults(handler=_technician)
    staff = pin_commands.add_parser("staff", help="add or replace a member of the agency staff (PIN of 4-8 digits)")
    staff.add_argument("id", help="the staff number, printed on receipts of filings made for someone")
    staff.add_argument("name", help="the name shown while signed in and printed on receipts")
    staff.add_argument("--badge", help="the code on the staff badge, scanned to sign in")
    staff.set_defaults(handler=_staff)
    for command in (technician, staff):
        command.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")


def _config_path(args: argparse.Namespace) -> Path:
    return find_config_file(args.config, os.environ) or default_config_path()


def _new_pin(args: argparse.Namespace, digits: tuple[int, int]) -> str | None:
    """The new PIN, checked; None (after saying why) when it will not do."""
    low, high = digits
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass(f"新密码（{low}-{high} 位数字）：")
        if getpass.getpass("再输入一次：") != pin:
            print("kiosk: 两次输入的密码不一样，没有保存", file=sys.stderr)
            return None
    if not re.fullmatch(rf"[0-9]{{{low},{high}}}", pin):
        print(f"kiosk: 密码须为 {low}-{high} 位数字，没有保存", file=sys.stderr)
        return None
    return pin


def _saved(path: Path) -> str:
    backup = backup_path(path)
    return f"已写入 {path}" + (f"（原文件备份为 {backup}）" if backup.exists() else "") + "，重启后生效"


def _technician(args: argparse.Namespace) -> int:
    path = _config_path(args)
    pin = _new_pin(args, TECHNICIAN_DIGITS)
    if pin is None:
        return 2
    set_secret(path, "access.technician_pin_hash", hash_secret(pin))
    print(f"技术员密码{_saved(path)}")
    return 0


def _staff(args: argparse.Namespace) -> int:
    path = _config_path(args)
    pin = _new_pin(args, STAFF_DIGITS)
    if pin is None:
        return 2
    member = StaffMember.model_construct(
        id=args.id,
        name=args.name,
        pin_hash=hash_secret(pin),
        badge_hash=hash_secret(args.badge) if args.badge else "",
    )
    set_staff_member(path, member)
    print(f"工作人员 {args.name}（工号 {args.id}）{_saved(path)}")
    return 0
