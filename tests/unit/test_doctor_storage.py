"""The storage checks of ``kiosk doctor`` on real folders and real SQLite files: the data folder, its disk, the
database's integrity and write-ahead log, the holiday table and the outbox."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import pytest

from kiosk.doctor.storage import (
    data_dir_check,
    database_check,
    disk_space_check,
    holidays_check,
    outbox_check,
    wal_check,
)
from offline_cache import NewSubmission, Store
from tests.conftest import enrol

PERSON = {"name": "王秀英", "number": "110105194912310021"}


def submit(store: Store, count: int) -> list[str]:
    ids = []
    for n in range(count):
        new = NewSubmission(f"id-{n}", "MZ0001", "老年人优待证办理", datetime.now(), {"applicant": "王**"}, PERSON)
        ids.append(store.add_submission(new, lambda seq: f"DEMO01-261201-{seq:04d}-X").id)
    return ids


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    enrol(store)
    yield store
    store.close()


def test_a_data_folder_that_takes_a_file_passes(tmp_path):
    check = data_dir_check(tmp_path)
    assert check.level == "ok" and list(tmp_path.iterdir()) == []  # the probe file is gone again


def test_a_data_folder_not_made_yet_warns_and_one_that_cannot_be_made_fails(tmp_path):
    assert data_dir_check(tmp_path / "kiosk").level == "warn"
    (tmp_path / "a-file").write_text("")
    check = data_dir_check(tmp_path / "a-file" / "kiosk")
    assert check.level == "fail" and "storage.data_dir" in check.fix


def test_free_space_against_its_thresholds(tmp_path):
    assert disk_space_check(tmp_path, warn_below=1, fail_below=0).level == "ok"
    assert disk_space_check(tmp_path, warn_below=2**62, fail_below=0).level == "warn"
    check = disk_space_check(tmp_path, warn_below=2**62, fail_below=2**62)
    assert check.level == "fail" and "清理磁盘" in check.fix


def test_a_sound_database_passes(store):
    submit(store, 3)
    check = database_check(store.path)
    assert check.level == "ok" and "integrity_check" in check.detail


def test_a_missing_database_is_a_note_and_is_not_made(tmp_path):
    assert database_check(tmp_path / "kiosk.db").level == "note"
    assert not (tmp_path / "kiosk.db").exists()


def test_a_database_file_with_a_damaged_header_fails(store):
    submit(store, 3)
    store.close()
    data = bytearray(store.path.read_bytes())
    data[:16] = b"not a database!!"
    store.path.write_bytes(bytes(data))
    check = database_check(store.path)
    assert check.level == "fail" and "不要删除" in check.fix


def test_a_database_file_with_a_damaged_page_fails(store):
    submit(store, 40)
    store.close()
    data = bytearray(store.path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[3 * page : 4 * page] = bytes([0xA5]) * page  # a table's b-tree page, overwritten
    store.path.write_bytes(bytes(data))
    check = database_check(store.path)
    assert check.level == "fail" and "损坏" in check.detail


def test_the_write_ahead_log_is_measured(store):
    submit(store, 5)  # the store keeps its connection open, so the log is still there
    wal = Path(f"{store.path}-wal")
    assert wal.stat().st_size > 0
    assert wal_check(store.path).level == "ok"
    check = wal_check(store.path, warn_above=1)
    assert check.level == "warn" and "重启 kiosk" in check.fix


def test_holidays_known_for_sixty_working_days_pass():
    check = holidays_check([], date(2026, 3, 2))  # chinese-calendar knows 2026
    assert check.level == "ok" and "60" in check.detail


def test_holidays_running_out_within_sixty_working_days_fail():
    check = holidays_check([], date(2026, 12, 1))
    assert check.level == "fail" and "2026-12-31" in check.detail and "2027" in check.fix


def test_the_halls_table_for_next_year_covers_it():
    rows = [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]
    assert holidays_check(rows, date(2026, 12, 1)).level == "ok"


def test_the_holiday_table_as_the_store_mirrors_it(store):
    assert holidays_check(store.holiday_table(), date(2026, 12, 1)).level == "fail"
    store.apply_holiday_changes(7, [{"date": "2027-02-11", "kind": "holiday", "name": "春节"}])
    assert holidays_check(store.holiday_table(), date(2026, 12, 1)).level == "ok"


def test_an_outbox_with_nothing_set_aside_passes(store):
    submit(store, 2)
    check = outbox_check(store.outbox.counts(), time.time())
    assert check.level == "ok" and "待上传 2 件" in check.detail


def test_a_quarantined_item_warns(store):
    first, _second = submit(store, 2)
    store.outbox.quarantine(first, "HTTP 422: item MZ0001 has no field x")
    check = outbox_check(store.outbox.counts(), time.time())
    assert check.level == "warn" and "退回 1 件" in check.detail and "HTTP 422" in check.fix


def test_a_submission_waiting_more_than_a_day_warns(store):
    submit(store, 1)
    check = outbox_check(store.outbox.counts(), time.time() + 2 * 86400)
    assert check.level == "warn" and "小时" in check.detail and "kiosk sync now" in check.fix
