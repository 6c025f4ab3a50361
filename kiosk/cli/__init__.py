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
import logging
import sys
from pathlib import Path

from config.settings import SettingsError
from devices import DeviceError
from kiosk.catalog import CatalogError
from kiosk.cli import board, catalog, devices, display, doctor, hall, i18n, pin, run, serve, sync
from kiosk.hall.storage import HallError
from offline_cache import CacheError
from offline_cache.envelope import EnvelopeError
from offline_cache.hall_client import SyncError

GROUPS = (run, serve, display, catalog, devices, sync, pin, i18n, hall, board, doctor)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # A technician's command answers in one line; the kiosk logs to a file. (force: python-escpos configures the
    # root logger when it is imported.)
    logging.basicConfig(level=logging.ERROR, force=True)
    try:
        return args.handler(args)
    except (SyncError, EnvelopeError):
        raise  # CacheErrors too, but one that reaches here is a bug (a command catches its own): the traceback
    except (SettingsError, CatalogError, CacheError, DeviceError, HallError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    """The whole command line, each group's sub-commands registered by its module."""
    top = argparse.ArgumentParser(prog="kiosk", description="政务服务自助终端 (government service kiosk)")
    top.add_argument(
        "--config",
        type=Path,
        help="settings file (default: $KIOSK_CONFIG, then the platform config folder's kiosk.toml)",
    )
    commands = top.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(commands)
    return top
