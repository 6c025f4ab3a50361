"""``kiosk run`` and ``kiosk demo``: the kiosk itself, restarted in this process after a failure of its own."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
import tempfile
import time
from pathlib import Path

from config.settings import Settings, default_config_path, find_config_file, load_settings
from kiosk.demo import DemoHall, demo_settings
from kiosk.watchdog import systemd_watchdog, ui_answers
from offline_cache.files import narrow_all, private_file, private_folder

log = logging.getLogger("kiosk")
PRIVATE_UMASK = 0o077
"""The kiosk process's: whatever it makes (receipts, diagnostics, the crash note) is its user's alone, whatever
umask it was started with."""


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="start the kiosk with the configured devices and data folder")
    run.set_defaults(handler=_run)
    demo = commands.add_parser("demo", help="start with demo devices and a throw-away data folder")
    demo.add_argument("--data-dir", type=Path, help="keep the demo's data here instead of a new temporary folder")
    demo.set_defaults(handler=_demo)


def _run(args: argparse.Namespace) -> int:
    os.umask(PRIVATE_UMASK)
    config_path = find_config_file(args.config, os.environ) or default_config_path()
    return _start(load_settings(args.config), demo=False, config_path=config_path)


def _demo(args: argparse.Namespace) -> int:
    os.umask(PRIVATE_UMASK)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    settings = demo_settings(data_dir)
    log_to(data_dir)
    hall = DemoHall(settings, data_dir)  # brought up by the app after its first frame
    try:
        return _start(settings, demo=True, config_path=data_dir / "kiosk.toml", demo_hall=hall)
    finally:
        hall.stop()


LOG_BYTES = 5 * 1024 * 1024
LOG_BACKUPS = 4  # kiosk.log and four older ones: at most 25 MB


class _PrivateLog(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the first and each one after a rotation, is made for this user alone."""

    def _open(self):
        private_file(Path(self.baseFilename))
        return super()._open()


def log_to(data_dir: Path) -> None:
    """Log to ``data_dir``/kiosk.log (made if missing, for this user alone), rotated at :data:`LOG_BYTES`: the
    kiosk's, its browser server's and its display's log. Anything in the data folder found readable by others is
    narrowed (and logged)."""
    private_folder(data_dir)
    handler = _PrivateLog(data_dir / "kiosk.log", maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    logging.basicConfig(
        force=True, handlers=[handler], level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    narrow_all(data_dir)


RESTARTS_ALLOWED = 5

RESTART_WINDOW_SECONDS = 600.0


def _start(settings: Settings, demo: bool, config_path: Path, demo_hall=None) -> int:
    """Run the kiosk's UI; after a failure of its own (exit status ``CRASH_EXIT``) start it again in this
    process, with fresh services and devices, showing the next person a calm notice. More than
    ``RESTARTS_ALLOWED`` failures within ``RESTART_WINDOW_SECONDS`` end the process with ``CRASH_EXIT``, for the
    supervisor (systemd) to restart it or a technician to look."""
    from kiosk.app import CRASH_EXIT, make_app  # Textual is imported only when a screen is about to be shown
    from kiosk.services import build_services

    failures: list[float] = []
    while True:
        services = build_services(settings)
        services.config_path = config_path
        log_to(services.data_dir)
        try:
            app = make_app(services, demo=demo, demo_hall=demo_hall)
            # Each UI gets its own watchdog (under systemd only): its checks ask this app and this store.
            with systemd_watchdog(os.environ, ui_answers(app), services.store):
                app.run()
        finally:
            services.close()
        if app.return_code != CRASH_EXIT:
            break
        now = time.monotonic()
        failures = [t for t in failures if now - t < RESTART_WINDOW_SECONDS] + [now]
        if len(failures) > RESTARTS_ALLOWED:
            log.critical(
                "%d failures within %.0f s: stopping for the supervisor", len(failures), RESTART_WINDOW_SECONDS
            )
            print("kiosk: 反复出错，已停止；详情见日志", services.data_dir / "kiosk.log", file=sys.stderr)
            return CRASH_EXIT
        log.warning(
            "starting the kiosk's UI again after a failure (%d in the last %.0f s)",
            len(failures),
            RESTART_WINDOW_SECONDS,
        )
    if demo:
        print(f"演示数据保存在 {services.data_dir}，打印出的回执图片在 {services.data_dir / 'receipts'}")
    return 0
