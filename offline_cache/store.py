"""The local store: every submission is committed here, durably, before the resident is told it is saved.

SQLite in WAL mode with ``synchronous=FULL``: once :meth:`Store.add_submission` returns, the row survives a
power cut. The applicant's personal data is sealed to the hall's public key in the same transaction
(:mod:`offline_cache.envelope`); only masked facts stay readable here, for reprints. What waits for the hall
lives in the outbox (:mod:`offline_cache.outbox`), on the same database (:mod:`offline_cache.database`), whose
schema :mod:`offline_cache.migrations` keeps.

    >>> store = Store(tmp_path / "kiosk.db")
    >>> store.enrol(Enrolment(url, kiosk_id, station_id, token, hall_public_key, enrolled_at))
    >>> saved = store.add_submission(new, make_serial=lambda seq: f"HT01-261122-{seq:04d}-X")
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from config.i18n import _
from offline_cache.database import Database, insert
from offline_cache.envelope import associated_data, public_key_from_text, seal
from offline_cache.errors import AlreadyRated, CacheError, EnvelopeError, NotEnrolled
from offline_cache.migrations import migrate
from offline_cache.outbox import Outbox, evaluation_row, outbox_row
from offline_cache.tickets import StoredTicket, Tickets

PAYLOAD_SCHEMA = 1  # the version of the sealed payload's layout, bound to the envelope as associated data


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
    payment_state: str = ""  # pending (待缴费) or paid (已缴费), as the hall last said; empty: no payment order
    materials_state: str = ""  # awaiting (材料寄送中) or received, for materials the applicant posts


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What enrolment with a hall gave this kiosk. The token lets it push; it can read nothing back."""

    url: str
    kiosk_id: str
    station_id: str
    token: str
    hall_public_key: str
    enrolled_at: str
    hall_signing_key: str = ""
    """The hall's Ed25519 key for appointment codes; empty for a kiosk enrolled before halls signed them."""
    hall_certificate_sha256: str = ""
    """The fingerprint of the TLS certificate the hall answered the enrolment with (``AB:CD:…``); the hall must
    present the same one ever after. Empty for a plain-http hall, or a kiosk enrolled before kiosks pinned it."""


