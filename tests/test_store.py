from datetime import datetime

import pytest

from offline_cache import AlreadyRated, CacheError, NewSubmission, Store


def _new(n: int, when=datetime(2026, 11, 23, 10, 0)) -> NewSubmission:
    return NewSubmission(f"id-{n}", "MZ0001", "老年人优待证办理", when, {"applicant": "王**"}, {"name": "王秀英"})


def test_database_is_durable_wal_with_full_sync(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    conn = store._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_each_day_numbers_submissions_from_one_and_survives_reopening(tmp_path):
    path = tmp_path / "kiosk.db"
    store = Store(path)
    first = store.add_submission(_new(1), lambda seq: f"S-{seq}")
    second = store.add_submission(_new(2), lambda seq: f"S-{seq}")
    next_day = store.add_submission(_new(3, datetime(2026, 11, 24, 8, 0)), lambda seq: f"T-{seq}")
    assert (first.serial, second.serial, next_day.serial) == ("S-1", "S-2", "T-1")
    store.close()

    reopened = Store(path)
    assert reopened.find_by_serial("S-2").id == "id-2"
    assert reopened.payload("id-1") == {"name": "王秀英"}
    assert reopened.pending_count() == 3
    assert reopened.last_serial() == "T-1"


def test_one_rating_per_transaction(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    saved = store.add_submission(_new(1), lambda seq: f"S-{seq}")
    store.add_evaluation(saved.id, 5, datetime(2026, 11, 23, 10, 5))
    with pytest.raises(AlreadyRated):
        store.add_evaluation(saved.id, 1, datetime(2026, 11, 23, 10, 6))
    assert store.evaluation_of(saved.id) == 5


def test_full_disk_gives_a_clear_message_and_keeps_what_was_committed(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    store.add_submission(_new(0), lambda seq: f"S-{seq}")
    pages = store._db.conn.execute("PRAGMA page_count").fetchone()[0]
    store._db.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    with pytest.raises(CacheError, match="存储空间已满"):
        for n in range(1, 200):
            store.add_submission(
                NewSubmission(f"id-{n}", "MZ0001", "x" * 2000, datetime(2026, 11, 23), {}, {}), lambda seq: f"S-{seq}"
            )
    assert store.find_by_serial("S-1").id == "id-0"


def test_damaged_database_file_is_reported(tmp_path):
    path = tmp_path / "kiosk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError, match="损坏"):
        Store(path)


def test_ticket_numbers_count_per_category_and_day(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    when = datetime(2026, 11, 23, 9, 0)
    assert [store.issue_ticket("A", False, when) for _ in range(3)] == [(1, 0), (2, 1), (3, 2)]
    assert store.issue_ticket("B", False, when) == (1, 0)
    assert store.issue_ticket("A", False, datetime(2026, 11, 24, 9, 0)) == (1, 0)


def test_priority_tickets_wait_only_behind_priority_tickets(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    when = datetime(2026, 11, 23, 9, 0)
    store.issue_ticket("A", False, when)
    store.issue_ticket("A", False, when)
    assert store.issue_ticket("A", True, when) == (3, 0)
    assert store.issue_ticket("A", False, when) == (4, 3)
    assert store.ticket_position("2026-11-23", "A", 1) == ("waiting", 1)  # the priority ticket goes first
    assert store.ticket_position("2026-11-23", "A", 4) == ("waiting", 3)
    assert store.ticket_position("2026-11-23", "A", 9) is None


def test_a_version_1_database_is_migrated_and_keeps_its_tickets(tmp_path):
    import sqlite3

    path = tmp_path / "kiosk.db"
    Store(path).close()
    conn = sqlite3.connect(path)  # take it back to what the first release wrote
    conn.execute("ALTER TABLE tickets DROP COLUMN status")
    conn.execute("INSERT INTO tickets VALUES ('2026-11-23', 'A', 1, 0, '2026-11-23T09:00:00')")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.ticket_position("2026-11-23", "A", 1) == ("waiting", 0)
    assert store.issue_ticket("A", False, datetime(2026, 11, 23, 9, 5)) == (2, 1)
