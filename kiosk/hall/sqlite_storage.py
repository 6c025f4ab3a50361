"""The hall's storage in one SQLite file: :class:`SqliteHallStorage`, the queries behind :class:`HallStorage`.

The file itself (schema, pragmas, transactions) is :mod:`kiosk.hall.sqlite_db`. The module is a little over our
usual 400 lines because it is one class, the SQL of one schema; spread over several it would be harder to read
against the PostgreSQL back-end that will stand beside it.

    >>> storage = SqliteHallStorage(tmp_path / "hall.db")   # creates the file, its folders and the hall's key
    >>> storage.seed_catalog(load_catalog())                  # only the first time: later changes are the staff's
    >>> storage.new_enrolment_code()                          # for a technician's ``kiosk enroll URL CODE``
    'K7QH-M2XD'
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kiosk.catalog import ServiceItem
from kiosk.hall.models import (
    STAGES,
    CaseView,
    CatalogChanges,
    Enrolment,
    EvaluationIn,
    HeartbeatIn,
    HistoryEntry,
    HolidayChanges,
    HolidayDay,
    KioskView,
    SubmissionAnswer,
    SubmissionIn,
)
from kiosk.hall.sqlite_db import SqliteDatabase, next_value
from kiosk.hall.sqlite_queue import SqliteQueue
from kiosk.hall.sqlite_resident import SqliteResidentServices
from kiosk.hall.storage import (
    CHINA,
    CODE_ALPHABET,
    CODE_LENGTH,
    HEARTBEATS_KEPT,
    INSTANT_NOTE,
    CaseFinished,
    EnrolmentRefused,
    HallStorage,
    HolidayImport,
    NotFound,
    Principal,
    Rejected,
    iso_seconds,
    normalise_code,
    token_hash,
    utc_now,
)
from offline_cache.envelope import HallKeyPair

_CASE_QUERY = (
    "SELECT s.id, s.serial, s.case_number, s.item_code, COALESCE(c.name, ''), s.stage, s.kiosk_id, s.station_id,"
    " s.received_at, s.updated_at, COALESCE(p.state, ''), COALESCE(m.state, '') FROM submissions s"
    " LEFT JOIN catalog c ON c.code = s.item_code AND c.item IS NOT NULL"
    " LEFT JOIN payments p ON p.submission_id = s.id LEFT JOIN mailed_materials m ON m.submission_id = s.id"
)
_CASE_FIELDS = (
    "serial",
    "case_number",
    "item_code",
    "item_name",
    "stage",
    "kiosk_id",
    "station_id",
    "received_at",
    "updated_at",
    "payment_state",
    "materials_state",
)
_CHUNK = 500  # ids per IN (...): well under SQLite's limit on bound parameters


class SqliteHallStorage(SqliteResidentServices, SqliteQueue, HallStorage):
    """The hall's storage in one SQLite file (:class:`~kiosk.hall.sqlite_db.SqliteDatabase`: WAL,
    ``synchronous=FULL``, one connection behind a lock, as the API serves requests from a thread pool). Other
    processes (``kiosk hall advance`` while the hall serves) share the file safely: every write is an immediate
    transaction.

    The hall's private key is kept in the ``meta`` table so the reference hall runs with no set-up; a
    production hall keeps it in an HSM or a file only root can read, never beside the data it protects."""

    def __init__(self, path: Path | str) -> None:
        self._database = SqliteDatabase(path)
        self.path = self._database.path
        self._write = self._database.write
        self._read = self._database.read
        self._keys = self._load_keys()

    def close(self) -> None:
        self._database.close()

    def _load_keys(self) -> HallKeyPair:
        with self._write() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'hall_private_key'").fetchone()
            if row is not None:
                return HallKeyPair.from_private_text(row[0])
            keys = HallKeyPair.generate()
            db.execute("INSERT INTO meta (key, value) VALUES ('hall_private_key', ?)", [keys.private_text])
            return keys

    @property
    def hall_keys(self) -> HallKeyPair:
        return self._keys

    # Enrolment and tokens

    def new_enrolment_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self._write() as db:
                    db.execute(
                        "INSERT INTO enrolment_codes (code, created_at) VALUES (?, ?)", [code, iso_seconds(utc_now())]
                    )
            except sqlite3.IntegrityError:  # the same code drawn twice: draw again
                continue
            return f"{code[:4]}-{code[4:]}"

    def new_staff_token(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._write() as db:
            db.execute(
                "INSERT INTO tokens (token_hash, role, created_at) VALUES (?, 'staff', ?)",
                [token_hash(token), iso_seconds(utc_now())],
            )
        return token

    def enroll(self, code: str, station_id: str, name: str) -> Enrolment:
        now = iso_seconds(utc_now())
        kiosk_id = str(uuid.uuid4())
        token = secrets.token_urlsafe(32)
        with self._write() as db:
            spent = db.execute(
                "UPDATE enrolment_codes SET used_at = ?, used_by = ? WHERE code = ? AND used_at IS NULL",
                [now, kiosk_id, normalise_code(code)],
            )
            if spent.rowcount != 1:
                raise EnrolmentRefused("enrolment code unknown or already used")
            db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL"
                " AND kiosk_id IN (SELECT kiosk_id FROM kiosks WHERE station_id = ?)",
                [now, station_id],
            )
            db.execute(
                "UPDATE kiosks SET revoked_at = ? WHERE station_id = ? AND revoked_at IS NULL", [now, station_id]
            )
            db.execute(
                "INSERT INTO kiosks (kiosk_id, station_id, name, enrolled_at) VALUES (?, ?, ?, ?)",
                [kiosk_id, station_id, name, now],
            )
            db.execute(
                "INSERT INTO tokens (token_hash, role, kiosk_id, created_at) VALUES (?, 'kiosk', ?, ?)",
                [token_hash(token), kiosk_id, now],
            )
        return Enrolment(
            kiosk_id=kiosk_id,
            token=token,
            hall_public_key=self._keys.public_text,
            hall_signing_key=self.signing_public_key,
        )

    def authenticate(self, token: str) -> Principal | None:
        with self._read() as db:
            row = db.execute(
                "SELECT t.role, COALESCE(t.kiosk_id, ''), COALESCE(k.station_id, '') FROM tokens t"
                " LEFT JOIN kiosks k ON k.kiosk_id = t.kiosk_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
                [token_hash(token)],
            ).fetchone()
        return Principal(*row) if row else None

    @staticmethod
    def _seen(db: sqlite3.Connection, sender: Principal, now: str) -> None:
        db.execute("UPDATE kiosks SET last_seen = ? WHERE kiosk_id = ?", [now, sender.kiosk_id])

    # Submissions and cases

    def record_submission(
        self, sender: Principal, submission: SubmissionIn, payload: str, content_hash: str, instant: bool = False
    ) -> tuple[bool, SubmissionAnswer]:
        now = utc_now()
        year = now.astimezone(CHINA).year
        try:
            with self._write() as db:
                number = next_value(db, f"case_number:{year}")
                answer = SubmissionAnswer(
                    id=submission.id,
                    serial=submission.serial,
                    case_number=f"SL{year}{number:06d}",
                    stage=STAGES[-1] if instant else STAGES[0],
                    received_at=iso_seconds(now),
                )
                db.execute(
                    "INSERT INTO submissions (id, serial, item_code, created_at, schema_version, content_hash,"
                    " payload, answer, kiosk_id, station_id, case_number, stage, received_at, updated_at, change_seq)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        submission.id,
                        submission.serial,
                        submission.item_code,
                        submission.created_at,
                        submission.schema_version,
                        content_hash,
                        payload,
                        answer.model_dump_json(),
                        sender.kiosk_id,
                        sender.station_id,
                        answer.case_number,
                        answer.stage,
                        answer.received_at,
                        answer.received_at,
                        next_value(db, "change"),
                    ],
                )
                stages = STAGES if instant else STAGES[:1]
                db.executemany(
                    "INSERT INTO case_history (submission_id, stage, at, note) VALUES (?, ?, ?, ?)",
                    [(submission.id, stage, answer.received_at, INSTANT_NOTE if instant else "") for stage in stages],
                )
                self._seen(db, sender, answer.received_at)
            return True, answer
        except sqlite3.IntegrityError:
            # Another request stored this id or serial first (everything above was rolled back): replay or refuse.
            with self._read() as db:
                row = db.execute(
                    "SELECT content_hash, answer FROM submissions WHERE id = ?", [submission.id]
                ).fetchone()
                serial_taken = db.execute("SELECT 1 FROM submissions WHERE serial = ?", [submission.serial]).fetchone()
            if row is None:
                if serial_taken:
                    raise Rejected(f"serial {submission.serial} already used by another submission") from None
                raise
            if row[0] != content_hash:
                raise Rejected("submission id already used with different content") from None
            return False, SubmissionAnswer.model_validate_json(row[1])

    def held(self, station_id: str, ids: list[str]) -> dict[str, SubmissionAnswer]:
        found: dict[str, SubmissionAnswer] = {}
        with self._read() as db:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT id, answer FROM submissions WHERE station_id = ? AND id IN ({marks})", [station_id, *chunk]
                )
                found.update((id_, SubmissionAnswer.model_validate_json(answer)) for id_, answer in rows)
        return found

    @staticmethod
    def _views(db: sqlite3.Connection, where: str, params: list[Any]) -> list[CaseView]:
        rows = db.execute(f"{_CASE_QUERY} {where}", params).fetchall()
        history: dict[str, list[HistoryEntry]] = {row[0]: [] for row in rows}
        ids = list(history)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for id_, stage, at, note in db.execute(
                f"SELECT submission_id, stage, at, note FROM case_history WHERE submission_id IN ({marks})"
                " ORDER BY rowid",
                chunk,
            ):
                history[id_].append(HistoryEntry(stage=stage, at=at, note=note))
        views = []
        for id_, *fields in rows:
            view = dict(zip(_CASE_FIELDS, fields, strict=True))
            views.append(CaseView(**view, stage_index=STAGES.index(view["stage"]), history=history[id_]))
        return views

    def case(self, serial: str) -> CaseView | None:
        with self._read() as db:
            views = self._views(db, "WHERE s.serial = ?", [serial])
        return views[0] if views else None

    def cases_since(self, station_id: str, since: int, limit: int = 500) -> tuple[int, list[CaseView]]:
        with self._read() as db:
            views = self._views(
                db,
                "WHERE s.station_id = ? AND s.change_seq > ? ORDER BY s.change_seq LIMIT ?",
                [station_id, since, limit],
            )
            cursor = since
            if views:
                last = views[-1].serial
                cursor = db.execute("SELECT change_seq FROM submissions WHERE serial = ?", [last]).fetchone()[0]
        return cursor, views

    def advance(self, serial: str, note: str = "") -> CaseView:
        with self._write() as db:
            row = db.execute("SELECT id, stage FROM submissions WHERE serial = ?", [serial]).fetchone()
            if row is None:
                raise NotFound(f"大厅没有流水号为 {serial} 的申请")
            id_, stage = row
            index = STAGES.index(stage)
            if index == len(STAGES) - 1:
                raise CaseFinished(f"{serial} 已在最后一步「{stage}」")
            now = iso_seconds(utc_now())
            db.execute(
                "UPDATE submissions SET stage = ?, updated_at = ?, change_seq = ? WHERE id = ?",
                [STAGES[index + 1], now, next_value(db, "change"), id_],
            )
            db.execute(
                "INSERT INTO case_history (submission_id, stage, at, note) VALUES (?, ?, ?, ?)",
                [id_, STAGES[index + 1], now, note],
            )
            return self._views(db, "WHERE s.id = ?", [id_])[0]

    def cases(self) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT s.serial, s.case_number, s.item_code, COALESCE(c.name, ''), s.stage, s.station_id,"
                " s.kiosk_id, s.received_at, s.updated_at, s.id FROM submissions s"
                " LEFT JOIN catalog c ON c.code = s.item_code AND c.item IS NOT NULL ORDER BY s.case_number DESC"
            ).fetchall()
        keys = (
            "serial",
            "case_number",
            "item",
            "item_name",
            "stage",
            "kiosk",
            "kiosk_id",
            "received_at",
            "updated_at",
            "submission_id",
        )
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # Evaluations, heartbeats, fleet

    def record_evaluation(self, sender: Principal, evaluation: EvaluationIn, content_hash: str) -> bool:
        now = iso_seconds(utc_now())
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO evaluations (submission_id, level, created_at, content_hash, kiosk_id, received_at,"
                    " reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        evaluation.submission_id,
                        evaluation.level,
                        evaluation.created_at,
                        content_hash,
                        sender.kiosk_id,
                        now,
                        evaluation.reason or "",
                    ],
                )
                self._seen(db, sender, now)
            return True
        except sqlite3.IntegrityError:
            with self._read() as db:
                row = db.execute(
                    "SELECT content_hash FROM evaluations WHERE submission_id = ?", [evaluation.submission_id]
                ).fetchone()
            if row is None:
                raise
            if row[0] != content_hash:
                raise Rejected("submission already rated with a different rating") from None
            return False

    def evaluations(self) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT e.submission_id, COALESCE(s.serial, ''), e.level, e.reason, e.created_at, e.kiosk_id"
                " FROM evaluations e LEFT JOIN submissions s ON s.id = e.submission_id ORDER BY e.created_at DESC"
            ).fetchall()
        keys = ("submission_id", "serial", "level", "reason", "created_at", "kiosk_id")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def record_heartbeat(self, sender: Principal, heartbeat: HeartbeatIn) -> None:
        now = iso_seconds(utc_now())
        with self._write() as db:
            db.execute(
                "INSERT INTO heartbeats (kiosk_id, received_at, body) VALUES (?, ?, ?)",
                [sender.kiosk_id, now, heartbeat.model_dump_json()],
            )
            db.execute(
                "DELETE FROM heartbeats WHERE kiosk_id = ? AND id NOT IN"
                " (SELECT id FROM heartbeats WHERE kiosk_id = ? ORDER BY id DESC LIMIT ?)",
                [sender.kiosk_id, sender.kiosk_id, HEARTBEATS_KEPT],
            )
            self._seen(db, sender, now)

    def fleet(self) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT k.kiosk_id, k.station_id, k.name, k.enrolled_at, k.last_seen, h.body, h.received_at"
                " FROM kiosks k LEFT JOIN heartbeats h"
                " ON h.id = (SELECT MAX(id) FROM heartbeats WHERE kiosk_id = k.kiosk_id)"
                " WHERE k.revoked_at IS NULL ORDER BY k.station_id"
            ).fetchall()
        return [
            KioskView(
                kiosk_id=kiosk_id,
                station_id=station_id,
                name=name,
                enrolled_at=enrolled_at,
                last_seen=last_seen,
                heartbeat={**json.loads(body), "received_at": received_at} if body else None,
            ).model_dump(mode="json")
            for kiosk_id, station_id, name, enrolled_at, last_seen, body, received_at in rows
        ]

    # Catalog

    @staticmethod
    def _put(db: sqlite3.Connection, item: ServiceItem, version: int) -> None:
        db.execute(
            "INSERT INTO catalog (code, name, item, version) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO UPDATE"
            " SET name = excluded.name, item = excluded.item, version = excluded.version",
            [item.code, item.name, item.model_dump_json(), version],
        )

    def seed_catalog(self, items: Iterable[ServiceItem]) -> bool:
        with self._write() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = 'catalog_seeded'").fetchone():
                return False
            version = next_value(db, "catalog_version")
            for item in items:
                if not db.execute("SELECT 1 FROM catalog WHERE code = ?", [item.code]).fetchone():
                    self._put(db, item, version)  # an item the staff added before the seeding stays theirs
            db.execute("INSERT INTO meta (key, value) VALUES ('catalog_seeded', ?)", [iso_seconds(utc_now())])
        return True

    def catalog_changes(self, since: int) -> CatalogChanges:
        with self._read() as db:
            row = db.execute("SELECT value FROM counters WHERE name = 'catalog_version'").fetchone()
            rows = db.execute(
                "SELECT code, item FROM catalog WHERE version > ? ORDER BY version, code", [since]
            ).fetchall()
        return CatalogChanges(
            version=row[0] if row else 0,
            items=[json.loads(item) for _, item in rows if item is not None],
            removed=[code for code, item in rows if item is None],
        )

    def catalog_item(self, code: str) -> dict[str, Any] | None:
        with self._read() as db:
            row = db.execute("SELECT item FROM catalog WHERE code = ? AND item IS NOT NULL", [code]).fetchone()
        return json.loads(row[0]) if row else None

    def put_catalog_item(self, item: ServiceItem | dict[str, Any]) -> int:
        item = ServiceItem.model_validate(item)
        with self._write() as db:
            version = next_value(db, "catalog_version")
            self._put(db, item, version)
        return version

    def remove_catalog_item(self, code: str) -> int:
        with self._write() as db:
            if not db.execute("SELECT 1 FROM catalog WHERE code = ? AND item IS NOT NULL", [code]).fetchone():
                raise NotFound(f"目录中没有事项 {code}")
            version = next_value(db, "catalog_version")
            db.execute("UPDATE catalog SET item = NULL, version = ? WHERE code = ?", [version, code])
        return version

    # Holiday table

    def seed_holidays(self, days: Iterable[HolidayDay]) -> bool:
        with self._write() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = 'holidays_seeded'").fetchone():
                return False
            version = next_value(db, "holidays_version")
            db.executemany(  # a day the staff imported before the seeding stays theirs
                "INSERT INTO holidays (day, kind, name, version) VALUES (?, ?, ?, ?) ON CONFLICT (day) DO NOTHING",
                [(day.date, day.kind, day.name, version) for day in days if day.kind != "normal"],
            )
            db.execute("INSERT INTO meta (key, value) VALUES ('holidays_seeded', ?)", [iso_seconds(utc_now())])
        return True

    def holiday_changes(self, since: int) -> HolidayChanges:
        with self._read() as db:
            row = db.execute("SELECT value FROM counters WHERE name = 'holidays_version'").fetchone()
            rows = db.execute("SELECT day, kind, name FROM holidays WHERE version > ? ORDER BY day", [since]).fetchall()
        return HolidayChanges(
            version=row[0] if row else 0, days=[HolidayDay(date=d, kind=k, name=n) for d, k, n in rows]
        )

    def holidays(self, year: int | None = None) -> list[HolidayDay]:
        with self._read() as db:
            rows = db.execute(
                "SELECT day, kind, name FROM holidays WHERE kind != 'normal' AND (? IS NULL OR substr(day, 1, 4) = ?)"
                " ORDER BY day",
                [year, None if year is None else f"{year:04d}"],
            ).fetchall()
        return [HolidayDay(date=d, kind=k, name=n) for d, k, n in rows]

    def import_holidays(self, days: Iterable[HolidayDay]) -> HolidayImport:
        counts = dict.fromkeys(("added", "changed", "removed", "unchanged"), 0)
        with self._write() as db:
            version = None
            for day in days:
                row = db.execute("SELECT kind, name FROM holidays WHERE day = ?", [day.date]).fetchone()
                kept = row is not None and row[0] != "normal"
                if day.kind == "normal":
                    outcome = "removed" if kept else "unchanged"
                elif not kept:
                    outcome = "added"
                else:
                    outcome = "unchanged" if tuple(row) == (day.kind, day.name) else "changed"
                counts[outcome] += 1
                if outcome == "unchanged":
                    continue
                version = version or next_value(db, "holidays_version")  # one version for the whole import
                db.execute(  # a day taken out stays as kind normal, so kiosks learn of it as of a change
                    "INSERT INTO holidays (day, kind, name, version) VALUES (?, ?, ?, ?) ON CONFLICT (day) DO UPDATE"
                    " SET kind = excluded.kind, name = excluded.name, version = excluded.version",
                    [day.date, day.kind, day.name, version],
                )
            if version is None:
                row = db.execute("SELECT value FROM counters WHERE name = 'holidays_version'").fetchone()
                version = row[0] if row else 0
        return HolidayImport(version=version, **counts)
