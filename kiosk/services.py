"""What the screens may ask of the kiosk: file, print, look up, rate. Built once by ``kiosk/app/``.

Every method here may block (SQLite fsync, printer I/O): screens call them from thread workers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from config import faults
from config.i18n import _
from config.settings import Settings
from devices import PrinterError, PrintInterrupted
from devices.factory import Devices, build_devices
from kiosk import appointments
from kiosk.application import CASE_STAGES, Application
from kiosk.appointments import Appointment, AppointmentRefused
from kiosk.catalog import Catalog, ServiceItem, load_catalog
from kiosk.identity import age_on, applicant_key
from kiosk.paper import application_receipt, mailing_slip, one_time_notice, printer_test_page, queue_ticket
from kiosk.queue import CATEGORIES, PeopleAhead, QueueCategory, QueueTicket, category_for, parse_ticket_code
from kiosk.queue_rule import QueueRule, people_ahead
from kiosk.readings import CACHE_FILE as READINGS_CACHE
from kiosk.serial_number import SerialNumber
from kiosk.staff import Agent, staff_by_badge, staff_by_pin
from kiosk.workdays import WorkingCalendar
from offline_cache import AlreadyRated, CacheError, Store, StoredSubmission
from offline_cache.hall_client import SyncError
from offline_cache.sync import SyncEngine, SyncStatus
from offline_cache.tickets import StoredTicket

log = logging.getLogger(__name__)

RECEIPT_FAILED = _("回执未能打印。您的申请已保存，请记下屏幕上的流水号，或请工作人员补打")
SLIP_FAILED = _("邮寄单未能打印。回执已打印，请记下流水号，或请工作人员补打邮寄单")
RECEIPT_INTERRUPTED = _("回执没有打印完整，请重新打印回执，新回执会标明“补打”")
SLIP_INTERRUPTED = _("邮寄单没有打印完整，请重新打印回执，新的回执和邮寄单都会标明“补打”")
NOTICE_FAILED = _("告知单未能打印，请拍照或记下屏幕上的内容，或请工作人员帮助")


@dataclass(frozen=True, slots=True)
class CaseProgress:
    """A case as the progress screen shows it: ``local`` if filed at this kiosk (after the hall's answer, which
    it mirrors), ``hall`` the hall's view when it was reachable (None there: the hall has no such case)."""

    local: StoredSubmission | None
    hall: dict[str, Any] | None
    online: bool


@dataclass(frozen=True, slots=True)
class CheckedIn:
    appointment: Appointment
    ticket: QueueTicket
    ahead: PeopleAhead
    printed: PrintOutcome


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    """Whether the paper printed; ``message`` is for the resident when it did not."""

    printed: bool
    message: str = ""
    interrupted: bool = False
    """The printer lost the job part of the way: some of it may be on paper."""


def build_services(
    settings: Settings, now: Callable[[], datetime] = datetime.now, db_path: Path | None = None
) -> KioskServices:
    """Load the catalog, open the store (``<data_dir>/kiosk.db`` unless ``db_path``) and the devices the settings
    name. The sync engine is built, not started: the app (or the command) that owns it starts it.

    Raises ``CatalogError`` or ``CacheError`` with a message a technician can act on.
    """
    data_dir = settings.storage.resolved_data_dir()
    catalog = load_catalog(settings.catalog.path, readings_cache=data_dir / READINGS_CACHE)
    store = Store(db_path or data_dir / "kiosk.db")
    return KioskServices(
        settings, catalog, store, build_devices(settings.devices, data_dir, settings.accessibility), data_dir, now
    )


