"""The local store: every submission is committed here, durably, before the resident is told it is saved.

SQLite in WAL mode with ``synchronous=FULL``: once :meth:`Store.add_submission` returns, the row survives a
power cut. Rows are ``pending`` until the hall acknowledges them (the sync engine comes with the outbox).

    >>> store = Store(tmp_path / "kiosk.db")
    >>> saved = store.add_submission(new, make_serial=lambda seq: f"HT01-261122-{seq:04d}-X")
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

SCHEMA_VERSION = 2


class CacheError(Exception):
    """The store cannot do what was asked; the message is fit for the person at the screen."""


class AlreadyRated(CacheError):
    """This transaction has been rated already: one rating per transaction."""


@dataclass(frozen=True, slots=True)
class NewSubmission:
    """What the domain hands to the store. ``masked`` is kept in clear (for reprints), ``payload`` is personal."""

    id: str
    item_code: str
    item_name: str
    created_at: datetime
    masked: dict[str, Any]
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredSubmission:
    id: str
    serial: str
    item_code: str
    item_name: str
    created_at: datetime
    state: str
    masked: dict[str, Any] = field(default_factory=dict)


class Store:
    """The kiosk's SQLite database. Safe to share between the UI's worker threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        with _translated_errors():
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db = sqlite_utils.Database(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()

    def close(self) -> None:
        self._db.conn.close()

    def _migrate(self) -> None:
        version = self._db.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CacheError(f"{self.path}: made by a newer kiosk version (schema {version}); update this kiosk")
        if version < 1:
            with self._transaction():
                self._db["submissions"].create(
                    {
                        "id": str,
                        "serial": str,
                        "day": str,
                        "sequence": int,
                        "item_code": str,
                        "item_name": str,
                        "created_at": str,
                        "masked": str,
                        "payload": str,
                        "state": str,
                        "attempts": int,
                        "next_attempt_at": str,
                        "last_error": str,
                    },
                    pk="id",
                    not_null={"serial", "day", "sequence", "item_code", "created_at", "state", "attempts"},
                    defaults={"state": "pending", "attempts": 0},
                )
                self._db["submissions"].create_index(["serial"], unique=True)
                self._db["submissions"].create_index(["day", "sequence"], unique=True)
                self._db["evaluations"].create(
                    {"submission_id": str, "level": int, "created_at": str, "state": str},
                    pk="submission_id",
                    foreign_keys=[("submission_id", "submissions", "id")],
                    defaults={"state": "pending"},
                )
                self._db["tickets"].create(
                    {"day": str, "category": str, "number": int, "priority": int, "issued_at": str},
                    pk=("day", "category", "number"),
                )
                self._db.conn.execute("PRAGMA user_version=1")
        if version < 2:
            with self._transaction():
                # Queue systems track each ticket: waiting, called, serving, done, no-show, cancelled.
                self._db["tickets"].add_column("status", str, not_null_default="waiting")
                self._db.conn.execute("PRAGMA user_version=2")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        conn = self._db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:  # SQLite has already rolled back after some errors, a full disk among them
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def add_submission(self, new: NewSubmission, make_serial: Callable[[int], str]) -> StoredSubmission:
        """Give ``new`` the next sequence number of its day and commit it; return it with its serial number."""
        day = new.created_at.date().isoformat()
        with self._lock, _translated_errors(), self._transaction():
            row = self._db.conn.execute(
                "SELECT COALESCE(MAX(sequence), 0) + 1 FROM submissions WHERE day = ?", [day]
            ).fetchone()
            sequence = row[0]
            serial = make_serial(sequence)
            self._db["submissions"].insert(
                {
                    "id": new.id,
                    "serial": serial,
                    "day": day,
                    "sequence": sequence,
                    "item_code": new.item_code,
                    "item_name": new.item_name,
                    "created_at": new.created_at.isoformat(timespec="seconds"),
                    "masked": json.dumps(new.masked, ensure_ascii=False),
                    "payload": json.dumps(new.payload, ensure_ascii=False),
                    "state": "pending",
                    "attempts": 0,
                }
            )
        return StoredSubmission(
            new.id, serial, new.item_code, new.item_name, new.created_at, "pending", dict(new.masked)
        )

    def issue_ticket(self, category: str, priority: bool, when: datetime) -> tuple[int, int]:
        """The next ticket number of ``category`` today and how many wait ahead of it (a priority ticket waits
        only behind priority tickets), committed before it is shown or printed."""
        day = when.date().isoformat()
        with self._lock, _translated_errors(), self._transaction():
            conn = self._db.conn
            number = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM tickets WHERE day = ? AND category = ?", [day, category]
            ).fetchone()[0]
            ahead = conn.execute(
                "SELECT COUNT(*) FROM tickets WHERE day = ? AND category = ? AND status = 'waiting'"
                + (" AND priority = 1" if priority else ""),
                [day, category],
            ).fetchone()[0]
            self._db["tickets"].insert(
                {
                    "day": day,
                    "category": category,
                    "number": number,
                    "priority": int(priority),
                    "issued_at": when.isoformat(timespec="seconds"),
                    "status": "waiting",
                }
            )
        return number, ahead

    def ticket_position(self, day: str, category: str, number: int) -> tuple[str, int] | None:
        """The status of a ticket and how many waiting tickets are ahead of it, or None if it is not ours."""
        with self._lock, _translated_errors():
            conn = self._db.conn
            row = conn.execute(
                "SELECT status, priority FROM tickets WHERE day = ? AND category = ? AND number = ?",
                [day, category, number],
            ).fetchone()
            if row is None:
                return None
            status, priority = row
            ahead = conn.execute(
                "SELECT COUNT(*) FROM tickets WHERE day = ? AND category = ? AND status = 'waiting'"
                " AND (priority > ? OR (priority = ? AND number < ?))",
                [day, category, priority, priority, number],
            ).fetchone()[0]
        return status, ahead

    def find_by_serial(self, serial: str) -> StoredSubmission | None:
        with self._lock, _translated_errors():
            rows = list(self._db["submissions"].rows_where("serial = ?", [serial], limit=1))
        return _stored(rows[0]) if rows else None

    def last_serial(self) -> str | None:
        """The serial number most recently issued here, if any."""
        with self._lock, _translated_errors():
            row = self._db.conn.execute(
                "SELECT serial FROM submissions ORDER BY created_at DESC, sequence DESC LIMIT 1"
            ).fetchone()
        return row[0] if row else None

    def pending_count(self) -> int:
        with self._lock, _translated_errors():
            return self._db["submissions"].count_where("state = 'pending'")

    def payload(self, submission_id: str) -> dict[str, Any]:
        """The personal data of a submission still on this machine."""
        with self._lock, _translated_errors():
            return json.loads(self._db["submissions"].get(submission_id)["payload"])

    def add_evaluation(self, submission_id: str, level: int, when: datetime) -> None:
        """Record the rating of a transaction; raise :class:`AlreadyRated` for a second one."""
        if not 1 <= level <= 5:
            raise ValueError(f"evaluation level {level} out of range 1-5")
        with self._lock, _translated_errors():
            try:
                with self._transaction():
                    self._db["evaluations"].insert(
                        {"submission_id": submission_id, "level": level, "created_at": when.isoformat()}
                    )
            except sqlite3.IntegrityError:
                raise AlreadyRated("这笔业务已经评价过了，感谢您的反馈") from None

    def evaluation_of(self, submission_id: str) -> int | None:
        with self._lock, _translated_errors():
            rows = list(self._db["evaluations"].rows_where("submission_id = ?", [submission_id]))
        return rows[0]["level"] if rows else None


