"""Faults below the kiosk and at the hall, each with its outcome: a full disk mid-commit (a clear message,
nothing half-stored, it recovers), a hall that answers 200 with an empty body (not taken for the hall, nothing
lost), another hall at the enrolled address (refused, nothing lost, sync resumes with the right one), the clock
set back a day and forward a year (serial numbers never repeat)."""

from __future__ import annotations

import dataclasses
import logging
import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta

import pytest

from config.settings import Settings
from devices.samples import WANG_XIUYING
from kiosk.application import Applicant, Application
from kiosk.enrolment import enrol
from kiosk.hall.runner import HallServer
from kiosk.services import build_services
from offline_cache import CacheError, NewSubmission, Store
from offline_cache.sync import SyncEngine
from tests.cache.test_sync import FAST, PERSON, hall_serials, submit

YEAR = timedelta(days=365)


def new(when: datetime) -> NewSubmission:
    return NewSubmission(
        f"00000000-0000-4000-8000-{int(when.timestamp()):012d}", "MZ0001", "老年人优待证办理", when, {}, PERSON
    )


def serial_of(seq: int, when: datetime) -> str:
    return f"DEMO01-{when:%y%m%d}-{seq:04d}-X"


def test_a_full_disk_mid_commit_says_so_keeps_what_was_saved_and_recovers(store):
    [kept] = submit(store, 1)
    conn = store.database._db.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own 'database or disk is full', as on a full disk
    when = datetime(2026, 11, 23, 11, 0)
    with pytest.raises(CacheError, match="存储空间已满"):
        for n in range(50):  # until a new page is needed
            store.add_submission(new(datetime(2026, 11, 23, 11, n)), lambda s, w=when: serial_of(s, w))
    stored = [row[0] for row in conn.execute("SELECT serial FROM submissions")]
    outbox = conn.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'submission'").fetchone()[0]
    assert kept in stored and outbox == len(stored)  # each stored one with its outbox row: none half-stored
    conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
    again = store.add_submission(new(datetime(2026, 11, 23, 12, 0)), lambda s: serial_of(s, when))
    assert again.serial not in stored
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_hall_answering_200_with_an_empty_body_is_not_the_hall_and_nothing_is_lost(store, hall, proxy):
    serials = submit(store, 2)
    proxy.status(200, body="", content_type="application/json")
    engine = SyncEngine(store, FAST)
    status = engine.sync_once()
    assert (status.online, status.pending, status.acknowledged) == (False, 2, 0)
    assert "不是大厅" in status.last_error
    proxy.pass_through()
    engine.retry_now()
    assert engine.sync_once().pending == 0
    assert hall_serials(hall) == sorted(serials)


def test_another_hall_at_the_enrolled_address_is_refused_and_the_right_one_gets_everything(store, hall, tmp_path):
    serials = submit(store, 2)
    stranger = HallServer(tmp_path / "other-hall.db")  # its own keys: it never enrolled this kiosk
    stranger.start()
    try:
        enrolled = store.enrolment()
        store.enrol(dataclasses.replace(enrolled, url=stranger.url))
        engine = SyncEngine(store, FAST)
        status = engine.sync_once()
        assert status.paused and status.pending == 2 and "重新登记" in status.last_error
        assert stranger.storage.cases() == []  # the token unknown there: nothing handed over, nothing opened
    finally:
        stranger.stop()
        stranger.storage.close()
    store.enrol(enrolled)
    engine.retry_now()
    assert engine.sync_once().pending == 0
    assert hall_serials(hall) == sorted(serials)


def test_the_clock_set_back_a_day_and_forward_a_year_never_repeats_a_serial(tmp_path, hall):
    store = Store(tmp_path / "kiosk.db")
    enrol(store, Settings(), hall.url, hall.storage.new_enrolment_code())
    today, yesterday, next_year = datetime(2026, 11, 23, 9), datetime(2026, 11, 22, 9), datetime(2027, 11, 23, 9)
    serials = []
    for when in (today, today, yesterday, today, next_year, yesterday, today):
        saved = store.add_submission(new(when.replace(minute=len(serials))), lambda s, w=when: serial_of(s, w))
        serials.append(saved.serial)
    assert len(set(serials)) == len(serials), serials
    assert SyncEngine(store, FAST).sync_once().pending == 0
    assert hall_serials(hall) == sorted(serials)  # the hall takes each, whatever day the kiosk's clock said
    store.close()
    with closing(sqlite3.connect(tmp_path / "kiosk.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_kiosk_clock_a_year_ahead_files_by_the_halls_date_once_it_has_heard_the_hall(settings, hall, proxy, caplog):
    """A dead clock battery: the kiosk's clock runs a year ahead of the hall's (the proxy sets the hall's answers a
    year back, the same thing seen from the kiosk). Before any answer the kiosk can only use its own clock; after
    one, what it files bears the hall's day: its serial, submission time and expected date."""
    caplog.set_level(logging.WARNING, logger="offline_cache.sync")  # whatever an earlier test's command line left
    store = Store(settings.storage.resolved_data_dir() / "kiosk.db")
    enrol(store, settings, proxy.url, hall.storage.new_enrolment_code())
    store.close()
    services = build_services(settings)
    try:
        application = Application(services.catalog["GA0002"], Applicant.from_card(WANG_XIUYING))
        assert abs(services.now() - datetime.now()) < timedelta(seconds=5)  # nothing heard yet: its own clock
        proxy.date_shift = -YEAR.total_seconds()
        services.sync.sync_once()
        hall_today = (datetime.now() - YEAR).date()
        saved = services.submit(application)
        assert saved.created_at.date() == hall_today and f"-{hall_today:%y%m%d}-" in saved.serial
        expected, _ = services.calendar.add_working_days(hall_today, application.item.promised_days)
        assert saved.masked["expected"] == expected.isoformat()
        assert re.search(r"clock is 3153[56]\d{3} s ahead of the hall's", caplog.text)  # to the second, over the wire

        proxy.date_shift = 0  # the clock set right (here: the hall's answers agree again)
        services.sync.retry_now()
        services.sync.sync_once()
        assert abs(services.now() - datetime.now()) < timedelta(seconds=5)
    finally:
        services.close()


def test_a_clock_set_since_the_hall_was_heard_is_trusted_until_the_next_answer(store, proxy):
    engine = SyncEngine(store, FAST)
    proxy.date_shift = 3600.0
    engine.sync_once()
    assert 3595 < engine.clock_correction() < 3605
    wall, monotonic = engine._hall_clock[1:]
    engine._hall_clock = (3600.0, wall - 3600, monotonic)  # as if the clock was set an hour on since
    assert engine.clock_correction() == 0.0
