"""What the technician mode asks of the machine: the PIN check, each device's state and tests, serial ports,
enrolment with the hall, the log and a diagnostics bundle for support.

    >>> check = technician_check(settings.access, gate)       # for the PIN prompt: None opens, else a message
    >>> enrol_with_hall(services, "http://hall.example:8700", "K7QH-M2XD")     # or EnrolmentFailed(message)
    >>> diagnostics_bundle(services, {}, services.data_dir, datetime.now())   # data_dir/diagnostics-….zip

Every function here may block (serial, network, scrypt, files): screens call them from thread workers.
"""

from __future__ import annotations

import json
import platform
import sqlite3
import sys
import zipfile
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from serial.tools import list_ports

from config.i18n import _
from config.settings import AccessSettings
from devices import DeviceError
from kiosk.pin import PinGate, verify_secret
from kiosk.services import KioskServices
from offline_cache import CacheError

LOG_NAME = "kiosk.log"
HIDDEN = "***"
_VERSIONS_OF = ("kiosk", "textual", "pyserial", "python-escpos", "cryptography", "requests", "pydantic", "tomlkit")
_STATES = {"ok": _("正常"), "fault": _("故障"), "off": _("未启用")}
SIMULATOR = _("模拟器")


def technician_check(access: AccessSettings, gate: PinGate) -> Callable[[str], str | None]:
    """The PIN prompt's check for the technician mode: None when the PIN is right, else what to show."""

    def check(pin: str) -> str | None:
        if not access.technician_pin_hash:
            return _("本机没有设置技术员密码：请在终端运行 kiosk pin technician")
        return gate.attempt(lambda: verify_secret(pin, access.technician_pin_hash))

    return check


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """One device as the technician sees it."""

    key: str
    label: str
    where: str
    """The configured port or URI, or :data:`SIMULATOR`."""
    state: str
    detail: str

    @property
    def line(self) -> str:
        shown = _STATES.get(self.state, self.state) if self.state else _("未知")
        line = _("{label}  {state}  （{where}）", label=self.label, state=shown, where=self.where)
        if not self.detail:
            return line
        detail = _("最近错误：{detail}", detail=self.detail) if self.state == "fault" else self.detail
        return _("{line} · {detail}", line=line, detail=detail)


def device_rows(services: KioskServices) -> list[DeviceRow]:
    """The reader, printer, scanner and speaker: where the settings put them and their last known state."""
    config = services.settings.devices
    health = services.devices.health.snapshot()
    places = {
        "reader": (_("读卡器"), config.card_reader_port if config.card_reader == "serial" else SIMULATOR),
        "printer": (_("打印机"), SIMULATOR if config.printer.startswith("sim://") else config.printer),
        "scanner": (_("扫码器"), config.scanner_port if config.scanner == "serial" else SIMULATOR),
        "voice": (_("语音"), services.settings.accessibility.voice_command),
    }
    rows = []
    for key, (label, where) in places.items():
        state = health.get(key)
        rows.append(DeviceRow(key, label, where, state.state if state else "", state.detail if state else ""))
    return rows


def serial_ports() -> list[dict[str, str]]:
    """This machine's serial ports, sorted: ``device``, ``description`` and ``vid_pid`` (``"0403:6001"`` or "")."""
    return [
        {
            "device": port.device,
            "description": port.description,
            "vid_pid": f"{port.vid:04X}:{port.pid:04X}" if port.vid is not None else "",
        }
        for port in sorted(list_ports.comports(), key=lambda p: p.device)
    ]


def printer_paper_status(services: KioskServices) -> str:
    """Ask the printer whether it is on line and has paper, in words."""
    try:
        return services.devices.printer_status().text
    except DeviceError as exc:
        return _("打印机无法连接：{detail}", detail=exc)


def recent_log(data_dir: Path, lines: int = 200) -> list[str]:
    """The last ``lines`` lines of the kiosk's log (which holds no personal data); none if there is no log."""
    path = data_dir / LOG_NAME
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", errors="replace") as file:
        return [line.rstrip("\n") for line in deque(file, maxlen=lines)]


def diagnostics_bundle(services: KioskServices, dest_dir: Path, now: datetime) -> Path:
    """Write ``diagnostics-YYYYmmdd-HHMMSS.zip`` for support: the settings without secrets, versions, device
    states, the sync state and the recent log. No PIN or badge hash and no hall token goes in."""
    secrets = _secrets(services)
    parts = {
        "settings.json": _json(_settings_without_secrets(services)),
        "versions.json": _json(_versions()),
        "devices.json": _json(
            {
                "devices": [
                    {"device": row.key, "where": row.where, "state": row.state, "detail": row.detail}
                    for row in device_rows(services)
                ],
                "health": services.devices.health.as_dict(),
            }
        ),
        "sync.json": _json(services.sync_status().as_dict()),
        LOG_NAME: "\n".join(recent_log(services.data_dir, 500)) + "\n",
    }
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"diagnostics-{now:%Y%m%d-%H%M%S}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, text in parts.items():
            bundle.writestr(name, _scrub(text, secrets))
    return path


def _settings_without_secrets(services: KioskServices) -> dict[str, Any]:
    data = services.settings.model_dump(mode="json")
    access = data["access"]
    access["technician_pin_hash"] = HIDDEN if access["technician_pin_hash"] else ""
    for member in access["staff"]:
        for key in ("pin_hash", "badge_hash"):
            member[key] = HIDDEN if member[key] else ""
    return data


def _secrets(services: KioskServices) -> list[str]:
    """Every secret this machine knows, to be scrubbed from whatever goes into the bundle, the log included."""
    access = services.settings.access
    found = [access.technician_pin_hash]
    found += [secret for member in access.staff for secret in (member.pin_hash, member.badge_hash)]
    try:
        enrolment = services.store.enrolment()
    except CacheError:
        enrolment = None
    if enrolment is not None:
        found.append(enrolment.token)
    return [secret for secret in found if secret]


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return text


def _versions() -> dict[str, str]:
    versions = {
        "python": sys.version,
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }
    for name in _VERSIONS_OF:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
