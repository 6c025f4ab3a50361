"""What the screens may ask of the kiosk: file, print, look up, rate. Built once by ``kiosk/app/``.

Every method here may block (SQLite fsync, printer I/O): screens call them from thread workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from config import faults
from config.i18n import _
from config.settings import Settings
from devices import PrinterError
from devices.factory import Devices, build_devices
from kiosk.application import CASE_STAGES, Application
from kiosk.catalog import Catalog, ServiceItem, load_catalog
from kiosk.identity import age_on, applicant_key
from kiosk.paper import application_receipt, one_time_notice, printer_test_page, queue_ticket
from kiosk.queue import QueueCategory, QueueTicket, parse_ticket_code
from kiosk.serial_number import SerialNumber
from kiosk.staff import Agent, staff_by_badge, staff_by_pin
from kiosk.workdays import add_working_days
from offline_cache import AlreadyRated, CacheError, Store, StoredSubmission
from offline_cache.hall_client import SyncError
from offline_cache.sync import SyncEngine, SyncStatus

log = logging.getLogger(__name__)

RECEIPT_FAILED = _("回执未能打印。您的申请已保存，请记下屏幕上的流水号，或请工作人员补打")
NOTICE_FAILED = _("告知单未能打印，请拍照或记下屏幕上的内容，或请工作人员帮助")


@dataclass(frozen=True, slots=True)
class CaseProgress:
    """A case as the progress screen shows it: ``local`` if filed at this kiosk (after the hall's answer, which
    it mirrors), ``hall`` the hall's view when it was reachable (None there: the hall has no such case)."""

    local: StoredSubmission | None
    hall: dict[str, Any] | None
    online: bool


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    """Whether the receipt printed; ``message`` is for the resident when it did not."""

    printed: bool
    message: str = ""


def build_services(
    settings: Settings, now: Callable[[], datetime] = datetime.now, db_path: Path | None = None
) -> KioskServices:
    """Load the catalog, open the store (``<data_dir>/kiosk.db`` unless ``db_path``) and the devices the settings
    name. The sync engine is built, not started: the app (or the command) that owns it starts it.

    Raises ``CatalogError`` or ``CacheError`` with a message a technician can act on.
    """
    data_dir = settings.storage.resolved_data_dir()
    catalog = load_catalog(settings.catalog.path)
    store = Store(db_path or data_dir / "kiosk.db")
    return KioskServices(
        settings, catalog, store, build_devices(settings.devices, data_dir, settings.accessibility), data_dir, now
    )