def _stored(row: dict[str, Any]) -> StoredSubmission:
    return StoredSubmission(
        id=row["id"],
        serial=row["serial"],
        item_code=row["item_code"],
        item_name=row["item_name"],
        created_at=datetime.fromisoformat(row["created_at"]),
        state=row["state"],
        masked=json.loads(row["masked"]),
    )


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Turn SQLite and file-system failures into messages a resident and a technician can act on."""
    try:
        yield
    except CacheError:
        raise
    except sqlite3.IntegrityError:
        raise
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "full" in text:
            raise CacheError("本机存储空间已满，本次申请未能保存。请联系工作人员处理（磁盘已满）。") from exc
        if "locked" in text or "busy" in text:
            raise CacheError("本机数据正忙，请稍后再试。若反复出现请联系工作人员（数据库被锁定）。") from exc
        raise CacheError(f"本机数据保存失败，请联系工作人员（数据库错误：{text}）。") from exc
    except sqlite3.DatabaseError as exc:
        raise CacheError(f"本机数据文件已损坏，请联系工作人员（{exc}）。") from exc
    except OSError as exc:
        if exc.errno == 28:
            raise CacheError("本机存储空间已满，本次申请未能保存。请联系工作人员处理（磁盘已满）。") from exc
        raise CacheError(f"本机数据目录无法使用，请联系工作人员（{exc.strerror}: {exc.filename}）。") from exc