class StoredGate:
    """A PIN gate's count and lock in the store (:class:`kiosk.pin.GateRecord`). A database that cannot be read
    or written does not stop a PIN being checked: it is logged, and the gate keeps its count in memory."""

    def __init__(self, store: Store, key: str) -> None:
        self._store = store
        self._key = key

    def load(self) -> tuple[int, float]:
        try:
            values = json.loads(self._store.mirror_value(self._key, "{}"))
            return int(values.get("failures", 0)), float(values.get("locked_until", 0.0))
        except (CacheError, ValueError, TypeError, AttributeError) as exc:
            log.warning("PIN gate %s not read: %s", self._key, exc)
            return 0, 0.0

    def save(self, failures: int, locked_until: float) -> None:
        try:
            self._store.set_mirror_value(self._key, json.dumps({"failures": failures, "locked_until": locked_until}))
        except CacheError as exc:
            log.warning("PIN gate %s not kept: %s", self._key, exc)


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
        self.now = lambda: now() + timedelta(seconds=self.sync.clock_correction())
        """Now by the hall's clock when this machine's is found far off it (see ``SyncEngine.clock_correction``):
        what is filed here bears the day the hall counts by."""
        self.settings = settings
        self.shipped_catalog = catalog
        self.catalog = catalog.with_changes(store.catalog_changes())
        self.calendar = WorkingCalendar.from_rows(store.holiday_table())
        self.store = store
        self.devices = devices
        self.data_dir = data_dir
        self.config_path: Path | None = None  # the settings file the technician's editor saves to
        self.sync = SyncEngine(store, settings.sync, heartbeat=devices.health.as_dict)
        self.sync.on_update = self._hall_update

    def _hall_update(self, what: str) -> None:
        if what == "catalog":
            self.catalog = self.shipped_catalog.with_changes(self.store.catalog_changes())
        elif what == "holidays":
            self.calendar = WorkingCalendar.from_rows(self.store.holiday_table())

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
        expected, estimated = self.calendar.add_working_days(now.date(), application.item.promised_days)
        new = application.to_submission(now, expected, estimated, self._applicant_key(application))
        station = self.settings.station.id
        saved = self.store.add_submission(new, lambda seq: str(SerialNumber.issue(station, now.date(), seq)))
        log.info("submission %s saved as %s for item %s", saved.id, saved.serial, saved.item_code)
        self.sync.wake()
        faults.inject("save")
        return saved

    def _print(self, document, failure: str, interrupted: str = "") -> PrintOutcome:
        """Print; a failure is logged for the technician and told to the resident, never raised. ``interrupted``
        is what to tell when the job broke off part of the way, if not ``failure``."""
        faults.inject("print")
        try:
            where = self.devices.print(document)
        except PrintInterrupted as exc:
            log.warning("%s broke off while printing, part of it may be on paper: %s", document.name, exc)
            message = interrupted or _("{failure}（{detail}）", failure=failure, detail=exc)
            return PrintOutcome(False, message, interrupted=True)
        except PrinterError as exc:
            log.warning("%s did not print: %s", document.name, exc)
            return PrintOutcome(False, _("{failure}（{detail}）", failure=failure, detail=exc))
        log.info("%s printed to %s", document.name, where)
        return PrintOutcome(True)

    def print_receipt(self, saved: StoredSubmission) -> PrintOutcome:
        """Print the receipt of a saved submission, and its mailing slip when materials go by post. A copy printed
        when an earlier one may be on paper, whole or in part, says 补打 with its number at the top, and so does
        its slip. A failure leaves the submission as it was. Raises ``CacheError``."""
        station = self.settings.station
        copy = self.store.reserve_receipt_copy(saved.id)
        receipt = application_receipt(saved, station.name, station.hotline, self.payment_url(saved), copy)
        printed = self._print(receipt, RECEIPT_FAILED, RECEIPT_INTERRUPTED)
        if not printed.printed and not printed.interrupted:  # nothing reached the paper: the copy was not made
            try:
                self.store.release_receipt_copy(saved.id)
            except CacheError as exc:
                log.warning("receipt copy %d of %s stays counted, the next says 补打: %s", copy, saved.serial, exc)
        elif printed.printed and saved.masked.get("materials_by_post"):
            slip = mailing_slip(saved, station.name, station.materials_address, copy)
            return self._print(slip, SLIP_FAILED, SLIP_INTERRUPTED)
        return printed

    def reprint_receipt(self, serial_text: str) -> PrintOutcome:
        """Staff reprint from the saved masked receipt, marked 补打 like any later copy. Raises
        ``SerialNumberError`` for a malformed number."""
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

    def take_ticket(
        self, category: QueueCategory, priority: bool, appointment: str = ""
    ) -> tuple[QueueTicket, PeopleAhead, PrintOutcome]:
        """Issue a queue ticket (checking in ``appointment`` if given), hand it to the hall and print it; return
        it with the people ahead, counted by the hall when it answers, else here. Raises ``CacheError``."""
        stored = self.store.issue_ticket(category.letter, priority, self.now(), appointment)
        ticket = QueueTicket(category, stored.number, stored.issued_at, priority, appointment)
        _status, _window, ahead = self._standing(stored)
        if ahead is None:  # called before it was printed: nobody is ahead of it
            ahead = PeopleAhead(0, from_hall=True)
        outcome = self._print(
            queue_ticket(ticket, ahead, self.settings.station.name), _("排队号未能打印，请记下屏幕上的号码")
        )
        return ticket, ahead, outcome

    def check_in(self, code: str) -> CheckedIn:
        """Check in a scanned appointment code: verify the hall's signature (offline, with the key from
        enrolment), the day and the window, that it was not used here before; then issue a priority ticket for
        the item's queue, marked 预约. Raises ``AppointmentRefused`` with what to tell the resident."""
        enrolment = self.store.enrolment()
        if enrolment is None or not enrolment.hall_signing_key:
            raise AppointmentRefused(_("本机还不能核验预约码，请到咨询台签到（技术员：请重新登记本机）。"))
        now = self.now()
        appointment = appointments.verify(code, enrolment.hall_signing_key, now)
        used = self.store.check_in(appointment.id, appointment.item_code, now)
        if used is not None:
            raise AppointmentRefused(
                _("这个预约码已经在 {time} 签到过了，请到咨询台询问。", time=used.strftime("%H:%M"))
            )
        item = self.catalog.get(appointment.item_code)
        category = category_for(item) if item is not None else CATEGORIES[0]
        ticket, ahead, outcome = self.take_ticket(category, True, appointment=appointment.id)
        log.info("appointment %s checked in: ticket %s", appointment.id, ticket.code)
        self.sync.wake()  # the hall hears of the check-in now, not at the next poll: the code is spent
        return CheckedIn(appointment, ticket, ahead, outcome)

    def materials_on_file(self, application: Application) -> list[dict[str, Any]] | None:
        """The item's materials the hall holds for the applicant and may reuse today; None when the hall cannot
        be asked (offline), in which case nothing is assumed."""
        try:
            return self.sync.ask(
                lambda client: client.materials_on_file(application.applicant.number, application.item.code)
            )
        except SyncError as exc:
            log.info("materials on file not asked: %s", exc)
            return None

    def payment_url(self, saved: StoredSubmission) -> str:
        """Where the receipt's payment QR leads: the hall's payment page for this submission."""
        enrolment = self.store.enrolment()
        return f"{enrolment.url}/pay/{saved.id}" if enrolment else ""

    def ticket_position(self, code: str) -> str | None:
        """What a scanned queue ticket means now, for the resident (the hall's view when it answers, else this
        kiosk's count, saying so); None if it is not a ticket of ours. Raises ``CacheError``."""
        parsed = parse_ticket_code(code)
        if parsed is None:
            return None
        day, letter, number = parsed
        if day != self.today():
            return _("这是 {month}月{day}日 的排队号，已过期，请重新取号", month=day.month, day=day.day)
        stored = self.store.ticket(day.isoformat(), letter, number)
        if stored is None:
            return _("本机没有这张排队号的记录，请到咨询台询问")
        status, window, ahead = self._standing(stored)
        ticket = f"{letter}{number:03d}"
        if ahead is not None:
            if ahead.from_hall:
                return _("排队号 {ticket}：前面还有 {ahead} 人，请留意叫号", ticket=ticket, ahead=int(ahead))
            return _(
                "排队号 {ticket}：前面约有 {ahead} 人（本机统计，暂未连上大厅），请留意叫号",
                ticket=ticket,
                ahead=int(ahead),
            )
        if status == "called" and window:
            return _("排队号 {ticket} 正在叫号，请到 {window} 号窗口", ticket=ticket, window=window)
        if status == "held":
            return _("排队号 {ticket} 暂停等候，请留意工作人员通知", ticket=ticket)
        if status == "skipped":
            return _("排队号 {ticket} 已过号，请到咨询台询问，或重新取号", ticket=ticket)
        return _("排队号 {ticket} 已叫过号，请到咨询台询问", ticket=ticket)

    def _standing(self, stored: StoredTicket) -> tuple[str, str, PeopleAhead | None]:
        """A ticket's status, window and, while it waits, the people ahead: from the hall (a short wait) when it
        answers, else from this kiosk's record by the hall's rule as last known."""
        try:
            found = self.sync.ticket_position(stored.day, stored.category, stored.number)
        except SyncError as exc:
            log.info("ticket position counted here: %s", exc)
            found = None
        if found is not None:
            ahead = found["ahead"]
            return found["status"], found["window"], None if ahead is None else PeopleAhead(ahead, from_hall=True)
        if stored.status != "waiting":
            return stored.status, "", None
        waiting = self.store.waiting_tickets(stored.day, stored.category)
        return "waiting", "", PeopleAhead(people_ahead(stored, waiting, self.now(), self._queue_rule()), False)

    def _queue_rule(self) -> QueueRule:
        """The hall's calling rule as it last said (the defaults until it has)."""
        try:
            known = json.loads(self.store.mirror_value("queue_rule", "{}"))
            return QueueRule(int(known["priority_head_start"]), int(known["max_wait"]))
        except (ValueError, KeyError, TypeError):
            return QueueRule()

    def find(self, serial_text: str) -> StoredSubmission | None:
        """The submission with this serial number, filed at this kiosk. Raises ``SerialNumberError``."""
        return self.store.find_by_serial(str(SerialNumber.parse(serial_text)))

    def filed_today(self) -> list[StoredSubmission]:
        """Today's submissions at this kiosk, masked, newest first (the staff desk's list)."""
        return self.store.submissions_on(self.today().isoformat())

    def pin_record(self, gate: str) -> StoredGate:
        """Where the PIN gate named ``gate`` keeps its wrong tries and its lock: this kiosk's database."""
        return StoredGate(self.store, f"pin_gate:{gate}")

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
    "AppointmentRefused",
    "CacheError",
    "CaseProgress",
    "CheckedIn",
    "KioskServices",
    "PrintOutcome",
    "StoredSubmission",
    "SyncStatus",
    "build_services",
]
