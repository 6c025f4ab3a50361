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
from kiosk.hall.resident import Owed, ResidentServices, holder_key
from kiosk.hall.resident_models import AppointmentIssued, MaterialOnFile, PaymentView
from kiosk.hall.sqlite_db import Connect, next_value
from kiosk.hall.storage import NotFound, Principal, iso_seconds, utc_now
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

    def file_services(self, submission_id: str, serial: str, owed: Owed, number: str) -> None:
        now = iso_seconds(utc_now())
        key = holder_key(self._holder_secret, number)
        with self._write() as db:
            for filing in owed.filings:
                db.execute(
                    "INSERT INTO materials_on_file (holder_key, material, reuse, valid_until, serial, filed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (holder_key, material) DO UPDATE SET"
                    " reuse = excluded.reuse, valid_until = excluded.valid_until, serial = excluded.serial,"
                    " filed_at = excluded.filed_at WHERE excluded.serial != materials_on_file.serial",
                    [key, filing.material, filing.reuse.value, _iso(filing.valid_until), serial, now],
                )
            if owed.fee_cents:
                db.execute(
                    "INSERT INTO payments (submission_id, cents, state, created_at) VALUES (?, ?, 'pending', ?)"
                    " ON CONFLICT (submission_id) DO NOTHING",
                    [submission_id, owed.fee_cents, now],
                )
            if owed.by_post:
                db.execute(
                    "INSERT INTO mailed_materials (submission_id, materials, state, created_at)"
                    " VALUES (?, ?, 'awaiting', ?) ON CONFLICT (submission_id) DO NOTHING",
                    [submission_id, json.dumps(owed.by_post, ensure_ascii=False), now],
                )
            if (
                owed.reused
                and not db.execute(
                    "SELECT 1 FROM case_history WHERE submission_id = ? AND note LIKE '复用已存档材料：%'",
                    [submission_id],
                ).fetchone()
            ):
                db.execute(
                    "INSERT INTO case_history (submission_id, stage, at, note)"
                    " SELECT id, stage, ?, ? FROM submissions WHERE id = ?",
                    [now, "复用已存档材料：" + "、".join(owed.reused), submission_id],
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
