"""``kiosk doctor``: what is wrong on this machine and what the technician does about it, one :class:`Check` each.

Every check asks the real thing: it opens the ports, sends the reader the SAM status command, asks the printer
for its state, draws glyphs of the font, writes into the data folder, runs SQLite's integrity check and asks the
hall. None raises: what fails is a check saying so and how to fix it. The command prints them
(``kiosk/cli/doctor.py``); the technician's screen can show the same list, from a thread worker (they block).

    >>> first, settings = settings_check(None)          # or demo_check(data_dir) for a running demo
    >>> for check in run_checks(settings):              # one at a time, as each is answered
    ...     print(check.level, check.detail, check.fix)

The checks by concern: ``ports`` (device files, udev names), ``devices`` (reader, printer, voice), ``fonts``,
``display`` (the programs and font of the screen's mode),
``storage`` (data folder, disk, database, holidays, outbox) and ``hall`` (enrolment, hall, TLS, clock).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from config.i18n import _
from config.settings import Settings, SettingsError, find_config_file, load_settings
from kiosk.demo import demo_board, demo_settings
from kiosk.doctor.check import Check, Level, skipped
from kiosk.doctor.devices import device_checks
from kiosk.doctor.display import display_check
from kiosk.doctor.hall import clock_check, enrolment_check, hall_check, probe_health, tls_check
from kiosk.doctor.storage import (
    DATABASE_FIX,
    data_dir_check,
    database_check,
    disk_space_check,
    files_check,
    holidays_check,
    outbox_check,
    wal_check,
)
from offline_cache import CacheError, Store

__all__ = ["Check", "Level", "demo_check", "run_checks", "settings_check"]


def settings_check(config: Path | None) -> tuple[Check, Settings | None]:
    """The settings as ``kiosk run`` would load them; without valid settings nothing else can be checked."""
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        fix = _("改正这一行所说的文件和字段（每项的说明见 config/kiosk.toml），再运行 kiosk doctor")
        return Check("settings", "fail", _("设置有误：{error}", error=str(exc)), fix), None
    path = find_config_file(config, os.environ)
    where = str(path) if path else _("没有设置文件，用默认设置")
    if not settings.access.technician_pin_hash:
        detail = _("设置有效（{where}），但没有技术员密码", where=where)
        return Check("settings", "warn", detail, _("运行 kiosk pin technician 设置，否则进不了技术员模式")), settings
    return Check("settings", "ok", _("设置有效（{where}）", where=where)), settings


def demo_check(data_dir: Path) -> tuple[Check, Settings | None]:
    """The settings of the ``kiosk demo`` whose data folder is ``data_dir``, known by the board file it writes."""
    if demo_board(data_dir) is None:
        return Check(
            "settings",
            "fail",
            _("{folder} 里没有正在运行的演示（缺 board.json）", folder=str(data_dir)),
            _("先运行 kiosk demo，再用它欢迎页上写的数据目录"),
        ), None
    return Check("settings", "ok", _("演示的设置（{folder}）", folder=str(data_dir))), demo_settings(data_dir)


def run_checks(
    settings: Settings, *, today: date | None = None, now: Callable[[], float] = time.time
) -> Iterator[Check]:
    """Every check after the settings', in the order a technician works through them."""
    yield from device_checks(settings)
    yield display_check(settings.display)
    data_dir = settings.storage.resolved_data_dir()
    yield data_dir_check(data_dir)
    yield disk_space_check(data_dir)
    yield files_check(data_dir)
    db = data_dir / "kiosk.db"
    database = database_check(db)
    yield database
    yield wal_check(db)
    yield from _kept_checks(settings, db, database, today or date.today(), now)


_AFTER_ENROLMENT = ("hall", "tls", "clock", "holidays", "outbox")


def _kept_checks(
    settings: Settings, db: Path, database: Check, today: date, now: Callable[[], float]
) -> Iterator[Check]:
    """What the database holds: enrolment (then the hall), the holiday table, the outbox."""
    unreadable = _("数据库打不开，没有检查（见上面数据库那一行）")
    if database.level == "fail":
        yield from skipped(("enrolled", *_AFTER_ENROLMENT), unreadable)
        return
    store = None
    try:
        store = Store(db) if db.exists() else None  # doctor makes no database on a kiosk never started
        enrolment = store.enrolment() if store else None
        rows = store.holiday_table() if store else []
        counts = store.outbox.counts() if store else None
        version = int(store.mirror_value("holidays_version", "0")) if store else 0
    except CacheError as exc:
        yield Check("enrolled", "fail", str(exc), DATABASE_FIX)
        yield from skipped(_AFTER_ENROLMENT, unreadable)
        return
    finally:
        if store is not None:
            store.close()
    yield enrolment_check(enrolment, settings.station.id)
    if enrolment is None:
        yield from skipped(("hall", "tls", "clock"), _("本机尚未登记，没有检查"))
    else:
        yield hall_check(enrolment, version, ca_file=settings.sync.ca_file)
        probe = probe_health(enrolment.url, now=now, ca_file=settings.sync.ca_file)
        yield tls_check(probe, settings.sync.ca_file)
        yield clock_check(probe)
    yield holidays_check(rows, today)
    yield outbox_check(counts, now()) if counts else Check("outbox", "ok", _("还没有要上传的"))
