"""The local store: every submission is committed here, durably, before the resident is told it is saved.

SQLite in WAL mode with ``synchronous=FULL``: once :meth:`Store.add_submission` returns, the row survives a
power cut. The applicant's personal data is sealed to the hall's public key in the same transaction
(:mod:`offline_cache.envelope`); only masked facts stay readable here, for reprints. What waits for the hall
lives in the outbox (:mod:`offline_cache.outbox`).

    >>> store = Store(tmp_path / "kiosk.db")
    >>> store.enrol(Enrolment(url, kiosk_id, station_id, token, hall_public_key, enrolled_at))
    >>> saved = store.add_submission(new, make_serial=lambda seq: f"HT01-261122-{seq:04d}-X")
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from config.i18n import _
from offline_cache.envelope import EnvelopeError, associated_data, public_key_from_text, seal
from offline_cache.outbox import Outbox, outbox_row

SCHEMA_VERSION = 4
log = logging.getLogger(__name__)

PAYLOAD_SCHEMA = 1  # the version of the sealed payload's layout, bound to the envelope as associated data


class CacheError(Exception):
    """The store cannot do what was asked; the message is fit for the person at the screen."""


class AlreadyRated(CacheError):
    """This transaction has been rated already: one rating per transaction."""


class NotEnrolled(CacheError):
    """The kiosk has no hall key yet, so it cannot seal a submission."""


@dataclass(frozen=True, slots=True)
class NewSubmission:
    """What the domain hands to the store. ``masked`` is kept in clear (for reprints), ``payload`` is sealed."""

    id: str
    item_code: str
    item_name: str
    created_at: datetime
    masked: dict[str, Any]
    payload: dict[str, Any]
    stage: str = ""  # the case's stage as filed: 申请, or the last one for an instant grant
    applicant_key: str = ""  # a slow keyed hash of the applicant's number, to find a repeat (see Store.open_case)


@dataclass(frozen=True, slots=True)
class StoredSubmission:
    """A submission as this kiosk knows it: masked facts, its outbox state and, once the hall has it, its case."""

    id: str
    serial: str
    item_code: str
    item_name: str
    created_at: datetime
    state: str
    masked: dict[str, Any] = field(default_factory=dict)
    case_number: str = ""
    stage: str = ""
    stage_at: datetime | None = None  # when this kiosk last knew the stage to be so


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What enrolment with a hall gave this kiosk. The token lets it push; it can read nothing back."""

    url: str
    kiosk_id: str
    station_id: str
    token: str
    hall_public_key: str
    enrolled_at: str


