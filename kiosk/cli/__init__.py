"""The ``kiosk`` command: one module per group of commands, each registering its own sub-commands.

    kiosk run | demo                 the kiosk, with the configured devices or with simulated ones (run.py)
    kiosk serve [--port N] [--demo]  the kiosk in the browser on this machine's screen           (serve.py)
    kiosk display [--mode M] [--demo] [--dry-run]   foot or Chromium on the screen, under cage (display.py)
    kiosk catalog list | search | validate                                             (catalog.py)
    kiosk devices ports | read-card | print-test | print-sample | printer-status | scan
    kiosk reprint SERIAL             staff: print a saved receipt again                   (devices.py)
    kiosk enroll | sync now | sync status | simulate    the hall connection               (sync.py)
    kiosk pin technician | pin staff ID NAME [--badge CODE]                              (pin.py)
    kiosk i18n update | check        keep the translation catalogs in step with the code  (i18n.py)
    kiosk hall serve | enroll-code | staff-token | cases | advance | fleet                (hall.py)
    kiosk hall call | queue | recall | skip | hold | resume | board-token | queue-rule    (hall_queue.py)
    kiosk board [--hall URL] [--token T] [--station S] [--demo-dir [DIR]]   the waiting area's board (board.py)
    kiosk hall holidays import FILE | list       the holiday table                        (hall_holidays.py)
    kiosk doctor [--json] [--demo-dir DIR]   check this machine, say how to fix each problem (doctor.py)

A command module parses its arguments, calls the domain and prints; what a screen also needs lives in the
domain (enrolment, the burn-in, the demo's settings). Exit codes: 0 done, 1 nothing found (no match, no card
before the timeout), 2 bad settings, data, arguments or a device error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path
from types import ModuleType

GROUPS = ("run", "serve", "display", "catalog", "devices", "sync", "pin", "i18n", "hall", "board", "doctor")
COMMANDS = {"demo": "run", "reprint": "devices", "enroll": "sync", "simulate": "sync"}
"""Commands registered by a module of another name; every other command's module is its own name."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(argv).parse_args(argv)
    # A technician's command answers in one line; the kiosk logs to a file. (force: python-escpos configures the
    # root logger when it is imported.)
    logging.basicConfig(level=logging.ERROR, force=True)
    try:
        return args.handler(args)
    except Exception as exc:
        if not _told(exc):
            raise  # a bug (a command catches what it can tell): the traceback
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2


_TOLD = (
    ("config.settings", "SettingsError"),
    ("kiosk.catalog", "CatalogError"),
    ("offline_cache.errors", "CacheError"),
    ("devices.base", "DeviceError"),
    ("kiosk.hall.storage", "HallError"),
)
_BUGS = (("offline_cache.errors", "EnvelopeError"), ("offline_cache.errors", "SyncError"))  # CacheErrors too


def _told(exc: Exception) -> bool:
    """Whether ``exc`` is bad settings, data, arguments or a device error, told in one line. Only a module the
    command loaded can have raised its errors (``kiosk run`` never loads the hall's)."""

    def loaded(names: tuple[tuple[str, str], ...]) -> tuple[type, ...]:
        return tuple(getattr(sys.modules[module], name) for module, name in names if module in sys.modules)

    return isinstance(exc, loaded(_TOLD)) and not isinstance(exc, loaded(_BUGS))


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line, each group's sub-commands registered by its module: for ``argv`` naming a command, that
    command's module alone (a kiosk starting does not import the hall), else every group (for ``--help``)."""
    top = argparse.ArgumentParser(prog="kiosk", description="政务服务自助终端 (government service kiosk)")
    top.add_argument(
        "--config",
        type=Path,
        help="settings file (default: $KIOSK_CONFIG, then the platform config folder's kiosk.toml)",
    )
    commands = top.add_subparsers(dest="command", required=True)
    for group in _groups(argv or []):
        group.register(commands)
    return top


def _groups(argv: list[str]) -> list[ModuleType]:
    command = _command(argv)
    name = COMMANDS.get(command, command)
    return [importlib.import_module(f"kiosk.cli.{group}") for group in ([name] if name in GROUPS else GROUPS)]


def _command(argv: list[str]) -> str:
    """The command ``argv`` names ("" if none): its first word that is not an option or ``--config``'s value."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return ""
