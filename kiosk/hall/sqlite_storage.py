"""The hall's storage in one SQLite file: :class:`SqliteHallStorage`, the queries behind :class:`HallStorage`.

Here are the hall's key, cases, ratings and the fleet; each other concern is a mixin of its own on the same
database: enrolment and tokens, the catalog, the holiday table, the queue, resident services. The file itself
(schema, pragmas, transactions) is :mod:`kiosk.hall.sqlite_db`.

    >>> storage = SqliteHallStorage(tmp_path / "hall.db")   # creates the file, its folders and the hall's key
    >>> storage.seed_catalog(load_catalog())                  # only the first time: later changes are the staff's
    >>> storage.new_enrolment_code()                          # for a technician's ``kiosk enroll URL CODE``
    'K7QH-M2XD'
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.hall.console.storage import applicant_shown
from kiosk.hall.keyfile import LEGACY_NAMES, HallKeys, keys_path, load_hall_keys
from kiosk.hall.models import (
    STAGES,
    CaseView,
    EvaluationIn,
    HeartbeatIn,
    HistoryEntry,
    KioskView,
    SubmissionAnswer,
)
from kiosk.hall.schema import Database, RowConflict
from kiosk.hall.sqlite_catalog import SqliteCatalog
from kiosk.hall.sqlite_console import SqliteConsole
from kiosk.hall.sqlite_db import SqliteDatabase, next_value
from kiosk.hall.sqlite_enrolment import SqliteEnrolment
from kiosk.hall.sqlite_holidays import SqliteHolidays
from kiosk.hall.sqlite_queue import SqliteQueue
from kiosk.hall.sqlite_resident import SqliteResidentServices
from kiosk.hall.storage import (
    CHINA,
    HEARTBEATS_KEPT,
    INSTANT_NOTE,
    CaseFinished,
    HallStorage,
    NewCase,
    NotFound,
    Principal,
    Rejected,
    clock_off,
    clock_skew,
    iso_seconds,
    utc_now,
)
from offline_cache.envelope import HallKeyPair

log = logging.getLogger(__name__)

_CASE_QUERY = (
    "SELECT s.id, s.serial, s.case_number, s.item_code, COALESCE(c.name, ''), s.stage, s.kiosk_id, s.station_id,"
    " s.received_at, s.updated_at, COALESCE(p.state, ''), COALESCE(m.state, ''), s.outcome, s.outcome_note"
    " FROM submissions s"
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
    "outcome",
    "outcome_note",
)
_CHUNK = 500  # ids per IN (...): well under SQLite's limit on bound parameters


def _distinct(cases: list[tuple[int, NewCase]]) -> tuple[list[tuple[int, NewCase]], list[tuple[int, NewCase]]]:
    """``cases`` split: each naming an id and a serial none before it named, and the rest."""
    ids: set[str] = set()
    serials: set[str] = set()
    distinct, rest = [], []
    for index, case in cases:
        submission = case.submission
        if submission.id in ids or submission.serial in serials:
            rest.append((index, case))
        else:
            distinct.append((index, case))
        ids.add(submission.id)
        serials.add(submission.serial)
    return distinct, rest


class SqlHallStorage(
    SqliteEnrolment, SqliteCatalog, SqliteHolidays, SqliteResidentServices, SqliteQueue, SqliteConsole, HallStorage
):
    """The hall's storage on a SQL ``database`` (:class:`~kiosk.hall.sqlite_db.SqliteDatabase` or
    :class:`~kiosk.hall.postgres_db.PostgresDatabase`): the queries here and in the mixins are written once, in
    the SQL both speak, each write one serialised transaction.

    The hall's keys are not in the database: they come from the environment or ``keys_file``
    (:mod:`kiosk.hall.keyfile`); a database made before, which kept them in ``meta``, gives them up on opening."""

    def __init__(self, database: Database, keys_file: Path | None, environ: Mapping[str, str] = os.environ) -> None:
        self._database = database
        self._write = database.write
        self._read = database.read
        try:
            self._keys = self._load_keys(keys_file, environ)
        except BaseException:
            database.close()
            raise

    def close(self) -> None:
        self._database.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._write():
            yield

    def _load_keys(self, keys_file: Path | None, environ: Mapping[str, str]) -> HallKeys:
        names = list(LEGACY_NAMES.values())
        with self._read() as db:
            legacy = dict(db.execute("SELECT key, value FROM meta WHERE key IN (?, ?, ?)", names).fetchall())
        keys = load_hall_keys(keys_file, environ, legacy)
        if legacy:
            with self._write() as db:
                db.execute("DELETE FROM meta WHERE key IN (?, ?, ?)", names)
            self._database.forget_deleted()
        return keys

    @property
    def hall_keys(self) -> HallKeyPair:
        return self._keys.sealing

    @staticmethod
    def _seen(db: sqlite3.Connection, sender: Principal, now: str) -> None:
        db.execute("UPDATE kiosks SET last_seen = ? WHERE kiosk_id = ?", [now, sender.kiosk_id])

    # Submissions and cases

    def record_submissions(
        self, sender: Principal, cases: list[NewCase]
    ) -> list[tuple[bool, SubmissionAnswer] | Rejected]:
        now = utc_now()
        results: dict[int, tuple[bool, SubmissionAnswer] | Rejected] = {}
        with self._write() as db:
            pending = list(enumerate(cases))
            while pending:  # a batch naming an id or serial twice: the later one is taken after the first is stored
                distinct, pending = _distinct(pending)
                results.update(self._record(db, sender, distinct, now))
            answered = [results[index] for index in range(len(cases))]
            at = iso_seconds(now)
            self._file_services(db, [c for c, r in zip(cases, answered, strict=True) if isinstance(r, tuple)], at)
            self._seen(db, sender, at)
        return answered

    def _record(
        self, db: sqlite3.Connection, sender: Principal, cases: list[tuple[int, NewCase]], now: datetime
    ) -> dict[int, tuple[bool, SubmissionAnswer] | Rejected]:
        """``cases`` (no id or serial twice) stored, or answered as the submissions held under their ids and
        serials are; by their index. Those held are read first, inside the write, so a resend spends no case
        number; the database's uniqueness still decides (a conflict undoes the inserts, and each is tried alone)."""
        held: dict[str, tuple[str, str]] = {}  # id: its content hash, its first answer
        serials_taken: set[str] = set()
        for start in range(0, len(cases), _CHUNK // 2):
            chunk = [case.submission for _, case in cases[start : start + _CHUNK // 2]]
            marks = ", ".join("?" * len(chunk))
            for id_, serial, held_hash, answer in db.execute(
                "SELECT id, serial, content_hash, answer FROM submissions"
                f" WHERE id IN ({marks}) OR serial IN ({marks})",
                [*(s.id for s in chunk), *(s.serial for s in chunk)],
            ):
                held[id_] = (held_hash, answer)
                serials_taken.add(serial)
        results: dict[int, tuple[bool, SubmissionAnswer] | Rejected] = {}
        fresh = []
        for index, case in cases:
            submission = case.submission
            if submission.id in held:
                held_hash, answer = held[submission.id]
                results[index] = (
                    (False, SubmissionAnswer.model_validate_json(answer))
                    if held_hash == case.content_hash
                    else Rejected("submission id already used with different content")
                )
            elif submission.serial in serials_taken:
                results[index] = Rejected(f"serial {submission.serial} already used by another submission")
            else:
                fresh.append((index, case))
        if not fresh:
            return results
        try:
            with self._write() as savepoint:
                results.update(self._insert(savepoint, sender, fresh, now))
        except RowConflict:
            if len(fresh) == 1:
                raise
            for one in fresh:
                results.update(self._record(db, sender, [one], now))
        return results

    @staticmethod
    def _insert(
        db: sqlite3.Connection, sender: Principal, cases: list[tuple[int, NewCase]], now: datetime
    ) -> dict[int, tuple[bool, SubmissionAnswer]]:
        """New cases for ``cases``: their numbers counted out at once, their rows inserted in two statements."""
        year = now.astimezone(CHINA).year
        at = iso_seconds(now)
        number = next_value(db, f"case_number:{year}", len(cases))
        change = next_value(db, "change", len(cases))
        answers: dict[int, tuple[bool, SubmissionAnswer]] = {}
        rows, history = [], []
        for offset, (index, case) in enumerate(cases):
            submission = case.submission
            answer = SubmissionAnswer(
                id=submission.id,
                serial=submission.serial,
                case_number=f"SL{year}{number + offset:06d}",
                stage=STAGES[-1] if case.instant else STAGES[0],
                received_at=at,
            )
            answers[index] = (True, answer)
            rows.append(
                (
                    submission.id,
                    submission.serial,
                    submission.item_code,
                    submission.created_at,
                    submission.schema_version,
                    case.content_hash,
                    case.payload,
                    answer.model_dump_json(),
                    sender.kiosk_id,
                    sender.station_id,
                    answer.case_number,
                    answer.stage,
                    at,
                    at,
                    change + offset,
                    applicant_shown(case.payload),
                )
            )
            note = INSTANT_NOTE if case.instant else ""
            history.extend((submission.id, stage, at, note) for stage in (STAGES if case.instant else STAGES[:1]))
        db.executemany(
            "INSERT INTO submissions (id, serial, item_code, created_at, schema_version, content_hash, payload, answer,"
            " kiosk_id, station_id, case_number, stage, received_at, updated_at, change_seq, applicant)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany("INSERT INTO case_history (submission_id, stage, at, note) VALUES (?, ?, ?, ?)", history)
        return answers

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

    def advance(self, serial: str, note: str = "", by: str = "") -> CaseView:
        with self._write() as db:
            id_, stage = self._open_case(db, serial)
            self._change_case(db, id_, STAGES[STAGES.index(stage) + 1], "", "", note, by)
            return self._views(db, "WHERE s.id = ?", [id_])[0]

    def return_case(self, serial: str, missing: list[str], note: str, by: str) -> CaseView:
        told = "、".join(missing) + (f"（{note}）" if note and missing else note)
        with self._write() as db:
            id_, stage = self._open_case(db, serial)
            self._change_case(db, id_, stage, "returned", told, "退回补正，请补交：" + told, by)
            return self._views(db, "WHERE s.id = ?", [id_])[0]

    def refuse_case(self, serial: str, reason: str, by: str) -> CaseView:
        with self._write() as db:
            id_, stage = self._open_case(db, serial)
            self._change_case(db, id_, stage, "refused", reason, "不予受理：" + reason, by)
            return self._views(db, "WHERE s.id = ?", [id_])[0]

    @staticmethod
    def _open_case(db: sqlite3.Connection, serial: str) -> tuple[str, str]:
        """The id and stage of a case that may still change; :class:`NotFound`, :class:`CaseFinished`."""
        row = db.execute("SELECT id, stage, outcome FROM submissions WHERE serial = ?", [serial]).fetchone()
        if row is None:
            raise NotFound(f"大厅没有流水号为 {serial} 的申请")
        id_, stage, outcome = row
        if outcome == "refused":
            raise CaseFinished(f"{serial} 已不予受理")
        if stage == STAGES[-1]:
            raise CaseFinished(f"{serial} 已在最后一步「{stage}」")
        return id_, stage

    @staticmethod
    def _change_case(
        db: sqlite3.Connection, id_: str, stage: str, outcome: str, outcome_note: str, note: str, by: str
    ) -> None:
        """Move case ``id_`` to ``stage`` with ``outcome``, and write it in its history with who did it."""
        now = iso_seconds(utc_now())
        db.execute(
            "UPDATE submissions SET stage = ?, outcome = ?, outcome_note = ?, updated_at = ?, change_seq = ?"
            " WHERE id = ?",
            [stage, outcome, outcome_note, now, next_value(db, "change"), id_],
        )
        db.execute(
            "INSERT INTO case_history (submission_id, stage, at, note, by_whom) VALUES (?, ?, ?, ?, ?)",
            [id_, stage, now, note, by],
        )

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
        except RowConflict:
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
                "SELECT e.submission_id, COALESCE(s.serial, ''), e.level, e.reason, e.created_at, e.kiosk_id,"
                " COALESCE(s.item_code, ''), COALESCE(c.name, ''), COALESCE(k.station_id, ''),"
                " COALESCE(f.action, ''), COALESCE(f.by_whom, ''), COALESCE(f.at, '')"
                " FROM evaluations e LEFT JOIN submissions s ON s.id = e.submission_id"
                " LEFT JOIN catalog c ON c.code = s.item_code AND c.item IS NOT NULL"
                " LEFT JOIN kiosks k ON k.kiosk_id = e.kiosk_id"
                " LEFT JOIN rating_followups f ON f.submission_id = e.submission_id ORDER BY e.created_at DESC"
            ).fetchall()
        keys = (
            "submission_id",
            "serial",
            "level",
            "reason",
            "created_at",
            "kiosk_id",
            "item_code",
            "item_name",
            "station_id",
            "followup",
            "followup_by",
            "followup_at",
        )
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def record_heartbeat(self, sender: Principal, heartbeat: HeartbeatIn) -> None:
        received = utc_now()  # before any wait for the database: the kiosk's clock is compared with this
        now = iso_seconds(received)
        skew = clock_skew(heartbeat.sent_at, received)
        with self._write() as db:
            before = db.execute(
                "SELECT clock_skew_seconds FROM heartbeats WHERE kiosk_id = ? ORDER BY id DESC LIMIT 1",
                [sender.kiosk_id],
            ).fetchone()
            db.execute(
                "INSERT INTO heartbeats (kiosk_id, received_at, body, clock_skew_seconds) VALUES (?, ?, ?, ?)",
                [sender.kiosk_id, now, heartbeat.model_dump_json(), skew],
            )
            db.execute(
                "DELETE FROM heartbeats WHERE kiosk_id = ? AND id NOT IN"
                " (SELECT id FROM heartbeats WHERE kiosk_id = ? ORDER BY id DESC LIMIT ?)",
                [sender.kiosk_id, sender.kiosk_id, HEARTBEATS_KEPT],
            )
            self._seen(db, sender, now)
        if clock_off(skew) and not (before and clock_off(before[0])):  # once as it goes wrong, not every heartbeat
            log.warning(
                "kiosk %s at station %s: its clock is %d s %s the hall's; set its time (and check its clock battery)",
                sender.kiosk_id,
                sender.station_id,
                abs(skew),
                "ahead of" if skew > 0 else "behind",
            )

    def fleet(self) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT k.kiosk_id, k.station_id, k.name, k.enrolled_at, k.last_seen, h.body, h.received_at,"
                " h.clock_skew_seconds FROM kiosks k LEFT JOIN heartbeats h"
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
                clock_skew_seconds=skew,
            ).model_dump(mode="json")
            for kiosk_id, station_id, name, enrolled_at, last_seen, body, received_at, skew in rows
        ]


class SqliteHallStorage(SqlHallStorage):
    """The hall in one SQLite file (WAL, ``synchronous=FULL``, one connection behind a lock, as the API serves
    requests from a thread pool), its keys in a file beside it. Other processes (``kiosk hall advance`` while the
    hall serves) share the file safely: every write is an immediate transaction."""

    def __init__(self, path: Path | str, environ: Mapping[str, str] = os.environ, keys: Path | None = None) -> None:
        database = SqliteDatabase(path)
        self.path = database.path
        super().__init__(database, keys or keys_path(database.path), environ)
