"""The staff console's queries: accounts, sessions, case search, returns and refusals, rating follow-ups. Mixed into
:class:`~kiosk.hall.sqlite_storage.SqlHallStorage`, whose database (``_write``, ``_read``) and case helpers it
shares; the SQL is the one both back-ends speak.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from kiosk.hall.console.storage import ConsoleSession, Role, StaffAccount
from kiosk.hall.models import STAGES
from kiosk.hall.sqlite_db import Connect
from kiosk.hall.storage import CHINA, NotFound, iso_seconds, utc_now

_LIST_QUERY = (
    "SELECT s.serial, s.case_number, s.item_code, COALESCE(c.name, ''), s.stage, s.station_id, s.kiosk_id,"
    " s.received_at, s.updated_at, s.id, s.applicant, s.outcome, s.outcome_note FROM submissions s"
    " LEFT JOIN catalog c ON c.code = s.item_code AND c.item IS NOT NULL"
)
_LIST_KEYS = (
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
    "applicant",
    "outcome",
    "outcome_note",
)


def _like(text: str) -> str:
    """``text`` as a LIKE pattern's literal part (``\\`` escapes)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _received_range(day: str) -> tuple[str, str]:
    """The UTC ISO bounds of a China-time day, as ``received_at`` is stored."""
    start = datetime.fromisoformat(day).replace(tzinfo=CHINA)
    return iso_seconds(start), iso_seconds(start + timedelta(days=1))


class SqliteConsole:
    _write: Connect
    _read: Connect

    # Accounts and sessions

    def put_staff_account(self, username: str, name: str, role: Role, password_hash: str) -> bool:
        with self._write() as db:
            added = db.execute("SELECT 1 FROM staff_accounts WHERE username = ?", [username]).fetchone() is None
            db.execute(
                "INSERT INTO staff_accounts (username, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (username) DO UPDATE SET name = excluded.name, role = excluded.role,"
                " password_hash = excluded.password_hash, failures = 0, locked_until = NULL",
                [username, name, role, password_hash, iso_seconds(utc_now())],
            )
        return added

    def staff_account(self, username: str) -> StaffAccount | None:
        with self._read() as db:
            row = db.execute(
                "SELECT username, name, role, password_hash, failures, locked_until FROM staff_accounts"
                " WHERE username = ?",
                [username],
            ).fetchone()
        return StaffAccount(*row) if row else None

    def sign_in_failed(self, username: str, max_failures: int, locked_until: str) -> int:
        with self._write() as db:
            row = db.execute(
                "UPDATE staff_accounts SET failures = failures + 1 WHERE username = ? RETURNING failures", [username]
            ).fetchone()
            if row is None:
                return 0
            if row[0] >= max_failures:
                db.execute(
                    "UPDATE staff_accounts SET failures = 0, locked_until = ? WHERE username = ?",
                    [locked_until, username],
                )
                return 0
            return int(row[0])

    def open_session(self, username: str, token_hash: str, csrf: str, expires_at: str) -> None:
        now = iso_seconds(utc_now())
        with self._write() as db:
            db.execute("DELETE FROM console_sessions WHERE expires_at <= ?", [now])
            db.execute("UPDATE staff_accounts SET failures = 0, locked_until = NULL WHERE username = ?", [username])
            db.execute(
                "INSERT INTO console_sessions (token_hash, username, csrf, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [token_hash, username, csrf, now, expires_at],
            )

    def console_session(self, token_hash: str, now: str) -> ConsoleSession | None:
        with self._read() as db:
            row = db.execute(
                "SELECT a.username, a.name, a.role, s.csrf FROM console_sessions s"
                " JOIN staff_accounts a ON a.username = s.username WHERE s.token_hash = ? AND s.expires_at > ?",
                [token_hash, now],
            ).fetchone()
        return ConsoleSession(*row) if row else None

    def close_session(self, token_hash: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM console_sessions WHERE token_hash = ?", [token_hash])

    # Cases

    def cases(self) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(f"{_LIST_QUERY} ORDER BY s.case_number DESC")
            return [dict(zip(_LIST_KEYS, row, strict=True)) for row in rows]

    def find_cases(
        self, *, serial: str = "", applicant: str = "", item: str = "", day: str = "", limit: int = 200
    ) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        if serial:
            where.append("(s.serial LIKE ? ESCAPE '\\' OR s.case_number LIKE ? ESCAPE '\\')")
            params += [_like(serial.upper()) + "%"] * 2
        if applicant:
            # 王 finds 王**; 王* finds 王* only, as the mask says how long the name is
            where.append("s.applicant LIKE ? ESCAPE '\\'")
            params.append(_like(applicant) + ("" if applicant.endswith("*") else "%"))
        if item:
            where.append("(s.item_code = ? OR c.name LIKE ? ESCAPE '\\')")
            params += [item.upper(), "%" + _like(item) + "%"]
        if day:
            where.append("s.received_at >= ? AND s.received_at < ?")
            params += list(_received_range(day))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._read() as db:
            rows = db.execute(f"{_LIST_QUERY} {clause} ORDER BY s.change_seq DESC LIMIT ?", [*params, limit])
            return [dict(zip(_LIST_KEYS, row, strict=True)) for row in rows]

    def open_cases(self) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(
                f"{_LIST_QUERY} WHERE s.stage != ? AND s.outcome = '' ORDER BY s.received_at", [STAGES[-1]]
            ).fetchall()
            codes = sorted({row[2] for row in rows})
            promised: dict[str, int] = {}
            for start in range(0, len(codes), 500):  # only the items of open cases, not the whole catalog's JSON
                chunk = codes[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for code, item in db.execute(
                    f"SELECT code, item FROM catalog WHERE item IS NOT NULL AND code IN ({marks})", chunk
                ):
                    promised[code] = int(json.loads(item).get("promised_days", 0))
        cases = [dict(zip(_LIST_KEYS, row, strict=True)) for row in rows]
        for case in cases:
            case["promised_days"] = promised.get(case["item"])
        return cases

    def case_history(self, serial: str) -> list[dict[str, str]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT h.stage, h.at, h.note, h.by_whom FROM case_history h JOIN submissions s"
                " ON s.id = h.submission_id WHERE s.serial = ? ORDER BY h.rowid",
                [serial],
            ).fetchall()
        return [dict(zip(("stage", "at", "note", "by"), row, strict=True)) for row in rows]

    # Ratings

    def follow_up(self, submission_id: str, action: str, by: str) -> None:
        with self._write() as db:
            if db.execute("SELECT 1 FROM evaluations WHERE submission_id = ?", [submission_id]).fetchone() is None:
                raise NotFound("没有这条评价")
            db.execute(
                "INSERT INTO rating_followups (submission_id, action, by_whom, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (submission_id) DO UPDATE SET action = excluded.action, by_whom = excluded.by_whom,"
                " at = excluded.at",
                [submission_id, action, by, iso_seconds(utc_now())],
            )
