"""The kiosk's settings: one validated model, loaded from TOML, overridden by ``KIOSK_…`` variables.

Where the file comes from, first match wins: ``--config PATH``, the ``KIOSK_CONFIG`` variable, then
``kiosk.toml`` in the platform config folder (``~/.config/kiosk/kiosk.toml`` on Linux). With none of them the
shipped defaults apply. A variable overrides one field: ``KIOSK_SESSION__IDLE_TIMEOUT_SECONDS=60``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from platformdirs import user_config_path, user_data_path
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "KIOSK_"
APP_NAME = "kiosk"


class SettingsError(Exception):
    """The settings cannot be used; the message names the file (or variable) and the field."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StationSettings(_Section):
    """This machine and where it stands."""

    id: str = Field(default="DEMO01", pattern=r"^[A-Z0-9]{2,8}$")
    """Short code of this kiosk (2-8 capital letters or digits); it starts every serial number it issues."""
    name: str = Field(default="政务服务自助终端", min_length=1, max_length=40)
    """The name shown on the welcome screen and printed on receipts."""
    hotline: str = Field(default="12345", min_length=3, max_length=20)
    """The service hotline printed on receipts and shown when something needs a person."""
    materials_address: str = Field(
        default="云南省玉溪市红塔区政务服务中心 材料收件处（邮编653100，电话0877-2030000）",
        min_length=6,
        max_length=120,
    )
    """Where residents post their materials (邮寄材料), printed on the mailing slip: free both ways."""


class SessionSettings(_Section):
    """How long a resident's session lives."""

    idle_timeout_seconds: int = Field(default=120, ge=15, le=3600)
    """Seconds without a touch or key before the kiosk wipes the session and returns to the welcome screen."""
    idle_warning_seconds: int = Field(default=20, ge=5, le=120)
    """Seconds before the wipe when the screen asks "还在办理吗？" so nobody is cut off mid-form."""


class QueueSettings(_Section):
    """Queue tickets."""

    priority_age: int = Field(default=65, ge=50, le=100)
    """Applicants this old or older (age from their ID card) take the priority lane."""


class StorageSettings(_Section):
    """Where the kiosk keeps its data."""

    data_dir: Path | None = None
    """Folder for the submission database and printed receipts; empty means the platform data folder."""

    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else user_data_path(APP_NAME)


class CatalogSettings(_Section):
    """The service catalog."""

    path: Path | None = None
    """A catalog folder (one TOML file per department) or file; empty means the shipped sample catalog."""


class DeviceSettings(_Section):
    """Which back-end drives each device."""

    card_reader: Literal["serial", "simulator"] = "serial"
    """ID-card reader back-end. ``serial``: a reader on ``card_reader_port``. ``simulator``: a simulated reader
    on a pseudo-terminal, driven through the same driver (the demo places its sample cards there)."""
    card_reader_port: str = Field(default="/dev/ttyUSB0", min_length=1)
    """Serial port of the ID-card reader (``kiosk devices ports`` lists them)."""
    card_reader_baud: int = Field(default=115200, ge=1200, le=921600)
    """Baud rate of the ID-card reader; second-generation readers use 115200 unless reconfigured."""
    photo_decoder: Path | None = None
    """A licensed WLT photo decoder library (``libwlt2bmp.so``); without one the kiosk shows no card photo."""
    printer: str = Field(default="file:///dev/usb/lp0", pattern=r"^(usb|serial|tcp|file|sim)://")
    """Receipt printer: ``usb://VID:PID``, ``serial:///dev/ttyS0?baudrate=9600``, ``tcp://HOST:9100``,
    ``file:///dev/usb/lp0``, or ``sim://`` for the simulated printer (pictures of each job in data_dir/receipts)."""
    paper_width_mm: Literal[58, 80] = 58
    """Paper width: 58 mm (384 dots, 32 characters a line) or 80 mm (576 dots, 48 characters)."""
    print_mode: Literal["native", "raster"] = "native"
    """``native``: the printer's own Chinese font (Chinese mode and ``printer_encoding``), small and fast.
    ``raster``: the receipt drawn in ``font_path`` and printed as an image; works on any printer, prints rare
    characters in names, larger and slower."""
    native_qr: bool = True
    """Let the printer draw QR codes (``GS ( k``); false sends them as images, for printers without QR."""
    printer_encoding: str = "gb18030"
    """Text encoding of native mode; most Chinese printers take GB18030 (some GBK or UTF-8)."""
    font_path: Path | None = None
    """A CJK font for raster mode and receipt pictures; empty means the first of the usual Debian fonts found.
    Raster mode prints a rare character in a name only if this font has it: the Debian fonts cover the
    basic and Extension A blocks, not Extension B (𠀾…); use a font that does where names need it."""
    scanner: Literal["serial", "simulator"] = "serial"
    """Queue-ticket / QR scanner in serial mode (USB CDC-ACM or RS-232) on ``scanner_port``, or a simulated one
    on a pseudo-terminal (the demo scans its sample codes there)."""
    scanner_port: str = Field(default="/dev/ttyACM0", min_length=1)
    """Serial port of the scanner (``kiosk devices ports`` lists them)."""
    scanner_baud: int = Field(default=9600, ge=1200, le=921600)
    """Baud rate of the scanner; 9600 and 115200 are usual."""
    wedge_scanner: bool = False
    """A USB scanner in keyboard-wedge mode is attached: bursts of keys faster than a person types, ending in
    Enter, are taken as scans and never land in a text field."""
    scanner_prefix: str = ""
    """A prefix the scanner is configured to send before each code, stripped; AIM identifiers such as ``]Q1``
    are stripped in any case."""


