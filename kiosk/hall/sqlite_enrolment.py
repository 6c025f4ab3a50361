"""The SQLite hall's enrolment and tokens: the single-use codes kiosks enrol with, the bearer tokens of kiosks and
staff (kept as their hash only), and whose token a request carries. Mixed into
:class:`~kiosk.hall.sqlite_storage.SqlHallStorage`, whose database (``_write``, ``_read``) and keys it shares."""

from __future__ import annotations

import secrets
import uuid

from kiosk.hall.models import Enrolment
from kiosk.hall.schema import RowConflict
from kiosk.hall.sqlite_db import Connect
from kiosk.hall.storage import (
    CODE_ALPHABET,
    CODE_LENGTH,
    EnrolmentRefused,
    Principal,
    iso_seconds,
    normalise_code,
    token_hash,
    utc_now,
)
from offline_cache.envelope import HallKeyPair


class SqliteEnrolment:
    _write: Connect
    _read: Connect
    hall_keys: HallKeyPair
    signing_public_key: str

    def new_enrolment_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self._write() as db:
                    db.execute(
                        "INSERT INTO enrolment_codes (code, created_at) VALUES (?, ?)", [code, iso_seconds(utc_now())]
                    )
            except RowConflict:  # the same code drawn twice: draw again
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
            hall_public_key=self.hall_keys.public_text,
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