class Store:
    """The kiosk's SQLite database. Safe to share between the UI's worker threads and the sync thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        with _translated_errors():
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db = sqlite_utils.Database(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")  # deleted payloads are overwritten, not left in free pages
            self._migrate()
        self.outbox = Outbox(self)

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
        if version < 3:
            with self._transaction():
                self._migrate_to_outbox()
                self._db.conn.execute("PRAGMA user_version=3")
        if version < 4:
            with self._transaction():
                submissions = self._db["submissions"]
                submissions.add_column("applicant_key", str, not_null_default="")
                submissions.add_column("stage_at", str, not_null_default="")
                submissions.create_index(["applicant_key", "item_code"])
                self._db["evaluations"].add_column("reason", str, not_null_default="")
                self._db.conn.execute("PRAGMA user_version=4")

    def _migrate_to_outbox(self) -> None:
        """Version 3: one outbox for everything that waits for the hall, the hall's enrolment, the mirrors.

        Submissions of version 2 kept their payload in clear; it stays in ``payload`` only until the kiosk
        knows the hall's key, then :meth:`_seal_clear_payloads` seals it into the outbox and erases it.
        """
        db = self._db
        db["outbox"].create(
            {
                "id": str,
                "kind": str,  # submission, evaluation, heartbeat
                "body": str,  # what the hall is sent; NULL once acknowledged (the tombstone remains)
                "state": str,  # pending, acknowledged, quarantined: no "sending" state, a crash only resends
                "attempts": int,
                "next_attempt_at": float,  # Unix time; due when <= now
                "last_error": str,
                "created_at": float,
                "acknowledged_at": float,
                "answer": str,  # the hall's answer, JSON
            },
            pk="id",
            not_null={"kind", "state", "attempts", "next_attempt_at", "created_at"},
            defaults={"state": "pending", "attempts": 0, "last_error": ""},
        )
        db["outbox"].create_index(["state", "kind", "next_attempt_at"])
        db["submissions"].transform(drop={"state", "attempts", "next_attempt_at", "last_error"})
        db["submissions"].add_column("case_number", str, not_null_default="")
        db["submissions"].add_column("stage", str, not_null_default="")
        evaluations = list(db["evaluations"].rows)
        db["evaluations"].transform(drop={"state"})
        now = time.time()
        for row in evaluations:
            db["outbox"].insert(_evaluation_row(row["submission_id"], row["level"], row["created_at"], now))
        db["enrolment"].create(
            {
                "one": int,
                "url": str,
                "kiosk_id": str,
                "station_id": str,
                "token": str,
                "hall_public_key": str,
                "enrolled_at": str,
            },
            pk="one",
        )
        db["mirror"].create({"key": str, "value": str}, pk="key")  # cursors of the pulls
        db["catalog_mirror"].create({"code": str, "item": str, "version": int}, pk="code")

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

    @contextmanager
    def _locked(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection under the lock with errors translated; in one transaction when ``write``."""
        with self._lock, _translated_errors():
            if write:
                with self._transaction():
                    yield self._db.conn
            else:
                yield self._db.conn

    # Enrolment

    def enrolment(self) -> Enrolment | None:
        with self._locked() as conn:
            row = conn.execute(
                "SELECT url, kiosk_id, station_id, token, hall_public_key, enrolled_at FROM enrolment"
            ).fetchone()
        return Enrolment(*row) if row else None

    def enrol(self, enrolment: Enrolment) -> int:
        """Keep the hall's address, key and this kiosk's token; seal any payload still in clear with the key.

        Returns how many such payloads were sealed."""
        try:
            public_key_from_text(enrolment.hall_public_key)
        except (EnvelopeError, ValueError) as exc:
            raise CacheError(f"大厅公钥无效，登记未完成（{exc}）") from None
        with self._locked(write=True) as conn:
            conn.execute("DELETE FROM enrolment")
            self._db["enrolment"].insert({"one": 1, **asdict(enrolment)})
            sealed = self._seal_clear_payloads(enrolment.hall_public_key)
        if sealed:
            self.purge_freed_pages()
        return sealed

    def _seal_clear_payloads(self, hall_public_key: str) -> int:
        rows = list(self._db["submissions"].rows_where("payload IS NOT NULL"))
        for row in rows:
            body = _submission_body(row, json.loads(row["payload"]), hall_public_key)
            self._db["outbox"].insert(outbox_row(row["id"], "submission", body, time.time()), replace=True)
            self._db.conn.execute("UPDATE submissions SET payload = NULL WHERE id = ?", [row["id"]])
        return len(rows)

    def purge_freed_pages(self) -> None:
        """Rewrite the database so no erased data lingers in free pages or in the write-ahead log."""
        with self._locked() as conn:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # Submissions

    def add_submission(self, new: NewSubmission, make_serial: Callable[[int], str]) -> StoredSubmission:
        """Give ``new`` the next sequence number of its day, seal its payload and commit it with its outbox
        entry; return it with its serial number. Raises :class:`NotEnrolled` before enrolment."""
        enrolment = self.enrolment()
        if enrolment is None:
            raise NotEnrolled(
                _("本机尚未登记到政务服务大厅，暂时不能提交申请。请联系工作人员（技术员：kiosk enroll）。")
            )
        day = new.created_at.date().isoformat()
        with self._locked(write=True) as conn:
            sequence = conn.execute(
                "SELECT COALESCE(MAX(sequence), 0) + 1 FROM submissions WHERE day = ?", [day]
            ).fetchone()[0]
            row = {
                "id": new.id,
                "serial": make_serial(sequence),
                "day": day,
                "sequence": sequence,
                "item_code": new.item_code,
                "item_name": new.item_name,
                "created_at": new.created_at.isoformat(timespec="seconds"),
                "masked": json.dumps(new.masked, ensure_ascii=False),
                "stage": new.stage,
                "stage_at": new.created_at.isoformat(timespec="seconds"),
                "applicant_key": new.applicant_key,
            }
            self._db["submissions"].insert(row)
            body = _submission_body(row, new.payload, enrolment.hall_public_key)
            self._db["outbox"].insert(outbox_row(new.id, "submission", body, time.time()))
        return StoredSubmission(
            new.id,
            row["serial"],
            new.item_code,
            new.item_name,
            new.created_at,
            "pending",
            dict(new.masked),
            stage=new.stage,
            stage_at=new.created_at,
        )

    def find_by_serial(self, serial: str) -> StoredSubmission | None:
        with self._locked() as conn:
            rows = conn.execute(_SUBMISSION_QUERY + " WHERE s.serial = ?", [serial]).fetchall()
        return _stored(rows[0]) if rows else None

    def submissions_on(self, day: str) -> list[StoredSubmission]:
        """What this kiosk filed on ``day`` (ISO date), newest first: masked facts and upload state only."""
        with self._locked() as conn:
            rows = conn.execute(_SUBMISSION_QUERY + " WHERE s.day = ? ORDER BY s.sequence DESC", [day]).fetchall()
        return [_stored(row) for row in rows]

    def last_serial(self) -> str | None:
        """The serial number most recently issued here, if any."""
        with self._locked() as conn:
            row = conn.execute(
                "SELECT serial FROM submissions ORDER BY created_at DESC, sequence DESC LIMIT 1"
            ).fetchone()
        return row[0] if row else None

    def open_case(self, applicant_key: str, item_code: str, last_stage: str) -> StoredSubmission | None:
        """The newest submission of ``item_code`` by this applicant that is still open (short of
        ``last_stage``) or was granted at once, or None."""
        with self._locked() as conn:
            rows = conn.execute(
                _SUBMISSION_QUERY + " WHERE s.applicant_key = ? AND s.item_code = ?"
                " AND (s.stage != ? OR json_extract(s.masked, '$.instant_granted'))"
                " ORDER BY s.created_at DESC, s.sequence DESC LIMIT 1",
                [applicant_key, item_code, last_stage],
            ).fetchall()
        return _stored(rows[0]) if rows else None

    def local_secret(self, name: str) -> bytes:
        """A random secret of this kiosk's, made on first use and kept in its database."""
        with self._locked(write=True) as conn:
            row = conn.execute("SELECT value FROM mirror WHERE key = ?", [f"secret:{name}"]).fetchone()
            if row is None:
                row = (secrets.token_hex(16),)
                conn.execute("INSERT INTO mirror (key, value) VALUES (?, ?)", [f"secret:{name}", row[0]])
        return bytes.fromhex(row[0])

    def update_cases(self, cases: list[dict[str, Any]], when: datetime) -> int:
        """Mirror the hall's case number and stage of submissions filed here, as known at ``when``; returns how
        many changed."""
        changed = 0
        at = when.isoformat(timespec="seconds")
        with self._locked(write=True) as conn:
            for case in cases:
                changed += conn.execute(
                    "UPDATE submissions SET case_number = ?, stage = ?, stage_at = ? WHERE serial = ? "
                    "AND (case_number != ? OR stage != ?)",
                    [case["case_number"], case["stage"], at, case["serial"], case["case_number"], case["stage"]],
                ).rowcount
        return changed

    # Evaluations

    def add_evaluation(self, submission_id: str, level: int, when: datetime, reason: str = "") -> None:
        """Record the rating of a transaction (with the reason given for a bad one), for the hall too; raise
        :class:`AlreadyRated` for a second one."""
        if not 1 <= level <= 5:
            raise ValueError(f"evaluation level {level} out of range 1-5")
        created_at = when.isoformat(timespec="seconds")
        try:
            with self._locked(write=True):
                self._db["evaluations"].insert(
                    {"submission_id": submission_id, "level": level, "created_at": created_at, "reason": reason}
                )
                self._db["outbox"].insert(_evaluation_row(submission_id, level, created_at, time.time(), reason))
        except sqlite3.IntegrityError:
            raise AlreadyRated(_("这笔业务已经评价过了，感谢您的反馈")) from None

    def evaluation_of(self, submission_id: str) -> int | None:
        with self._locked() as conn:
            row = conn.execute("SELECT level FROM evaluations WHERE submission_id = ?", [submission_id]).fetchone()
        return row[0] if row else None

    # Queue tickets

    def issue_ticket(self, category: str, priority: bool, when: datetime) -> tuple[int, int]:
        """The next ticket number of ``category`` today and how many wait ahead of it (a priority ticket waits
        only behind priority tickets), committed before it is shown or printed."""
        day = when.date().isoformat()
        with self._locked(write=True) as conn:
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
        with self._locked() as conn:
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

    # Mirrors of the hall: pull cursors and catalog changes

    def mirror_value(self, key: str, default: str = "") -> str:
        with self._locked() as conn:
            row = conn.execute("SELECT value FROM mirror WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_mirror_value(self, key: str, value: str) -> None:
        with self._locked(write=True):
            self._db["mirror"].upsert({"key": key, "value": value}, pk="key")

    def apply_catalog_changes(self, version: int, items: list[dict[str, Any]], removed: list[str]) -> None:
        """Keep the hall's catalog changes up to ``version``: changed items, and removed codes (item NULL)."""
        with self._locked(write=True):
            rows = [{"code": i["code"], "item": json.dumps(i, ensure_ascii=False), "version": version} for i in items]
            rows += [{"code": code, "item": None, "version": version} for code in removed]
            self._db["catalog_mirror"].upsert_all(rows, pk="code")
            self._db["mirror"].upsert({"key": "catalog_version", "value": str(version)}, pk="key")

    def catalog_changes(self) -> dict[str, dict[str, Any] | None]:
        """The hall's changes to the shipped catalog by code: the item, or None where the hall removed it."""
        with self._locked() as conn:
            rows = conn.execute("SELECT code, item FROM catalog_mirror").fetchall()
        return {code: json.loads(item) if item else None for code, item in rows}


_SUBMISSION_QUERY = (
    "SELECT s.id, s.serial, s.item_code, s.item_name, s.created_at, COALESCE(o.state, 'pending'), s.masked,"
    " s.case_number, s.stage, s.stage_at FROM submissions s LEFT JOIN outbox o ON o.id = s.id"
)


def _submission_body(row: dict[str, Any], payload: dict[str, Any], hall_public_key: str) -> dict[str, Any]:
    """What the hall is sent: the serial and item in clear, the applicant's data sealed to the hall."""
    plaintext = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return {
        "id": row["id"],
        "serial": row["serial"],
        "item_code": row["item_code"],
        "created_at": row["created_at"],
        "schema_version": PAYLOAD_SCHEMA,
        "envelope": seal(plaintext, hall_public_key, associated_data(row["id"], PAYLOAD_SCHEMA)),
    }


def _evaluation_row(submission_id: str, level: int, created_at: str, now: float, reason: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"submission_id": submission_id, "level": level, "created_at": created_at}
    if reason:
        body["reason"] = reason
    return outbox_row(f"evaluation:{submission_id}", "evaluation", body, now)


def _stored(row: tuple) -> StoredSubmission:
    id_, serial, item_code, item_name, created_at, state, masked, case_number, stage, stage_at = row
    return StoredSubmission(
        id_,
        serial,
        item_code,
        item_name,
        datetime.fromisoformat(created_at),
        state,
        json.loads(masked),
        case_number,
        stage,
        datetime.fromisoformat(stage_at) if stage_at else None,
    )


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Turn SQLite and file-system failures into messages a resident and a technician can act on, and log them
    (the technical cause only: SQLite's error text holds no personal data)."""
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
