"""The SQLite hall's file: its schema, the connection and its transactions.

The queries behind :class:`~kiosk.hall.storage.HallStorage` are :mod:`kiosk.hall.sqlite_storage` and the mixins
it is made of, one concern each; this module holds what is about the file itself: the tables, the pragmas, the one
migration, how a read or a write takes the connection, and the counters.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

Connect = Callable[[], AbstractContextManager[sqlite3.Connection]]
"""A read or a write of :class:`SqliteDatabase`, as the storage's mixins know it (``_read``, ``_write``)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS enrolment_codes (
    code TEXT PRIMARY KEY, created_at TEXT NOT NULL, used_at TEXT, used_by TEXT
);
CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, name TEXT NOT NULL, enrolled_at TEXT NOT NULL,
    revoked_at TEXT, last_seen TEXT
);
CREATE INDEX IF NOT EXISTS kiosks_station ON kiosks (station_id);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('kiosk', 'staff')), kiosk_id TEXT,
    created_at TEXT NOT NULL, revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY, serial TEXT NOT NULL UNIQUE, item_code TEXT NOT NULL, created_at TEXT NOT NULL,
    schema_version INTEGER NOT NULL, content_hash TEXT NOT NULL, payload TEXT NOT NULL, answer TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, station_id TEXT NOT NULL, case_number TEXT NOT NULL UNIQUE, stage TEXT NOT NULL,
    received_at TEXT NOT NULL, updated_at TEXT NOT NULL, change_seq INTEGER NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS submissions_station_change ON submissions (station_id, change_seq);
CREATE TABLE IF NOT EXISTS case_history (
    submission_id TEXT NOT NULL, stage TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_history_submission ON case_history (submission_id);
CREATE TABLE IF NOT EXISTS evaluations (
    submission_id TEXT PRIMARY KEY, level INTEGER NOT NULL, created_at TEXT NOT NULL, content_hash TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, received_at TEXT NOT NULL, reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS heartbeats (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kiosk_id TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS heartbeats_kiosk ON heartbeats (kiosk_id, id);
CREATE TABLE IF NOT EXISTS catalog (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, item TEXT, version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_version ON catalog (version);
CREATE TABLE IF NOT EXISTS queue_tickets (
    station_id TEXT NOT NULL, day TEXT NOT NULL, category TEXT NOT NULL, number INTEGER NOT NULL,
    priority INTEGER NOT NULL, issued_at TEXT NOT NULL, appointment TEXT NOT NULL, content_hash TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, received_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'held', 'skipped', 'done')),
    at_window TEXT NOT NULL DEFAULT '', calls INTEGER NOT NULL DEFAULT 0, called_at TEXT, change_seq INTEGER NOT NULL,
    PRIMARY KEY (station_id, day, category, number)
);
CREATE INDEX IF NOT EXISTS queue_tickets_status ON queue_tickets (station_id, day, status);
CREATE TABLE IF NOT EXISTS board_tokens (token_hash TEXT PRIMARY KEY, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS holidays (
    day TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday', 'normal')), name TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS holidays_version ON holidays (version);
CREATE TABLE IF NOT EXISTS materials_on_file (
    holder_key TEXT NOT NULL, material TEXT NOT NULL, reuse TEXT NOT NULL, valid_until TEXT,
    serial TEXT NOT NULL, filed_at TEXT NOT NULL, PRIMARY KEY (holder_key, material)
);
CREATE TABLE IF NOT EXISTS payments (
    submission_id TEXT PRIMARY KEY, cents INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending', 'paid')),
    created_at TEXT NOT NULL, paid_at TEXT
);
CREATE TABLE IF NOT EXISTS mailed_materials (
    submission_id TEXT PRIMARY KEY, materials TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('awaiting', 'received')), created_at TEXT NOT NULL, received_at TEXT
);
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY, item_code TEXT NOT NULL, day TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL,
    holder TEXT NOT NULL, code TEXT NOT NULL, created_at TEXT NOT NULL, checked_in_at TEXT, checked_in_by TEXT
);
"""


class SqliteDatabase:
    """The hall's SQLite file: WAL, ``synchronous=FULL``, one connection behind a lock (the API serves requests
    from a thread pool). Other processes share the file safely: every write is an immediate transaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _owner_only(self.path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")  # what is deleted is overwritten, not left in free pages
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(evaluations)")}
        if "reason" not in columns:  # a hall file made before ratings carried their reason
            self._db.execute("ALTER TABLE evaluations ADD COLUMN reason TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def forget_deleted(self) -> None:
        """Checkpoint and empty the write-ahead log, whose older pages still hold what was deleted."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN")  # one snapshot for the several queries of a view
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")


def _owner_only(path: Path) -> None:
    """The file and its WAL readable by the hall's user alone, whatever the umask: a new one made 0600 (SQLite
    gives its WAL and shared-memory files the database's mode), an existing wider one narrowed, and said."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and stat.S_IMODE(file.stat().st_mode) & 0o077:
            log.warning("hall database file %s was readable by others; made 0600", file)
            file.chmod(0o600)


def next_value(db: sqlite3.Connection, counter: str) -> int:
    """Count ``counter`` up by one (from 1) inside the caller's write, and return its new value."""
    row = db.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        [counter],
    ).fetchone()
    return int(row[0])


def current_value(db: sqlite3.Connection, counter: str) -> int:
    """``counter``'s value, 0 before its first count."""
    row = db.execute("SELECT value FROM counters WHERE name = ?", [counter]).fetchone()
    return int(row[0]) if row else 0