class KioskServices:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        store: Store,
        devices: Devices,
        data_dir: Path,
        now: Callable[[], datetime] = datetime.now,
    ):
        self.now = now
        self.settings = settings
        self.shipped_catalog = catalog
        self.catalog = catalog.with_changes(store.catalog_changes())
        self.store = store
        self.devices = devices
        self.data_dir = data_dir
        self.config_path: Path | None = None  # the settings file the technician's editor saves to
        self.sync = SyncEngine(store, settings.sync, heartbeat=devices.health.as_dict)
        self.sync.on_update = self._hall_update

    def _hall_update(self, what: str) -> None:
        if what == "catalog":
            self.catalog = self.shipped_catalog.with_changes(self.store.catalog_changes())

    def close(self) -> None:
        self.sync.stop()
        self.devices.close()
        self.store.close()

    def today(self) -> date:
        return self.now().date()

    def _applicant_key(self, application: Application) -> str:
        return applicant_key(application.applicant.number, self.store.local_secret("applicant"))

    def existing_case(self, application: Application) -> StoredSubmission | None:
        """The applicant's earlier filing of this item here that is still open or was granted at once, unless
        the item may be filed again. Raises ``CacheError``."""
        if application.item.repeatable:
            return None
        return self.store.open_case(self._applicant_key(application), application.item.code, CASE_STAGES[-1])

    def submit(self, application: Application) -> StoredSubmission:
        """Commit the application durably and give it its serial number. Raises ``CacheError``."""
        now = self.now()
        expected, estimated = add_working_days(now.date(), application.item.promised_days)
        new = application.to_submission(now, expected, estimated, self._applicant_key(application))
        station = self.settings.station.id
        saved = self.store.add_submission(new, lambda seq: str(SerialNumber.issue(station, now.date(), seq)))
        log.info("submission %s saved as %s for item %s", saved.id, saved.serial, saved.item_code)
        self.sync.wake()
        faults.inject("save")
        return saved

    def _print(self, document, failure: str) -> PrintOutcome:
        """Print; a failure is logged for the technician and told to the resident, never raised."""
        faults.inject("print")
        try:
            where = self.devices.print(document)
        except PrinterError as exc:
            log.warning("%s did not print: %s", document.name, exc)
            return PrintOutcome(False, _("{failure}（{detail}）", failure=failure, detail=exc))
        log.info("%s printed to %s", document.name, where)
        return PrintOutcome(True)

    def print_receipt(self, saved: StoredSubmission) -> PrintOutcome:
        """Print the receipt of a saved submission; a failure never touches the submission."""
        station = self.settings.station
        return self._print(
            application_receipt(saved, station.name, station.hotline),
            RECEIPT_FAILED,
        )

    def reprint_receipt(self, serial_text: str) -> PrintOutcome:
        """Staff reprint from the saved masked receipt. Raises ``SerialNumberError`` for a malformed number."""
        saved = self.find(serial_text)
        if saved is None:
            return PrintOutcome(False, _("本机没有这个流水号的记录"))
        return self.print_receipt(saved)

    def print_notice(self, item: ServiceItem) -> PrintOutcome:
        station = self.settings.station
        notice = one_time_notice(item, self.catalog.members_of(item), station.name, station.hotline)
        return self._print(notice, NOTICE_FAILED)

    def print_test_page(self) -> PrintOutcome:
        """The technician's test page: sizes, Chinese text, rare characters, the paper's width, a QR code."""
        devices = self.settings.devices
        qr = "打印机绘制" if devices.native_qr else "图像"
        return self._print(
            printer_test_page(
                self.settings.station.name,
                devices.printer,
                f"{devices.paper_width_mm}mm · {devices.print_mode} · QR {qr}",
                self.now(),
            ),
            _("测试页未能打印"),
        )

    def is_priority(self, birth_date: date | None) -> bool:
        """Whether an applicant of this birth date takes the priority lane of the queue."""
        return birth_date is not None and age_on(birth_date, self.today()) >= self.settings.queue.priority_age

    def take_ticket(self, category: QueueCategory, priority: bool) -> tuple[QueueTicket, int, PrintOutcome]:
        """Issue and print a queue ticket; return it with the people ahead. Raises ``CacheError``."""
        now = self.now()
        number, ahead = self.store.issue_ticket(category.letter, priority, now)
        ticket = QueueTicket(category, number, now, priority)
        outcome = self._print(
            queue_ticket(ticket, ahead, self.settings.station.name), _("排队号未能打印，请记下屏幕上的号码")
        )
        return ticket, ahead, outcome

    def ticket_position(self, code: str) -> str | None:
        """What a scanned queue ticket means now, for the resident; None if it is not a ticket of ours."""
        parsed = parse_ticket_code(code)
        if parsed is None:
            return None
        day, letter, number = parsed
        if day != self.today():
            return _("这是 {month}月{day}日 的排队号，已过期，请重新取号", month=day.month, day=day.day)
        found = self.store.ticket_position(day.isoformat(), letter, number)
        if found is None:
            return _("本机没有这张排队号的记录，请到咨询台询问")
        status, ahead = found
        ticket = f"{letter}{number:03d}"
        if status != "waiting":
            return _("排队号 {ticket} 已叫过号，请到咨询台询问", ticket=ticket)
        return _("排队号 {ticket}：前面还有 {ahead} 人，请留意叫号", ticket=ticket, ahead=ahead)

    def find(self, serial_text: str) -> StoredSubmission | None:
        """The submission with this serial number, filed at this kiosk. Raises ``SerialNumberError``."""
        return self.store.find_by_serial(str(SerialNumber.parse(serial_text)))

    def filed_today(self) -> list[StoredSubmission]:
        """Today's submissions at this kiosk, masked, newest first (the staff desk's list)."""
        return self.store.submissions_on(self.today().isoformat())

    def staff_by_pin(self, pin: str) -> Agent | None:
        return staff_by_pin(self.settings.access.staff, pin)

    def staff_by_badge(self, code: str) -> Agent | None:
        return staff_by_badge(self.settings.access.staff, code)

    def rate(self, saved: StoredSubmission, level: int, reason: str = "") -> None:
        """Record the resident's rating (1-5), with the reason for a bad one. Raises ``AlreadyRated`` for a second
        rating."""
        self.store.add_evaluation(saved.id, level, self.now(), reason)
        self.sync.wake()

    def progress(self, serial_text: str) -> CaseProgress:
        """What is known of a case: this kiosk's record and, when the hall is reachable, the hall's answer (for a
        case filed anywhere). Raises ``SerialNumberError`` for a malformed number, ``CacheError``."""
        serial = str(SerialNumber.parse(serial_text))
        try:
            hall = self.sync.case(serial)
        except SyncError as exc:
            log.info("progress of a case asked offline: %s", exc)
            return CaseProgress(self.store.find_by_serial(serial), None, online=False)
        return CaseProgress(self.store.find_by_serial(serial), hall, online=True)

    def sync_status(self) -> SyncStatus:
        return self.sync.status()

    def sync_now(self) -> None:
        """A technician asks for a sync: lift every pause and backoff and try at once."""
        self.sync.retry_now()

    def evaluation_of(self, saved: StoredSubmission) -> int | None:
        """The rating given to ``saved``, if any."""
        return self.store.evaluation_of(saved.id)


# Screens catch these without importing the storage layer.
__all__ = [
    "AlreadyRated",
    "CacheError",
    "CaseProgress",
    "KioskServices",
    "PrintOutcome",
    "StoredSubmission",
    "SyncStatus",
    "build_services",
]
