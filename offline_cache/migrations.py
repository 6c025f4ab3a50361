"""The schema of the kiosk's database, version by version, kept in SQLite's ``PRAGMA user_version``.

Each version is one transaction that ends by setting ``user_version``, so a power cut mid-way leaves the previous
version whole and the next start carries on from there. A database made by a newer kiosk is refused, never
guessed at. Change the schema only by adding a version at the end: the old steps are how old kiosks' databases
reach today.

    >>> migrate(Database(tmp_path / "kiosk.db"))
"""

from __future__ import annotations

import time

import sqlite_utils

from offline_cache.database import Database
from offline_cache.errors import CacheError
from offline_cache.outbox import evaluation_row


def migrate(database: Database) -> None:
    """Bring ``database`` to :data:`SCHEMA_VERSION`; :class:`CacheError` if a newer kiosk made it."""
    with database.locked() as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise CacheError(f"{database.path}: made by a newer kiosk version (schema {version}); update this kiosk")
    for target, step in enumerate(_STEPS, start=1):
        if version < target:
            with database.transaction() as db:
                step(db)
                db.execute(f"PRAGMA user_version={target}")


def _first_schema(db: sqlite_utils.Database) -> None:
    """Version 1: submissions with their upload state, evaluations, queue tickets."""
    db["submissions"].create(
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
    db["submissions"].create_index(["serial"], unique=True)
    db["submissions"].create_index(["day", "sequence"], unique=True)
    db["evaluations"].create(
        {"submission_id": str, "level": int, "created_at": str, "state": str},
        pk="submission_id",
        foreign_keys=[("submission_id", "submissions", "id")],
        defaults={"state": "pending"},
    )
    db["tickets"].create(
        {"day": str, "category": str, "number": int, "priority": int, "issued_at": str},
        pk=("day", "category", "number"),
    )


def _ticket_status(db: sqlite_utils.Database) -> None:
    """Version 2: queue systems track each ticket: waiting, called, serving, done, no-show, cancelled."""
    db["tickets"].add_column("status", str, not_null_default="waiting")


def _outbox(db: sqlite_utils.Database) -> None:
    """Version 3: one outbox for everything that waits for the hall, the hall's enrolment, the mirrors.

    Submissions of version 2 kept their payload in clear; it stays in ``payload`` only until the kiosk knows the
    hall's key, then :meth:`Store.enrol <offline_cache.store.Store.enrol>` seals it into the outbox and erases it.
    """
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
        db["outbox"].insert(evaluation_row(row["submission_id"], row["level"], row["created_at"], now))
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


def _repeat_filings(db: sqlite_utils.Database) -> None:
    """Version 4: find an applicant's earlier filing of an item, know when a stage was seen, a bad rating's reason."""
    submissions = db["submissions"]
    submissions.add_column("applicant_key", str, not_null_default="")
    submissions.add_column("stage_at", str, not_null_default="")
    submissions.create_index(["applicant_key", "item_code"])
    db["evaluations"].add_column("reason", str, not_null_default="")


def _resident_services(db: sqlite_utils.Database) -> None:
    """A case's payment and posted materials as the hall last said, the hall's signing key for appointment codes,
    and the appointments checked in here (each once)."""
    submissions = db["submissions"]
    submissions.add_column("payment_state", str, not_null_default="")
    submissions.add_column("materials_state", str, not_null_default="")
    db["enrolment"].add_column("hall_signing_key", str, not_null_default="")
    db["appointment_checkins"].create(
        {"appointment_id": str, "item_code": str, "checked_in_at": str, "ticket": str}, pk="appointment_id"
    )


def _holiday_mirror(db: sqlite_utils.Database) -> None:
    """The hall's holiday table, for counting working days past the years ``chinese-calendar`` knows; a day the
    hall took out again stays as kind ``normal``."""
    db["holiday_mirror"].create({"day": str, "kind": str, "name": str, "version": int}, pk="day")


def _ticket_appointments(db: sqlite_utils.Database) -> None:
    """A queue ticket may check in an appointment (its id); tickets go to the hall through the outbox from now on,
    so windows can call them."""
    db["tickets"].add_column("appointment", str, not_null_default="")


def _hall_certificate(db: sqlite_utils.Database) -> None:
    """The fingerprint of the hall's TLS certificate as seen at enrolment: the hall must present it ever after."""
    db["enrolment"].add_column("hall_certificate_sha256", str, not_null_default="")


def _receipt_copies(db: sqlite_utils.Database) -> None:
    """Version 9: how many copies of a submission's receipt may be on paper (printed, or broken off part-way), so
    each later copy is marked 补打 with its number."""
    db["submissions"].add_column("receipt_copies", int, not_null_default=0)


# Version n is made by _STEPS[n - 1]; a new version is a new step at the end.
_STEPS = (
    _first_schema,
    _ticket_status,
    _outbox,
    _repeat_filings,
    _resident_services,
    _holiday_mirror,
    _ticket_appointments,
    _hall_certificate,
    _receipt_copies,
)
SCHEMA_VERSION = len(_STEPS)