class SyncSettings(_Section):
    """Uploading to the central hall. The hall's address and this kiosk's credentials come from enrolment
    (``kiosk enroll URL CODE``) and live in the kiosk's database, not here."""

    batch_size: int = Field(default=100, ge=1, le=500)
    """Submissions sent to the hall per request."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=120)
    """How long to wait for the hall to answer one request before calling it unreachable. Sync runs behind the
    screens, so it may wait for a hall that a whole fleet reconnecting keeps busy (a resident's question to the
    hall waits 3 seconds at most)."""
    backoff_base_seconds: float = Field(default=2.0, gt=0, le=600)
    """First retry delay after a failure; it doubles with each failure (with full jitter) up to the cap."""
    backoff_cap_seconds: float = Field(default=60.0, gt=0, le=86400)
    """Longest wait between retries, and the longest Retry-After the kiosk honours."""
    idle_poll_seconds: float = Field(default=30.0, gt=0, le=3600)
    """How often the sync engine wakes when nothing is waiting (new submissions wake it at once)."""
    heartbeat_seconds: float = Field(default=300.0, ge=10, le=86400)
    """How often the kiosk reports its devices' health to the hall."""
    case_status_seconds: float = Field(default=120.0, ge=5, le=86400)
    """How often the kiosk fetches the progress of the cases filed here."""
    catalog_seconds: float = Field(default=3600.0, ge=10, le=86400)
    """How often the kiosk asks the hall for catalog changes."""
    ca_file: Path | None = None
    """The city's own CA certificate (a PEM file, several certificates in one file are fine) that signs the hall's
    https certificate; empty means the system's trusted authorities. The hall's certificate is always verified, and
    the one it presents at enrolment must be presented ever after (re-enrol the kiosk when the hall changes it)."""


class StaffMember(_Section):
    """One member of the agency staff: signs in with a PIN or by scanning the staff badge."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    """The staff number, printed on receipts of filings made on someone's behalf."""
    name: str = Field(min_length=1, max_length=20)
    """Shown in the banner while signed in and printed on the receipt."""
    pin_hash: str = ""
    """Salted scrypt hash of the staff PIN."""
    badge_hash: str = ""
    """Salted scrypt hash of the code on the staff badge (scanned to sign in)."""


class AccessSettings(_Section):
    """Who may open the staff and technician modes, and how hard guessing is made."""

    technician_pin_hash: str = ""
    """The technician PIN as a salted scrypt hash (set it with ``kiosk pin technician``); empty: no technician mode."""
    max_tries: int = Field(default=5, ge=1, le=20)
    """Wrong PINs in a row before the mode locks."""
    lockout_seconds: int = Field(default=300, ge=10, le=86400)
    """How long a locked mode stays locked."""
    staff: list[StaffMember] = []
    """The agency staff (代办员) who may file for others; add one with ``kiosk pin staff ID NAME``."""


class AccessibilitySettings(_Section):
    """Elderly mode (长辈模式), the high-contrast theme and spoken guidance."""

    voice: bool = True
    """Speak short prompts in elderly mode when espeak-ng is installed (Mandarin; English in an English session);
    false keeps the kiosk silent."""
    voice_command: str = "espeak-ng"
    """The speech program; it is run as ``voice_command -v cmn -s 140 TEXT`` (``-v en`` for English)."""
    elderly_idle_timeout_seconds: int = Field(default=300, ge=30, le=3600)
    """The longer idle time of elderly mode; the privacy wipe still happens, after a spoken warning."""
    high_contrast: bool = False
    """Start every session in the high-contrast theme."""


