"""What the screens may ask of the kiosk: file, print, look up, rate. Built once by ``kiosk/app.py``.

Every method here may block (SQLite fsync, printer I/O): screens call them from thread workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from config.settings import Settings
from devices import PrinterError
from devices.factory import Devices, build_devices
from kiosk.catalog import Catalog, load_catalog
from kiosk.queue import QueueCategory, QueueTicket
from kiosk.receipt import application_receipt
from kiosk.serial import SerialNumber
from kiosk.session import Application
from kiosk.workdays import add_working_days
from offline_cache import AlreadyRated, CacheError, Store, StoredSubmission

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    """Whether the receipt printed; ``message`` is for the resident when it did not."""

    printed: bool
    message: str = ""


def build_services(settings: Settings, now: Callable[[], datetime] = datetime.now) -> KioskServices:
    """Load the catalog, open the store and the devices the settings name.

    Raises ``CatalogError`` or ``CacheError`` with a message a technician can act on.
    """
    data_dir = settings.storage.resolved_data_dir()
    catalog = load_catalog(settings.catalog.path)
    store = Store(data_dir / "kiosk.db")
    return KioskServices(settings, catalog, store, build_devices(settings.devices, data_dir), data_dir, now)


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
        self.catalog = catalog
        self.store = store
        self.devices = devices
        self.data_dir = data_dir

    def today(self) -> date:
        return self.now().date()

    def submit(self, application: Application) -> StoredSubmission:
        """Commit the application durably and give it its serial number. Raises ``CacheError``."""
        now = self.now()
        expected, estimated = add_working_days(now.date(), application.item.promised_days)
        new = application.to_submission(now, expected, estimated)
        station = self.settings.station.id
        saved = self.store.add_submission(new, lambda seq: str(SerialNumber.issue(station, now.date(), seq)))
        log.info("submission %s saved as %s for item %s", saved.id, saved.serial, saved.item_code)
        return saved

    def print_receipt(self, saved: StoredSubmission) -> PrintOutcome:
        """Print the receipt of a saved submission; a failure never touches the submission."""
        station = self.settings.station
        try:
            where = self.devices.printer.print_document(application_receipt(saved, station.name, station.hotline))
        except PrinterError as exc:
            log.warning("receipt of %s did not print: %s", saved.serial, exc)
            return PrintOutcome(False, "回执未能打印。您的申请已保存，请记下屏幕上的流水号，或请工作人员补打。")
        log.info("receipt of %s printed to %s", saved.serial, where)
        return PrintOutcome(True)

    def take_ticket(self, category: QueueCategory) -> tuple[QueueTicket, PrintOutcome]:
        """Issue and print a queue ticket. Raises ``CacheError`` when the number cannot be stored."""
        now = self.now()
        ticket = QueueTicket(category, self.store.issue_ticket(category.letter, False, now), now)
        try:
            self.devices.printer.print_document(ticket.document(self.settings.station.name))
        except PrinterError as exc:
            log.warning("ticket %s did not print: %s", ticket.code, exc)
            return ticket, PrintOutcome(False, "排队号未能打印，请记下屏幕上的号码。")
        return ticket, PrintOutcome(True)

    def find(self, serial_text: str) -> StoredSubmission | None:
        """The submission with this serial number, filed at this kiosk. Raises ``SerialNumberError``."""
        return self.store.find_by_serial(str(SerialNumber.parse(serial_text)))

    def rate(self, saved: StoredSubmission, level: int) -> None:
        """Record the resident's rating (1-5). Raises ``AlreadyRated`` for a second rating."""
        self.store.add_evaluation(saved.id, level, self.now())

    def pending_count(self) -> int:
        return self.store.pending_count()


# Screens catch these without importing the storage layer.
__all__ = ["AlreadyRated", "CacheError", "KioskServices", "PrintOutcome", "StoredSubmission", "build_services"]
