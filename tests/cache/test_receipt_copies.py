"""How many copies of a submission's receipt may be on paper: reserved before a copy is sent, given back when
nothing of it reached the printer, kept across restarts; a database of the previous version starts at none."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from offline_cache import NewSubmission, Store
from offline_cache.migrations import SCHEMA_VERSION
from tests.conftest import enrol


def _filed(store: Store, n: int) -> str:
    new = NewSubmission(f"id-{n}", "MZ0001", "老年人优待证办理", datetime(2026, 11, 23, 10, n), {}, {"n": n})
    return store.add_submission(new, lambda seq: f"S-{seq}").id


def _copies(store: Store, submission_id: str) -> int:
    with store.database.locked() as db:
        return db.execute("SELECT receipt_copies FROM submissions WHERE id = ?", [submission_id]).fetchone()[0]


def test_copies_are_numbered_from_one_per_submission_and_kept(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    enrol(store)
    first, second = _filed(store, 1), _filed(store, 2)
    assert _copies(store, first) == 0
    assert store.reserve_receipt_copy(first) == 1
    store.release_receipt_copy(first)  # that copy never reached the printer
    assert _copies(store, first) == 0
    assert [store.reserve_receipt_copy(first) for _ in range(2)] == [1, 2]
    assert store.reserve_receipt_copy(second) == 1
    store.close()
    reopened = Store(tmp_path / "kiosk.db")
    assert (_copies(reopened, first), _copies(reopened, second)) == (2, 1)
    assert reopened.reserve_receipt_copy(first) == 3


def test_giving_back_never_counts_below_none(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    enrol(store)
    filed = _filed(store, 1)
    store.release_receipt_copy(filed)
    assert _copies(store, filed) == 0


def test_a_database_of_the_previous_version_counts_no_copies_yet(tmp_path):
    path = tmp_path / "kiosk.db"
    store = Store(path)
    enrol(store)
    filed = _filed(store, 1)
    store.close()
    conn = sqlite3.connect(path)  # as the previous release left it
    conn.execute("ALTER TABLE submissions DROP COLUMN receipt_copies")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()
    store = Store(path)
    with store.database.locked() as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert _copies(store, filed) == 0
    assert store.find_by_serial("S-1").id == filed
    assert store.reserve_receipt_copy(filed) == 1
