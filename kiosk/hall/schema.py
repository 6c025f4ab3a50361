"""The hall's tables, one schema for both back-ends, and its versioned migrations.

The schema is written in SQLite's spelling; :func:`statements` gives PostgreSQL's (64-bit integers, identity
columns). A database records its version in ``schema_version``; :func:`migrate` applies what it lacks, in one
write transaction, at every start. Add a migration by appending to :data:`MIGRATIONS`; never edit one that
shipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

from kiosk.hall.storage import HallError

Dialect = Literal["sqlite", "postgresql"]


class Database(Protocol):
    """A back-end's database as the storage takes it: a write is one serialised transaction (inside another write
    of the same thread, a savepoint of it), a read one snapshot (inside a write, that write's own view), each
    yielding a connection whose ``execute`` takes the schema's SQL with ``?`` placeholders."""

    def write(self) -> AbstractContextManager[Any]: ...

    def read(self) -> AbstractContextManager[Any]: ...

    def forget_deleted(self) -> None:
        """Make what was deleted unrecoverable from the database's files, where the back-end keeps it."""

    def close(self) -> None: ...


class RowConflict(Exception):
    """A write broke a uniqueness rule (another request stored the same row first); the write was rolled back.
    Both back-ends raise it in place of their driver's integrity error."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS enrolment_codes (
    code TEXT PRIMARY KEY, created_at TEXT NOT NULL, used_at TEXT, used_by TEXT
);
CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, name TEXT NOT NULL, enrolled_at TEXT NOT NULL,
    revoked_at TEXT, last_seen TEXT
);
CREATE INDEX IF NOT EXISTS kiosks_station ON kiosks (station_id);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('kiosk', 'staff')), kiosk_id TEXT,
    created_at TEXT NOT NULL, revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY, serial TEXT NOT NULL UNIQUE, item_code TEXT NOT NULL, created_at TEXT NOT NULL,
    schema_version INTEGER NOT NULL, content_hash TEXT NOT NULL, payload TEXT NOT NULL, answer TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, station_id TEXT NOT NULL, case_number TEXT NOT NULL UNIQUE, stage TEXT NOT NULL,
    received_at TEXT NOT NULL, updated_at TEXT NOT NULL, change_seq INTEGER NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS submissions_station_change ON submissions (station_id, change_seq);
CREATE TABLE IF NOT EXISTS case_history (
    submission_id TEXT NOT NULL, stage TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_history_submission ON case_history (submission_id);
CREATE TABLE IF NOT EXISTS evaluations (
    submission_id TEXT PRIMARY KEY, level INTEGER NOT NULL, created_at TEXT NOT NULL, content_hash TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, received_at TEXT NOT NULL, reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS heartbeats (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kiosk_id TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS heartbeats_kiosk ON heartbeats (kiosk_id, id);
CREATE TABLE IF NOT EXISTS catalog (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, item TEXT, version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_version ON catalog (version);
CREATE TABLE IF NOT EXISTS queue_tickets (
    station_id TEXT NOT NULL, day TEXT NOT NULL, category TEXT NOT NULL, number INTEGER NOT NULL,
    priority INTEGER NOT NULL, issued_at TEXT NOT NULL, appointment TEXT NOT NULL, content_hash TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, received_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'held', 'skipped', 'done')),
    at_window TEXT NOT NULL DEFAULT '', calls INTEGER NOT NULL DEFAULT 0, called_at TEXT, change_seq INTEGER NOT NULL,
    PRIMARY KEY (station_id, day, category, number)
);
CREATE INDEX IF NOT EXISTS queue_tickets_status ON queue_tickets (station_id, day, status);
CREATE TABLE IF NOT EXISTS board_tokens (token_hash TEXT PRIMARY KEY, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS holidays (
    day TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday', 'normal')), name TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS holidays_version ON holidays (version);
CREATE TABLE IF NOT EXISTS materials_on_file (
    holder_key TEXT NOT NULL, material TEXT NOT NULL, reuse TEXT NOT NULL, valid_until TEXT,
    serial TEXT NOT NULL, filed_at TEXT NOT NULL, PRIMARY KEY (holder_key, material)
);
CREATE TABLE IF NOT EXISTS payments (
    submission_id TEXT PRIMARY KEY, cents INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending', 'paid')),
    created_at TEXT NOT NULL, paid_at TEXT
);
CREATE TABLE IF NOT EXISTS mailed_materials (
    submission_id TEXT PRIMARY KEY, materials TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('awaiting', 'received')), created_at TEXT NOT NULL, received_at TEXT
);
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY, item_code TEXT NOT NULL, day TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL,
    holder TEXT NOT NULL, code TEXT NOT NULL, created_at TEXT NOT NULL, checked_in_at TEXT, checked_in_by TEXT
);
"""

CONSOLE = """
ALTER TABLE submissions ADD COLUMN applicant TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'returned', 'refused'));
ALTER TABLE submissions ADD COLUMN outcome_note TEXT NOT NULL DEFAULT '';
ALTER TABLE case_history ADD COLUMN by_whom TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS staff_accounts (
    username TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('window', 'supervisor')),
    password_hash TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, locked_until TEXT, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS console_sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rating_followups (
    submission_id TEXT PRIMARY KEY, action TEXT NOT NULL, by_whom TEXT NOT NULL, at TEXT NOT NULL
)
"""
"""Version 2: the staff console's accounts, sessions and rating follow-ups; a case's masked applicant (to search
by), its return for missing materials or refusal, and who made each change."""


def fill_applicants(db: Any) -> None:
    """Version 3: the masked applicant of each case stored before the hall kept it."""
    from kiosk.hall.console.storage import applicant_shown

    rows = db.execute("SELECT id, payload FROM submissions WHERE applicant = ''").fetchall()
    db.executemany(
        "UPDATE submissions SET applicant = ? WHERE id = ?",
        [(shown, id_) for id_, payload in rows if (shown := applicant_shown(payload))],
    )


CLOCK_SKEW = "ALTER TABLE heartbeats ADD COLUMN clock_skew_seconds INTEGER"
"""Version 4: how far the kiosk's clock was from the hall's when it sent the heartbeat (NULL: it did not say)."""

MIGRATIONS: tuple[str | Callable[[Any], None], ...] = (SCHEMA, CONSOLE, fill_applicants, CLOCK_SKEW)
"""Version n is ``MIGRATIONS[n - 1]``: SQL, or a function given the connection for what SQL cannot say."""

_CASE_HISTORY = "at TEXT NOT NULL, note TEXT NOT NULL\n)"
_CASE_HISTORY_ORDERED = "at TEXT NOT NULL, note TEXT NOT NULL,\n    rowid BIGINT GENERATED ALWAYS AS IDENTITY\n)"


def statements(sql: str, dialect: Dialect) -> list[str]:
    """``sql``'s statements in ``dialect``."""
    if dialect == "postgresql":
        sql = sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
        sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
        # The order history is read in: SQLite's implicit rowid, a column of that name here.
        sql = sql.replace(_CASE_HISTORY, _CASE_HISTORY_ORDERED)
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


def migrate(db: Any, dialect: Dialect, found: int = 0) -> int:
    """Bring ``db`` (inside a write transaction) to the newest version and return it. ``found``: the version of a
    database made before versions were recorded. Refuses a database a newer hall has migrated."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT version FROM schema_version").fetchone()
    if row is None:
        version = found
        db.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
    else:
        version = int(row[0])
    if version > len(MIGRATIONS):
        raise HallError(f"数据库的结构版本 {version} 比这个大厅程序认识的（{len(MIGRATIONS)}）新：请升级大厅程序")
    for number in range(version + 1, len(MIGRATIONS) + 1):
        step = MIGRATIONS[number - 1]
        if callable(step):
            step(db)
        else:
            for statement in statements(step, dialect):
                db.execute(statement)
        db.execute("UPDATE schema_version SET version = ?", [number])
    return len(MIGRATIONS)