class BoardSettings(_Section):
    """The waiting area's display board (``kiosk board``): which hall it reads and how often."""

    hall_url: str = ""
    """The hall's address, e.g. ``http://192.0.2.10:8700``; ``kiosk board --hall`` overrides it."""
    token: str = ""
    """The board's token from ``kiosk hall board-token`` (it reads the queue and nothing else)."""
    station: str = Field(default="", pattern=r"^[A-Z0-9]{0,16}$")
    """Whose tickets to show (the issuing kiosk's station id); empty: the one station issuing tickets today."""
    poll_seconds: float = Field(default=2.0, ge=0.2, le=60)
    """How often the board asks the hall for the line."""


class DisplaySettings(_Section):
    """How the kiosk reaches the machine's screen. The Linux text console cannot draw Chinese, so there are two
    ways, each started by ``kiosk display`` under the cage compositor (``deploy/kiosk.service``)."""

    mode: Literal["terminal", "browser"] = "terminal"
    """``terminal``: the foot terminal full-screen with a CJK font, running ``kiosk run``. ``browser``: ``kiosk serve``
    offers the kiosk on ``address``:``port`` and Chromium shows it full-screen (touch screens: taps are clicks)."""
    font_px: int = Field(default=24, ge=12, le=64)
    """Character height in pixels, in both modes; the README's table gives the grid each screen size then holds
    (the kiosk needs at least 100 x 35 cells)."""
    address: str = "127.0.0.1"
    """Where ``kiosk serve`` listens. Anyone who reaches the page drives the kiosk without signing in, so an
    address other than loopback is refused unless ``allow_remote`` is true."""
    port: int = Field(default=8765, ge=1024, le=65535)
    """Port of ``kiosk serve`` (``--port`` overrides it)."""
    allow_remote: bool = False
    """Let ``kiosk serve`` listen on an address other than loopback (a kiosk whose screen is another machine);
    only behind a firewall that lets nothing else reach it."""


class Settings(BaseSettings):
    """Every setting of the kiosk. The shipped ``config/kiosk.toml`` documents each one."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore")

    station: StationSettings = StationSettings()
    session: SessionSettings = SessionSettings()
    queue: QueueSettings = QueueSettings()
    storage: StorageSettings = StorageSettings()
    catalog: CatalogSettings = CatalogSettings()
    devices: DeviceSettings = DeviceSettings()
    sync: SyncSettings = SyncSettings()
    access: AccessSettings = AccessSettings()
    accessibility: AccessibilitySettings = AccessibilitySettings()
    board: BoardSettings = BoardSettings()
    display: DisplaySettings = DisplaySettings()

    def simulated(self, data_dir: Path) -> Settings:
        """These settings with every device simulated and the data kept in ``data_dir`` (demo, burn-in, tests)."""
        return self.model_copy(
            update={
                "storage": StorageSettings(data_dir=data_dir),
                "devices": self.devices.model_copy(
                    update={"card_reader": "simulator", "printer": "sim://", "scanner": "simulator"}
                ),
            }
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values come in as init arguments; a variable must beat them.
        return env_settings, init_settings


def default_config_path() -> Path:
    """``kiosk.toml`` in the platform config folder."""
    return user_config_path(APP_NAME) / "kiosk.toml"


def find_config_file(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The settings file to read, or None when no file is configured and the default one is absent."""
    if explicit is not None:
        return explicit
    if named := environ.get(f"{ENV_PREFIX}CONFIG"):
        return Path(named)
    default = default_config_path()
    return default if default.is_file() else None


def load_settings(explicit: Path | None = None) -> Settings:
    """Load and validate the settings; raise :class:`SettingsError` with one clear message."""
    path = find_config_file(explicit, os.environ)
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"{path}: settings file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: cannot be read: {exc}") from None
        except (ValueError, RecursionError) as exc:  # tomllib lets int()'s digit limit and deep nesting through
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
        if unknown := sorted(set(data) - set(Settings.model_fields)):
            known = ", ".join(f"[{name}]" for name in Settings.model_fields)
            raise SettingsError(f"{path}: unknown section [{unknown[0]}] (known: {known})")
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_describe(exc.errors()[0], path, os.environ)) from None


def _describe(err: Mapping, path: Path | None, environ: Mapping[str, str]) -> str:
    loc = [str(part) for part in err["loc"]]
    variable = ENV_PREFIX + "__".join(loc).upper()
    if variable in environ:
        where = f"environment variable {variable}"
    else:
        where = str(path) if path is not None else "settings"
    field = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else ".".join(loc)
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown setting"
    elif "input" in err and not isinstance(err["input"], dict):
        msg += f" (got {err['input']!r})"
    return f"{where}: {field}: {msg}"
