"""``kiosk i18n update | check``: keep the gettext catalogs of ``config/locale/`` in step with the code (the work
is :mod:`kiosk.translations`)."""

from __future__ import annotations

import argparse

from kiosk.translations import ROOT, check, update


def register(commands: argparse._SubParsersAction) -> None:
    i18n = commands.add_parser("i18n", help="keep the translation catalogs in step with the code")
    i18n_commands = i18n.add_subparsers(dest="i18n_command", required=True)
    i18n_commands.add_parser("update", help="extract, merge and convert the catalogs").set_defaults(handler=_update)
    i18n_commands.add_parser("check", help="report missing or stale translations").set_defaults(handler=_check)


def _update(_args: argparse.Namespace) -> int:
    for path in update():
        print(f"updated {path.relative_to(ROOT)}")
    for problem in check():
        print(problem)
    return 0


def _check(_args: argparse.Namespace) -> int:
    problems = check()
    for problem in problems:
        print(problem)
    return 1 if problems else 0
