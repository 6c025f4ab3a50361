import json
import sqlite3
import time
from datetime import datetime

import pytest

from offline_cache import AlreadyRated, CacheError, NewSubmission, NotEnrolled, Store
from offline_cache.envelope import associated_data, open_sealed
from offline_cache.store import PAYLOAD_SCHEMA
from tests.conftest import HALL_KEYS, enrol, opened_payload

PERSON = {"name": "王秀英", "number": "110105194912310021", "address": "北京市朝阳区幸福路8号"}


def _new(n: int, when=datetime(2026, 11, 23, 10, 0)) -> NewSubmission:
    return NewSubmission(f"id-{n}", "MZ0001", "老年人优待证办理", when, {"applicant": "王**"}, dict(PERSON))


def _enrolled(path) -> Store:
    store = Store(path)
    enrol(store)
    return store


def test_database_is_durable_wal_with_full_sync(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    with store.database.locked() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_each_day_numbers_submissions_from_one_and_survives_reopening(tmp_path):
    path = tmp_path / "kiosk.db"
    store = _enrolled(path)
    first = store.add_submission(_new(1), lambda seq: f"S-{seq}")
    second = store.add_submission(_new(2), lambda seq: f"S-{seq}")
    next_day = store.add_submission(_new(3, datetime(2026, 11, 24, 8, 0)), lambda seq: f"T-{seq}")
    assert (first.serial, second.serial, next_day.serial) == ("S-1", "S-2", "T-1")
    store.close()

    reopened = Store(path)
    assert reopened.find_by_serial("S-2").id == "id-2"
    assert opened_payload(reopened, "id-1") == PERSON
    assert reopened.outbox.counts().pending == 3
    assert reopened.last_serial() == "T-1"


def test_one_rating_per_transaction(tmp_path):
    store = _enrolled(tmp_path / "kiosk.db")
    saved = store.add_submission(_new(1), lambda seq: f"S-{seq}")
    store.add_evaluation(saved.id, 5, datetime(2026, 11, 23, 10, 5))
    with pytest.raises(AlreadyRated):
        store.add_evaluation(saved.id, 1, datetime(2026, 11, 23, 10, 6))
    assert store.evaluation_of(saved.id) == 5


def test_full_disk_gives_a_clear_message_and_keeps_what_was_committed(tmp_path, caplog):
    store = _enrolled(tmp_path / "kiosk.db")
    store.add_submission(_new(0), lambda seq: f"S-{seq}")
    with store.database.locked() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    with pytest.raises(CacheError, match="存储空间已满"):
        for n in range(1, 200):
            store.add_submission(
                NewSubmission(f"id-{n}", "MZ0001", "x" * 2000, datetime(2026, 11, 23), {}, {}), lambda seq: f"S-{seq}"
            )
    assert store.find_by_serial("S-1").id == "id-0"
    with store.database.locked() as db:
        assert store.outbox.counts().pending == db["submissions"].count  # each commit kept its outbox entry
    assert "database or disk is full" in caplog.text  # the technician finds the cause in the log


def test_damaged_database_file_is_reported_and_left_as_it_is(tmp_path):
    path = tmp_path / "kiosk.db"
    damaged = b"this is not a database" * 100
    path.write_bytes(damaged)
    with pytest.raises(CacheError, match="损坏"):
        Store(path)
    assert path.read_bytes() == damaged  # nothing overwritten: a technician may still recover it


def test_a_kiosk_not_yet_enrolled_refuses_to_file_and_says_why(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    with pytest.raises(NotEnrolled, match="尚未登记"):
        store.add_submission(_new(1), lambda seq: f"S-{seq}")
    assert store.last_serial() is None


def test_database_files_hold_no_personal_data_in_clear(tmp_path):
    store = _enrolled(tmp_path / "kiosk.db")
    for n in range(5):
        store.add_submission(_new(n), lambda seq: f"S-{seq}")
    store.add_evaluation("id-0", 4, datetime(2026, 11, 23, 10, 5))
    files = list(tmp_path.glob("kiosk.db*"))
    assert {f.name for f in files} >= {"kiosk.db", "kiosk.db-wal"}
    for file in files:
        data = file.read_bytes()
        for secret in PERSON.values():
            for encoding in ("utf-8", "gb18030", "utf-16-le"):
                assert secret.encode(encoding) not in data, f"{secret} in clear in {file.name}"
    assert opened_payload(store, "id-3") == PERSON  # and yet the hall can read it


def test_a_sealed_body_cannot_be_moved_to_another_submission(tmp_path):
    from offline_cache.envelope import EnvelopeError

    store = _enrolled(tmp_path / "kiosk.db")
    store.add_submission(_new(1), lambda seq: f"S-{seq}")
    envelope = store.outbox.body("id-1")["envelope"]
    with pytest.raises(EnvelopeError):
        open_sealed(envelope, HALL_KEYS.private, associated_data("id-2", PAYLOAD_SCHEMA))


def test_outbox_defers_quarantines_and_acknowledges_leaving_a_tombstone(tmp_path):
    store = _enrolled(tmp_path / "kiosk.db")
    for n in range(3):
        store.add_submission(_new(n), lambda seq: f"S-{seq}")
    outbox = store.outbox
    assert [i.id for i in outbox.due("submission", now=1e12, limit=10)] == ["id-0", "id-1", "id-2"]
    outbox.defer(["id-0"], "hall unreachable", lambda attempts: 60.0 * attempts, now=1e12)
    assert [i.id for i in outbox.due("submission", now=1e12, limit=10)] == ["id-1", "id-2"]
    assert [i.id for i in outbox.due("submission", now=1e12 + 61, limit=10)] == ["id-0", "id-1", "id-2"]
    outbox.quarantine("id-1", "422: serial already used")
    outbox.acknowledge({"id-2": {"case_number": "SL2026000001", "stage": "申请"}}, now=1e12)
    assert [i.id for i in outbox.due("submission", now=1e12 + 61, limit=10)] == ["id-0"]
    assert outbox.sent_before(10) == ["id-0"]
    with store.database.locked() as db:
        tombstone = db["outbox"].get("id-2")
    assert (tombstone["state"], tombstone["body"]) == ("acknowledged", None)
    assert store.find_by_serial("S-3").case_number == "SL2026000001"
    counts = outbox.counts()
    assert (counts.pending, counts.acknowledged, counts.quarantined) == (1, 1, 1)
    assert outbox.release(now=1e12) == 1  # connectivity is back: id-0 is due at once
    assert [i.id for i in outbox.due("submission", now=1e12, limit=10)] == ["id-0"]


def test_only_the_latest_undelivered_heartbeat_is_kept(tmp_path):
    store = _enrolled(tmp_path / "kiosk.db")
    store.outbox.enqueue_heartbeat({"pending": 1}, now=100.0)
    store.outbox.enqueue_heartbeat({"pending": 2}, now=200.0)
    [beat] = store.outbox.due("heartbeat", now=300.0, limit=10)
    assert beat.body == {"pending": 2}
    store.outbox.acknowledge({beat.id: {"ok": True}}, now=300.0)
    assert store.outbox.due("heartbeat", now=300.0, limit=10) == []


def test_ticket_numbers_count_per_category_and_day(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    when = datetime(2026, 11, 23, 9, 0)
    assert [store.issue_ticket("A", False, when).number for _ in range(3)] == [1, 2, 3]
    assert store.issue_ticket("B", False, when).number == 1
    assert store.issue_ticket("A", False, datetime(2026, 11, 24, 9, 0)).number == 1


def test_a_ticket_waits_for_the_hall_in_the_outbox_and_keeps_the_status_the_hall_gives_it(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    when = datetime(2026, 11, 23, 9, 0, 12, 345)
    store.issue_ticket("A", False, when)
    issued = store.issue_ticket("A", True, when, appointment="APT-1")
    assert (issued.number, issued.priority, issued.appointment) == (2, True, "APT-1")
    assert issued.issued_at == when.replace(microsecond=0)
    [first, second] = store.outbox.due("ticket", time.time(), 10)
    assert (first.id, second.id) == ("ticket:2026-11-23/A001", "ticket:2026-11-23/A002")
    assert second.body == {
        "day": "2026-11-23",
        "category": "A",
        "number": 2,
        "priority": True,
        "issued_at": "2026-11-23T09:00:12",
        "appointment": "APT-1",
    }
    store.set_ticket_status("2026-11-23", "A", 1, "called")
    assert [t.number for t in store.waiting_tickets("2026-11-23", "A")] == [2]
    assert store.ticket("2026-11-23", "A", 1).status == "called"
    assert store.ticket("2026-11-23", "A", 9) is None


def test_a_version_1_database_is_migrated_and_keeps_its_tickets(tmp_path):
    path = tmp_path / "kiosk.db"
    Store(path).close()
    conn = sqlite3.connect(path)  # take it back to what the first release wrote
    _back_to_version_2(conn)
    conn.execute("ALTER TABLE tickets DROP COLUMN status")
    conn.execute("INSERT INTO tickets VALUES ('2026-11-23', 'A', 1, 0, '2026-11-23T09:00:00')")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.ticket("2026-11-23", "A", 1).status == "waiting"
    assert store.issue_ticket("A", False, datetime(2026, 11, 23, 9, 5)).number == 2
    assert [t.number for t in store.waiting_tickets("2026-11-23", "A")] == [1, 2]


def _back_to_version_2(conn: sqlite3.Connection) -> None:
    """The tables as version 2 had them: outbox columns on submissions, payloads in clear."""
    later = ("holiday_mirror", "appointment_checkins")  # tables of later versions
    for table in ("outbox", "enrolment", "mirror", "catalog_mirror", "submissions", "evaluations", *later):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE tickets DROP COLUMN appointment")
    conn.execute(
        "CREATE TABLE submissions (id TEXT PRIMARY KEY, serial TEXT NOT NULL, day TEXT NOT NULL,"
        " sequence INTEGER NOT NULL, item_code TEXT NOT NULL, item_name TEXT, created_at TEXT NOT NULL, masked TEXT,"
        " payload TEXT, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
        " next_attempt_at TEXT, last_error TEXT)"
    )
    conn.execute(
        "CREATE TABLE evaluations (submission_id TEXT PRIMARY KEY REFERENCES submissions(id), level INTEGER,"
        " created_at TEXT, state TEXT DEFAULT 'pending')"
    )
    conn.execute("PRAGMA user_version=2")


def test_version_2_payloads_in_clear_are_sealed_at_enrolment_and_erased(tmp_path):
    path = tmp_path / "kiosk.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    _back_to_version_2(conn)
    conn.execute(
        "INSERT INTO submissions (id, serial, day, sequence, item_code, item_name, created_at, masked, payload)"
        " VALUES ('old-1', 'S-1', '2026-11-20', 1, 'MZ0001', '老年人优待证办理', '2026-11-20T09:00:00', '{}', ?)",
        [json.dumps(PERSON, ensure_ascii=False)],
    )
    conn.execute("INSERT INTO evaluations VALUES ('old-1', 5, '2026-11-20T09:05:00', 'pending')")
    conn.commit()
    conn.close()

    store = Store(path)
    assert store.outbox.counts().pending == 1  # still waiting for a hall key, and counted
    assert store.outbox.counts().pending_evaluations == 1
    assert store.find_by_serial("S-1").state == "pending"
    enrol(store)
    assert opened_payload(store, "old-1") == PERSON
    assert store.evaluation_of("old-1") == 5
    store.close()
    for file in tmp_path.glob("kiosk.db*"):
        assert PERSON["number"].encode() not in file.read_bytes(), file.name