class Store:
    """The kiosk's SQLite database. Safe to share between the UI's worker threads and the sync thread.

    ``database`` is the connection under its lock, for what the store has no method for (a technician's query,
    a test's setup); ``outbox`` is what waits for the hall, on the same database; queue tickets are
    :class:`~offline_cache.tickets.Tickets` on it too, behind the store's ticket methods."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.database = Database(path)
        migrate(self.database)
        self.outbox = Outbox(self.database)
        self._tickets = Tickets(self.database)

    def close(self) -> None:
        self.database.close()

    # Enrolment

    def enrolment(self) -> Enrolment | None:
        with self.database.locked() as db:
            row = db.execute(
                "SELECT url, kiosk_id, station_id, token, hall_public_key, enrolled_at, hall_signing_key,"
                " hall_certificate_sha256 FROM enrolment"
            ).fetchone()
        return Enrolment(*row) if row else None

    def enrol(self, enrolment: Enrolment) -> int:
        """Keep the hall's address, key and this kiosk's token; seal any payload still in clear with the key.

        Returns how many such payloads were sealed."""
        try:
            public_key_from_text(enrolment.hall_public_key)
        except (EnvelopeError, ValueError) as exc:
            raise CacheError(f"大厅公钥无效，登记未完成（{exc}）") from None
        with self.database.transaction() as db:
            db.execute("DELETE FROM enrolment")
            db["enrolment"].insert({"one": 1, **asdict(enrolment)})
            sealed = _seal_clear_payloads(db, enrolment.hall_public_key)
        if sealed:
            self.purge_freed_pages()
        return sealed

    def purge_freed_pages(self) -> None:
        """Rewrite the database so no erased data lingers in free pages or in the write-ahead log."""
        with self.database.locked() as db:
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
        with self.database.transaction() as db:
            sequence = db.execute(
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
            insert(db, "submissions", row)
            body = _submission_body(row, new.payload, enrolment.hall_public_key)
            insert(db, "outbox", outbox_row(new.id, "submission", body, time.time()))
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

    def reserve_receipt_copy(self, submission_id: str) -> int:
        """Count a copy of the submission's receipt as on paper before it is sent, and return its number (1 for
        the first): committed first, like the submission, so a crash or a full disk after the paper came out
        can only make the next copy say 补打 once too often, never leave two unmarked."""
        with self.database.transaction() as db:
            rows = db.execute(
                "UPDATE submissions SET receipt_copies = receipt_copies + 1 WHERE id = ? RETURNING receipt_copies",
                [submission_id],
            ).fetchall()
        return rows[0][0] if rows else 1

    def release_receipt_copy(self, submission_id: str) -> None:
        """Take back a reserved copy that never reached the printer (nothing of it is on paper)."""
        with self.database.transaction() as db:
            db.execute(
                "UPDATE submissions SET receipt_copies = receipt_copies - 1 WHERE id = ? AND receipt_copies > 0",
                [submission_id],
            )

    def find_by_serial(self, serial: str) -> StoredSubmission | None:
        with self.database.locked() as db:
            rows = db.execute(_SUBMISSION_QUERY + " WHERE s.serial = ?", [serial]).fetchall()
        return _stored(rows[0]) if rows else None

    def submissions_on(self, day: str) -> list[StoredSubmission]:
        """What this kiosk filed on ``day`` (ISO date), newest first: masked facts and upload state only."""
        with self.database.locked() as db:
            rows = db.execute(_SUBMISSION_QUERY + " WHERE s.day = ? ORDER BY s.sequence DESC", [day]).fetchall()
        return [_stored(row) for row in rows]

    def last_serial(self) -> str | None:
        """The serial number most recently issued here, if any."""
        with self.database.locked() as db:
            row = db.execute(
                "SELECT serial FROM submissions ORDER BY created_at DESC, sequence DESC LIMIT 1"
            ).fetchone()
        return row[0] if row else None

    def open_case(self, applicant_key: str, item_code: str, last_stage: str) -> StoredSubmission | None:
        """The newest submission of ``item_code`` by this applicant that is still open (short of
        ``last_stage``) or was granted at once, or None."""
        with self.database.locked() as db:
            rows = db.execute(
                _SUBMISSION_QUERY + " WHERE s.applicant_key = ? AND s.item_code = ?"
                " AND (s.stage != ? OR json_extract(s.masked, '$.instant_granted'))"
                " ORDER BY s.created_at DESC, s.sequence DESC LIMIT 1",
                [applicant_key, item_code, last_stage],
            ).fetchall()
        return _stored(rows[0]) if rows else None

    def local_secret(self, name: str) -> bytes:
        """A random secret of this kiosk's, made on first use and kept in its database."""
        with self.database.transaction() as db:
            row = db.execute("SELECT value FROM mirror WHERE key = ?", [f"secret:{name}"]).fetchone()
            if row is None:
                row = (secrets.token_hex(16),)
                db.execute("INSERT INTO mirror (key, value) VALUES (?, ?)", [f"secret:{name}", row[0]])
        return bytes.fromhex(row[0])

    def update_cases(self, cases: list[dict[str, Any]], when: datetime) -> int:
        """Mirror the hall's case number and stage of submissions filed here, as known at ``when``; returns how
        many changed."""
        changed = 0
        at = when.isoformat(timespec="seconds")
        with self.database.transaction() as db:
            for case in cases:
                known = [
                    case["case_number"],
                    case["stage"],
                    case.get("payment_state", ""),
                    case.get("materials_state", ""),
                ]
                changed += db.execute(
                    "UPDATE submissions SET case_number = ?, stage = ?, payment_state = ?, materials_state = ?,"
                    " stage_at = ? WHERE serial = ?"
                    " AND (case_number != ? OR stage != ? OR payment_state != ? OR materials_state != ?)",
                    [*known, at, case["serial"], *known],
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
            with self.database.transaction() as db:
                db["evaluations"].insert(
                    {"submission_id": submission_id, "level": level, "created_at": created_at, "reason": reason}
                )
                db["outbox"].insert(evaluation_row(submission_id, level, created_at, time.time(), reason))
        except sqlite3.IntegrityError:
            raise AlreadyRated(_("这笔业务已经评价过了，感谢您的反馈")) from None

    def check_in(self, appointment_id: str, item_code: str, when: datetime) -> datetime | None:
        """Record that an appointment checked in here, for the hall too. Returns when it checked in before (the
        code is used: nothing is recorded), or None when this is its check-in."""
        at = when.isoformat(timespec="seconds")
        try:
            with self.database.transaction() as db:
                db["appointment_checkins"].insert(
                    {"appointment_id": appointment_id, "item_code": item_code, "checked_in_at": at, "ticket": ""}
                )
                body = {"appointment_id": appointment_id, "at": at}
                db["outbox"].insert(outbox_row(f"checkin:{appointment_id}", "checkin", body, time.time()))
        except sqlite3.IntegrityError:
            with self.database.locked() as db:
                row = db.execute(
                    "SELECT checked_in_at FROM appointment_checkins WHERE appointment_id = ?", [appointment_id]
                ).fetchone()
            return datetime.fromisoformat(row[0])
        return None

    def evaluation_of(self, submission_id: str) -> int | None:
        with self.database.locked() as db:
            row = db.execute("SELECT level FROM evaluations WHERE submission_id = ?", [submission_id]).fetchone()
        return row[0] if row else None

    # Queue tickets: see offline_cache.tickets

    def issue_ticket(self, category: str, priority: bool, when: datetime, appointment: str = "") -> StoredTicket:
        return self._tickets.issue(category, priority, when, appointment)

    def ticket(self, day: str, category: str, number: int) -> StoredTicket | None:
        return self._tickets.find(day, category, number)

    def waiting_tickets(self, day: str, category: str) -> list[StoredTicket]:
        return self._tickets.waiting(day, category)

    def set_ticket_status(self, day: str, category: str, number: int, status: str) -> None:
        self._tickets.set_status(day, category, number, status)

    # Mirrors of the hall: pull cursors, catalog changes, the holiday table

    def mirror_value(self, key: str, default: str = "") -> str:
        with self.database.locked() as db:
            row = db.execute("SELECT value FROM mirror WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_mirror_value(self, key: str, value: str) -> None:
        with self.database.transaction() as db:
            db["mirror"].upsert({"key": key, "value": value}, pk="key")

    def apply_catalog_changes(self, version: int, items: list[dict[str, Any]], removed: list[str]) -> None:
        """Keep the hall's catalog changes up to ``version``: changed items, and removed codes (item NULL)."""
        with self.database.transaction() as db:
            rows = [{"code": i["code"], "item": json.dumps(i, ensure_ascii=False), "version": version} for i in items]
            rows += [{"code": code, "item": None, "version": version} for code in removed]
            db["catalog_mirror"].upsert_all(rows, pk="code")
            db["mirror"].upsert({"key": "catalog_version", "value": str(version)}, pk="key")

    def catalog_changes(self) -> dict[str, dict[str, Any] | None]:
        """The hall's changes to the shipped catalog by code: the item, or None where the hall removed it."""
        with self.database.locked() as db:
            rows = db.execute("SELECT code, item FROM catalog_mirror").fetchall()
        return {code: json.loads(item) if item else None for code, item in rows}

    def apply_holiday_changes(self, version: int, days: list[dict[str, str]]) -> None:
        """Keep the hall's holiday table changes up to ``version``: ``{"date", "kind", "name"}`` per day."""
        with self.database.transaction() as db:
            rows = [{"day": d["date"], "kind": d["kind"], "name": d["name"], "version": version} for d in days]
            if rows:
                db["holiday_mirror"].upsert_all(rows, pk="day")
            db["mirror"].upsert({"key": "holidays_version", "value": str(version)}, pk="key")

    def holiday_table(self) -> list[dict[str, str]]:
        """The hall's holiday table as last pulled, in date order: ``{"date", "kind", "name"}`` per day, a day the
        hall took out again as kind ``normal``."""
        with self.database.locked() as db:
            rows = db.execute("SELECT day, kind, name FROM holiday_mirror ORDER BY day").fetchall()
        return [{"date": day, "kind": kind, "name": name} for day, kind, name in rows]


_SUBMISSION_QUERY = (
    "SELECT s.id, s.serial, s.item_code, s.item_name, s.created_at, COALESCE(o.state, 'pending'), s.masked,"
    " s.case_number, s.stage, s.stage_at, s.payment_state, s.materials_state"
    " FROM submissions s LEFT JOIN outbox o ON o.id = s.id"
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


def _seal_clear_payloads(db: sqlite_utils.Database, hall_public_key: str) -> int:
    """Seal the payloads that version 2 kept in clear into the outbox, and erase them; how many there were."""
    rows = list(db["submissions"].rows_where("payload IS NOT NULL"))
    for row in rows:
        body = _submission_body(row, json.loads(row["payload"]), hall_public_key)
        db["outbox"].insert(outbox_row(row["id"], "submission", body, time.time()), replace=True)
        db.execute("UPDATE submissions SET payload = NULL WHERE id = ?", [row["id"]])
    return len(rows)


def _stored(row: tuple) -> StoredSubmission:
    id_, serial, item_code, item_name, created_at, state, masked, case_number, stage, stage_at, paying, posting = row
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
        paying,
        posting,
    )
