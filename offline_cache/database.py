"""The kiosk's SQLite file: one connection, its lock, and failures told as :class:`CacheError`.

WAL mode with ``synchronous=FULL``: once a transaction commits, it survives a power cut. ``secure_delete``
overwrites what is deleted (an acknowledged payload) rather than leaving it in free pages. The connection is shared
by the UI's worker threads and the sync thread; every use holds the lock, and a write is one ``BEGIN IMMEDIATE``
transaction. SQLite and file-system failures become :class:`CacheError` with a message a resident and a
technician can act on; the technical cause goes to the log.

    >>> database = Database(tmp_path / "kiosk.db")
    >>> with database.transaction() as db:
    ...     db["mirror"].upsert({"key": "k", "value": "v"}, pk="key")
    >>> with database.locked() as db:
    ...     db.execute("SELECT value FROM mirror WHERE key = ?", ["k"]).fetchone()
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from config.i18n import _
from offline_cache.errors import CacheError
from offline_cache.files import private_file, private_folder

log = logging.getLogger(__name__)


class Database:
    """The SQLite database at ``path``, opened durable; safe to share between threads through its lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        with translated_errors():
            private_folder(path.parent)  # the kiosk's token and sealed submissions: for this user alone
            private_file(path)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db = sqlite_utils.Database(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")  # deleted payloads are overwritten, not left in free pages

    def close(self) -> None:
        """Fold the write-ahead log into the database file, then close. On a full disk the fold fails and the log
        stays as it is, every commit in it: the next start reads it, and folds it once there is room."""
        with self._lock:
            try:
                self._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.DatabaseError as exc:
                log.warning("local store: the write-ahead log stays unfolded until there is room (%s)", exc)
            self._db.conn.close()

    @contextmanager
    def locked(self) -> Iterator[sqlite_utils.Database]:
        """The database under the lock, errors translated: for reads, and for statements that cannot run in a
        transaction (``VACUUM``)."""
        with self._lock, translated_errors():
            yield self._db

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """The database under the lock, errors translated, in one ``BEGIN IMMEDIATE`` transaction: committed when
        the block ends, rolled back if it raises."""
        with self._lock, translated_errors():
            conn = self._db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if conn.in_transaction:  # SQLite has already rolled back after some errors, a full disk among them
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


def insert(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> None:
    """One plain ``INSERT`` of ``row`` (its values already SQL types): a submission's hot path, where
    sqlite-utils' ``insert`` would first ask SQLite about the table's columns and types."""
    columns = ", ".join(row)
    db.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn SQLite and file-system failures into messages a resident and a technician can act on, and log them
    (the technical cause only: SQLite's error text holds no personal data). An ``IntegrityError`` is left as it is,
    for the caller to say what it means (a second rating, say)."""
    try:
        yield
    except (CacheError, sqlite3.IntegrityError):
        raise
    except (sqlite3.DatabaseError, OSError) as exc:
        message = _message_for(exc)
        log.error("local store: %s (%s: %s)", message, type(exc).__name__, exc)
        raise CacheError(message) from exc


def _message_for(exc: sqlite3.DatabaseError | OSError) -> str:
    disk_full = _("本机存储空间已满，本次操作未能保存，之前保存的申请不受影响。请联系工作人员处理（磁盘已满）。")
    if isinstance(exc, OSError):
        if exc.errno == 28:
            return disk_full
        detail = f"{exc.strerror}: {exc.filename}"
        return _("本机数据目录无法使用，请联系工作人员（{detail}）。", detail=detail)
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        if "full" in text:
            return disk_full
        if "locked" in text or "busy" in text:
            return _("本机数据正忙，请稍后再试。若反复出现请联系工作人员（数据库被锁定）。")
        return _("本机数据保存失败，请联系工作人员（数据库错误：{detail}）。", detail=text)
    return _("本机数据文件已损坏，已停止写入以免丢失数据。请联系工作人员（{detail}）。", detail=text)
