"""The hall's holiday table on the kiosk: mirrored by the real sync engine from a real hall on loopback, and the
expected date on the receipt counted by it (the issue's acceptance test: "today" in 2027)."""

from __future__ import annotations

import csv
import time
from datetime import datetime
from pathlib import Path

import pytest

from config.settings import Settings, SyncSettings
from devices.samples import WANG_XIUYING
from kiosk.application import Applicant, Application
from kiosk.cli import main
from kiosk.enrolment import enrol
from kiosk.hall.holidays import read_holiday_file
from kiosk.services import KioskServices, build_services
from offline_cache import Store, StoredSubmission
from offline_cache.sync import SyncEngine
from tests.conftest import enrol as enrol_offline

FAST = SyncSettings(backoff_base_seconds=0.05, backoff_cap_seconds=0.5, timeout_seconds=5.0)  # a loaded CI machine
HOLIDAYS_2027 = Path(__file__).parent.parent / "holidays_2027.csv"
MONDAY_2027 = datetime(2027, 9, 20, 9, 30)  # eleven days before National Day


def rows_2027() -> list[dict[str, str]]:
    with HOLIDAYS_2027.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def store(tmp_path, hall):
    store = Store(tmp_path / "kiosk.db")
    enrol(store, Settings(), hall.url, hall.storage.new_enrolment_code())
    yield store
    store.close()


def test_the_store_keeps_the_pulled_days_and_their_version(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    assert store.holiday_table() == [] and store.mirror_value("holidays_version") == ""
    store.apply_holiday_changes(2, rows_2027())
    assert store.holiday_table() == rows_2027() and store.mirror_value("holidays_version") == "2"
    store.apply_holiday_changes(3, [{"date": "2027-10-09", "kind": "normal", "name": ""}])
    assert {"date": "2027-10-09", "kind": "normal", "name": ""} in store.holiday_table()
    assert len(store.holiday_table()) == 35
    store.close()


def test_sync_pulls_the_table_beside_the_catalog_and_then_only_what_changed(store, hall):
    engine = SyncEngine(store, FAST)
    updates: list[str] = []
    engine.on_update = updates.append
    engine.sync_once()
    seeded = len(hall.storage.holidays())
    assert len(store.holiday_table()) == seeded and "holidays" in updates
    assert store.mirror_value("holidays_version") == "1"

    hall.storage.import_holidays(read_holiday_file(HOLIDAYS_2027))
    updates.clear()
    engine.sync_once()
    assert updates == [] and store.mirror_value("holidays_version") == "1"  # not due yet: the catalog's cadence
    engine._next_pull = dict.fromkeys(engine._next_pull, 0.0)  # pulls fall due
    engine.sync_once()
    assert updates == ["holidays"] and store.mirror_value("holidays_version") == "2"
    assert len(store.holiday_table()) == seeded + 35
    with store.database.locked() as db:
        versions = dict(db.execute("SELECT substr(day, 1, 4), MAX(version) FROM holiday_mirror GROUP BY 1"))
    assert versions["2026"] == 1 and versions["2027"] == 2  # only the new days came the second time

    engine._next_pull = dict.fromkeys(engine._next_pull, 0.0)
    engine.sync_once()
    assert updates == ["holidays"]  # nothing new: no reload


def services_in_2027(settings: Settings) -> KioskServices:
    return build_services(settings, now=lambda: MONDAY_2027)


def file_id_card_renewal(services: KioskServices) -> tuple[StoredSubmission, str]:
    """File GA0002 (居民身份证换领, 15 working days) and print its receipt: the submission and the receipt's text."""
    application = Application(services.catalog["GA0002"], Applicant.from_card(WANG_XIUYING))
    application.set_values({}, services.today())
    saved = services.submit(application)
    assert services.print_receipt(saved).printed
    jobs = services.devices.printer_simulator.jobs
    deadline = time.monotonic() + 10
    while not jobs and time.monotonic() < deadline:
        time.sleep(0.02)
    return saved, jobs[-1].data.decode("gb18030", errors="replace")


def test_in_2027_the_receipt_counts_the_halls_imported_holidays(settings, hall):
    assert main(["hall", "holidays", "import", str(HOLIDAYS_2027), "--db", str(hall.storage.path)]) == 0
    store = Store(settings.storage.resolved_data_dir() / "kiosk.db")
    enrol(store, settings, hall.url, hall.storage.new_enrolment_code())
    store.close()
    services = services_in_2027(settings)
    try:
        services.sync.sync_once()  # the real engine, on this thread: it pulls the table and the services reload
        saved, receipt = file_id_card_renewal(services)
    finally:
        services.close()
    # 21-24 Sep, Sunday 26 (worked), 27-30 Sep, 1-7 Oct off, Friday 8, Saturday 9 (worked), 11-14 Oct.
    assert saved.masked["expected"] == "2027-10-14" and saved.masked["expected_is_estimate"] is False
    assert "15个工作日，预计 2027年10月14日" in receipt and "估算" not in receipt

    hall.stop()  # the kiosk restarts while the hall is out of reach: it counts by the table it kept
    services = services_in_2027(settings)
    try:
        saved, receipt = file_id_card_renewal(services)
    finally:
        services.close()
    assert saved.masked["expected"] == "2027-10-14" and "估算" not in receipt


def test_in_2027_without_the_halls_table_the_date_is_marked_an_estimate(settings):
    store = Store(settings.storage.resolved_data_dir() / "kiosk.db")
    enrol_offline(store)  # enrolled, but the hall is out of reach: no table was ever pulled
    store.close()
    services = services_in_2027(settings)
    try:
        assert not services.sync.sync_once().online
        saved, receipt = file_id_card_renewal(services)
    finally:
        services.close()
    # Weekends alone: National Day week counted as worked.
    assert saved.masked["expected"] == "2027-10-11" and saved.masked["expected_is_estimate"] is True
    assert "15个工作日，预计 2027年10月11日（按周末估算" in receipt
