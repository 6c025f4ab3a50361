"""The SQLite hall's file: its schema, the connection and its transactions.

The queries behind :class:`~kiosk.hall.storage.HallStorage` are :mod:`kiosk.hall.sqlite_storage` and the mixins
it is made of, one concern each; this module holds what is about the file itself: its mode, the pragmas, the
schema version of a file made before versions were recorded, how a read or a write takes the connection, and the
counters. The tables and their migrations are :mod:`kiosk.hall.schema`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from kiosk.hall.schema import SCHEMA, RowConflict, migrate, statements
from offline_cache.files import private_file

log = logging.getLogger(__name__)

Connect = Callable[[], AbstractContextManager[sqlite3.Connection]]
"""A read or a write of :class:`SqliteDatabase`, as the storage's mixins know it (``_read``, ``_write``)."""


class SqliteDatabase:
    """The hall's SQLite file: WAL, ``synchronous=FULL``, one connection behind a lock (the API serves requests
    from a thread pool). Other processes share the file safely: every write is an immediate transaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        private_file(self.path)  # the hall's cases: its user's alone, the WAL and shared memory too
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")  # what is deleted is overwritten, not left in free pages
        with self.write() as db:
            migrate(db, "sqlite", _version_before_migrations(db))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def forget_deleted(self) -> None:
        """Checkpoint and empty the write-ahead log, whose older pages still hold what was deleted."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction; inside another write of this thread, a savepoint of it (a batch is one
        commit, and one item's conflict undoes that item alone)."""
        with self._lock:
            nested = self._db.in_transaction
            self._db.execute("SAVEPOINT item" if nested else "BEGIN IMMEDIATE")
            try:
                yield self._db
            except sqlite3.IntegrityError as exc:
                self._undo(nested)
                raise RowConflict(str(exc)) from exc
            except BaseException:
                self._undo(nested)
                raise
            self._db.execute("RELEASE item" if nested else "COMMIT")

    def _undo(self, nested: bool) -> None:
        if nested:
            self._db.execute("ROLLBACK TO item")
            self._db.execute("RELEASE item")
        else:
            self._db.execute("ROLLBACK")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One snapshot for the several queries of a view; inside a write of this thread, what it has written."""
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")


def _version_before_migrations(db: sqlite3.Connection) -> int:
    """The schema version of a file made before versions were recorded: 0 for a new file; 1 for an old one,
    once it has what version 1 has (its missing tables made, ratings' ``reason`` added: the one change before)."""
    versioned = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone()
    if versioned or db.execute("SELECT 1 FROM sqlite_master WHERE name = 'submissions'").fetchone() is None:
        return 0
    for statement in statements(SCHEMA, "sqlite"):
        db.execute(statement)
    if "reason" not in {row[1] for row in db.execute("PRAGMA table_info(evaluations)")}:
        db.execute("ALTER TABLE evaluations ADD COLUMN reason TEXT NOT NULL DEFAULT ''")
    return 1


def next_value(db: sqlite3.Connection, counter: str, count: int = 1) -> int:
    """Count ``counter`` up by ``count`` (from 1) inside the caller's write, and return the first of the values
    counted (the only one when ``count`` is 1)."""
    row = db.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value RETURNING value",
        [counter, count],
    ).fetchone()
    return int(row[0]) - count + 1


def current_value(db: sqlite3.Connection, counter: str) -> int:
    """``counter``'s value, 0 before its first count."""
    row = db.execute("SELECT value FROM counters WHERE name = ?", [counter]).fetchone()
    return int(row[0]) if row else 0
