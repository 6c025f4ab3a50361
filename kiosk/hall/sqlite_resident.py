"""The SQLite hall's part that serves residents beyond the case (:class:`~kiosk.hall.resident.ResidentServices`):
materials on file, payment orders, materials by post, appointments. Mixed into
:class:`~kiosk.hall.sqlite_storage.SqlHallStorage`, whose database (``_write``, ``_read``) it shares."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from datetime import date, time
from functools import cached_property
from typing import Any

from kiosk import appointments
from kiosk.hall.keyfile import HallKeys
from kiosk.hall.models import CaseView
from kiosk.hall.resident import REUSE_NOTE, ResidentServices, holder_key
from kiosk.hall.resident_models import AppointmentIssued, MaterialOnFile, PaymentView
from kiosk.hall.sqlite_db import Connect, next_value
from kiosk.hall.storage import NewCase, NotFound, Principal, iso_seconds, utc_now
from kiosk.identity import mask_name


class SqliteResidentServices(ResidentServices):
    _write: Connect
    _read: Connect
    case: Callable[[str], CaseView | None]
    _keys: HallKeys

    @property
    def _signing_private_key(self) -> str:
        return self._keys.signing_private_key

    @cached_property
    def signing_public_key(self) -> str:
        return appointments.public_text(self._signing_private_key)

    @property
    def _holder_secret(self) -> bytes:
        return self._keys.holder_secret

    # What a submission brings

    def _file_services(self, db: sqlite3.Connection, cases: list[NewCase], now: str) -> None:
        """Keep what ``cases`` bring, inside the caller's write: materials on file for each applicant, payment
        orders, materials awaited by post. Idempotent: a resend changes nothing. A few statements for the whole
        batch, each run over all its rows."""
        db.executemany(
            "INSERT INTO materials_on_file (holder_key, material, reuse, valid_until, serial, filed_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (holder_key, material) DO UPDATE SET"
            " reuse = excluded.reuse, valid_until = excluded.valid_until, serial = excluded.serial,"
            " filed_at = excluded.filed_at WHERE excluded.serial != materials_on_file.serial",
            [
                (key, f.material, f.reuse.value, _iso(f.valid_until), case.submission.serial, now)
                for case in cases
                if case.owed.filings
                for key in [holder_key(self._holder_secret, case.number)]
                for f in case.owed.filings
            ],
        )
        db.executemany(
            "INSERT INTO payments (submission_id, cents, state, created_at) VALUES (?, ?, 'pending', ?)"
            " ON CONFLICT (submission_id) DO NOTHING",
            [(case.submission.id, case.owed.fee_cents, now) for case in cases if case.owed.fee_cents],
        )
        db.executemany(
            "INSERT INTO mailed_materials (submission_id, materials, state, created_at)"
            " VALUES (?, ?, 'awaiting', ?) ON CONFLICT (submission_id) DO NOTHING",
            [
                (case.submission.id, json.dumps(case.owed.by_post, ensure_ascii=False), now)
                for case in cases
                if case.owed.by_post
            ],
        )
        reusing = {case.submission.id: case.owed.reused for case in cases if case.owed.reused}
        if reusing:
            marks = ", ".join("?" * len(reusing))
            noted = db.execute(
                f"SELECT submission_id FROM case_history WHERE submission_id IN ({marks}) AND note LIKE ?",
                [*reusing, REUSE_NOTE + "%"],
            ).fetchall()
            for (id_,) in noted:
                reusing.pop(id_, None)
            db.executemany(
                "INSERT INTO case_history (submission_id, stage, at, note) SELECT id, stage, ?, ? FROM submissions"
                " WHERE id = ?",
                [(now, REUSE_NOTE + "、".join(reused), id_) for id_, reused in reusing.items()],
            )

    def materials_on_file(self, number: str, names: list[str], today: date) -> list[MaterialOnFile]:
        if not names:
            return []
        marks = ", ".join("?" * len(names))
        key = holder_key(self._holder_secret, number)  # before the read: the first use writes the secret
        with self._read() as db:
            rows = db.execute(
                "SELECT material, reuse, valid_until, serial FROM materials_on_file"
                f" WHERE holder_key = ? AND material IN ({marks}) AND (valid_until IS NULL OR valid_until >= ?)",
                [key, *names, today.isoformat()],
            ).fetchall()
        order = {name: n for n, name in enumerate(names)}
        found = [MaterialOnFile(material=m, reuse=r, valid_until=v, serial=s) for m, r, v, s in rows]
        return sorted(found, key=lambda f: order[f.material])

    # Payments and posted materials

    def payment(self, submission_id: str) -> PaymentView | None:
        with self._read() as db:
            row = db.execute(
                "SELECT p.submission_id, s.serial, COALESCE(c.name, s.item_code), p.cents, p.state, p.paid_at"
                " FROM payments p JOIN submissions s ON s.id = p.submission_id"
                " LEFT JOIN catalog c ON c.code = s.item_code WHERE p.submission_id = ?",
                [submission_id],
            ).fetchone()
        if row is None:
            return None
        keys = ("submission_id", "serial", "item_name", "cents", "state", "paid_at")
        return PaymentView(**dict(zip(keys, row, strict=True)))

    def mark_paid(self, submission_id: str) -> PaymentView:
        now = iso_seconds(utc_now())
        with self._write() as db:
            changed = db.execute(
                "UPDATE payments SET state = 'paid', paid_at = ? WHERE submission_id = ? AND state = 'pending'",
                [now, submission_id],
            ).rowcount
            if changed:
                self._moved(db, submission_id, now, "已缴费")
        found = self.payment(submission_id)
        if found is None:
            raise NotFound(f"没有编号为 {submission_id} 的缴费单")
        return found

    def materials_received(self, serial: str, note: str = "") -> CaseView:
        now = iso_seconds(utc_now())
        with self._write() as db:
            row = db.execute(
                "SELECT m.submission_id FROM mailed_materials m JOIN submissions s ON s.id = m.submission_id"
                " WHERE s.serial = ?",
                [serial],
            ).fetchone()
            if row is None:
                raise NotFound(f"{serial} 没有待收的邮寄材料")
            if db.execute(
                "UPDATE mailed_materials SET state = 'received', received_at = ? WHERE submission_id = ?"
                " AND state = 'awaiting'",
                [now, row[0]],
            ).rowcount:
                self._moved(db, row[0], now, note or "邮寄材料已收到")
        found = self.case(serial)
        assert found is not None
        return found

    @staticmethod
    def _moved(db: sqlite3.Connection, submission_id: str, now: str, note: str) -> None:
        """The case changed without changing stage: kiosks pull it again (its change number moves on)."""
        db.execute(
            "UPDATE submissions SET updated_at = ?, change_seq = ? WHERE id = ?",
            [now, next_value(db, "change"), submission_id],
        )
        db.execute(
            "INSERT INTO case_history (submission_id, stage, at, note) SELECT id, stage, ?, ? FROM submissions"
            " WHERE id = ?",
            [now, note, submission_id],
        )

    # Appointments

    def book_appointment(self, item_code: str, day: date, start: str, end: str, holder: str) -> AppointmentIssued:
        appointment = appointments.Appointment(
            id=uuid.uuid4().hex[:12],
            item_code=item_code,
            day=day,
            start=time.fromisoformat(start),
            end=time.fromisoformat(end),
            holder=mask_name(holder),
        )
        code = appointments.sign(appointment, self._signing_private_key)
        with self._write() as db:
            db.execute(
                'INSERT INTO appointments (id, item_code, day, start, "end", holder, code, created_at)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    appointment.id,
                    item_code,
                    day.isoformat(),
                    start,
                    end,
                    appointment.holder,
                    code,
                    iso_seconds(utc_now()),
                ],
            )
        return AppointmentIssued(
            id=appointment.id,
            item_code=item_code,
            day=day,
            start=start,
            end=end,
            holder=appointment.holder,
            code=code,
        )

    def check_in(self, sender: Principal, appointment_id: str, at: str, ticket: str) -> int:
        with self._write() as db:
            if db.execute("SELECT 1 FROM appointments WHERE id = ?", [appointment_id]).fetchone() is None:
                return 404
            first = db.execute(
                "UPDATE appointments SET checked_in_at = ?, checked_in_by = ? WHERE id = ? AND checked_in_at IS NULL",
                [at, f"{sender.station_id} {ticket}".strip(), appointment_id],
            ).rowcount
        return 201 if first else 200

    def appointments(self, day: date | None = None) -> list[dict[str, Any]]:
        query = 'SELECT id, item_code, day, start, "end", holder, checked_in_at, checked_in_by FROM appointments'
        with self._read() as db:
            rows = db.execute(
                query + (" WHERE day = ? ORDER BY start" if day else " ORDER BY day, start"),
                [day.isoformat()] if day else [],
            ).fetchall()
        keys = ("id", "item_code", "day", "start", "end", "holder", "checked_in_at", "checked_in_by")
        return [dict(zip(keys, row, strict=True)) for row in rows]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
