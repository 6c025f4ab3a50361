"""``kiosk doctor``: check this machine and say how to fix what is wrong (the checks are :mod:`kiosk.doctor`).

    kiosk doctor [--json]                 the configured devices, data folder and hall
    kiosk doctor --demo-dir DIR [--json]  a running ``kiosk demo``: its data folder and hall, simulated devices

One line a check: ✓ passed, ! a warning, · a note (or not checked, and why), ✗ failed; under a warning, note or
failure, what to do. ``--json`` prints a list of ``{"name", "ok", "level", "detail", "fix"}``, one per check.
Exit codes: 0 every check passed (warnings and notes pass), 1 something failed.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.doctor import Check

MARKS = {"ok": "✓", "warn": "!", "note": "·", "fail": "✗"}


def register(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser("doctor", help="check devices, fonts, data and the hall; say how to fix each problem")
    doctor.add_argument("--json", action="store_true", help="one JSON object per check: name, ok, level, detail, fix")
    doctor.add_argument("--demo-dir", type=Path, help="check the running 'kiosk demo' whose data folder is DIR")
    doctor.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    # Each failure is said once, in its own line: the drivers' log lines (python-escpos logs at ERROR) would say it
    # again, in their words.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.CRITICAL)
    try:
        checks = _run(args)
    finally:
        root.setLevel(level)
    if args.json:
        print(json.dumps([check.as_dict() for check in checks], ensure_ascii=False, indent=2))
    else:
        failed = sum(not check.ok for check in checks)
        warned = sum(check.level == "warn" for check in checks)
        print(f"\n共 {len(checks)} 项：{failed} 项有问题，{warned} 项警告")
    return 0 if all(check.ok for check in checks) else 1


def _run(args: argparse.Namespace) -> list[Check]:
    """Every check, each printed as soon as it is answered unless the answer is JSON."""
    from kiosk.doctor import demo_check, run_checks, settings_check  # only doctor needs them: others start sooner

    first, settings = demo_check(args.demo_dir) if args.demo_dir else settings_check(args.config)
    checks = [first]
    if not args.json:
        _print(first)
    for check in run_checks(settings) if settings is not None else ():
        checks.append(check)
        if not args.json:
            _print(check)
    return checks


def _print(check: Check) -> None:
    print(f"{MARKS[check.level]} {check.detail}", flush=True)
    if check.fix and check.level != "ok":
        print(f"    → {check.fix}", flush=True)
