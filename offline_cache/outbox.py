"""The outbox: everything that waits for the hall, with its state, attempts, next attempt time and last error.

States are ``pending``, ``acknowledged`` and ``quarantined``; there is no "sending" state, so a crash at any
moment can only cause a resend, which the hall answers with its first answer. An acknowledged submission keeps
its row as a tombstone (id, time, the hall's answer) while its sealed body is erased. A quarantined item (the
hall rejected it as invalid) keeps its body for a technician and never blocks the others.

The store adds an item in the same transaction as what it stands for (:func:`outbox_row`,
:func:`evaluation_row`, :func:`ticket_row`); the sync engine works the queue through :class:`Outbox`.

    >>> outbox = Outbox(database)
    >>> for item in outbox.due("submission", time.time(), limit=50): ...
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from offline_cache.database import Database


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: str
    kind: str
    body: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """Submissions by state, the creation time (Unix) of the oldest pending one, and pending evaluations."""

    pending: int
    acknowledged: int
    quarantined: int
    oldest_pending_at: float | None
    pending_evaluations: int
    last_item_error: str


_CHUNK = 500  # ids per IN (...): well under SQLite's limit on bound parameters


def outbox_row(item_id: str, kind: str, body: dict[str, Any], now: float) -> dict[str, Any]:
    """A new pending row, due at once."""
    return {
        "id": item_id,
        "kind": kind,
        "body": json.dumps(body, ensure_ascii=False, sort_keys=True),
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }


def evaluation_row(submission_id: str, level: int, created_at: str, now: float, reason: str = "") -> dict[str, Any]:
    """A new pending row for a resident's rating of a transaction (with the reason given for a bad one)."""
    body: dict[str, Any] = {"submission_id": submission_id, "level": level, "created_at": created_at}
    if reason:
        body["reason"] = reason
    return outbox_row(f"evaluation:{submission_id}", "evaluation", body, now)


def ticket_row(ticket: dict[str, Any], now: float) -> dict[str, Any]:
    """A new pending row for a queue ticket (``day``, ``category``, ``number``, ``priority``, ``issued_at``,
    ``appointment``), so the hall's windows can call it; its id holds the key the hall answers it by."""
    return outbox_row(f"ticket:{ticket_key(ticket)}", "ticket", ticket, now)


def ticket_key(ticket: dict[str, Any]) -> str:
    """How the hall names a ticket in its answers: ``2026-11-23/A003``."""
    return f"{ticket['day']}/{ticket['category']}{ticket['number']:03d}"


class Outbox:
    """The queue of what waits for the hall, on the kiosk's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def due(self, kind: str, now: float, limit: int) -> list[OutboxItem]:
        """Pending items of ``kind`` whose next attempt time has come, oldest first."""
        with self._database.locked() as db:
            rows = db.execute(
                "SELECT id, kind, body, attempts FROM outbox WHERE state = 'pending' AND kind = ?"
                " AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?",
                [kind, now, limit],
            ).fetchall()
        return [OutboxItem(id_, kind_, json.loads(body), attempts) for id_, kind_, body, attempts in rows]

    def body(self, item_id: str) -> dict[str, Any] | None:
        """What the hall is sent for ``item_id`` (a submission's stays sealed), e.g. for a technician looking at a
        quarantined item. None once the hall holds it (the body is erased) or if there is no such item."""
        with self._database.locked() as db:
            row = db.execute("SELECT body FROM outbox WHERE id = ?", [item_id]).fetchone()
        return json.loads(row[0]) if row and row[0] is not None else None

    def next_attempt_at(self) -> float | None:
        """When the earliest pending item falls due."""
        with self._database.locked() as db:
            return db.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'").fetchone()[0]

    def sent_before(self, limit: int) -> list[str]:
        """Pending submissions that were sent at least once: the hall may hold them and the answer was lost."""
        with self._database.locked() as db:
            rows = db.execute(
                "SELECT id FROM outbox WHERE state = 'pending' AND kind = 'submission' AND attempts > 0"
                " ORDER BY created_at LIMIT ?",
                [limit],
            ).fetchall()
        return [row[0] for row in rows]

    def acknowledge(self, answers: dict[str, dict[str, Any]], now: float) -> None:
        """The hall holds these items: erase their bodies, keep tombstones, mirror the case of a submission. One
        statement per change for the whole batch."""
        if not answers:
            return
        with self._database.transaction() as db:
            ids = list(answers)
            kinds: dict[str, str] = {}
            for first in range(0, len(ids), _CHUNK):
                chunk = ids[first : first + _CHUNK]
                kinds.update(
                    db.execute(
                        f"SELECT id, kind FROM outbox WHERE id IN ({', '.join('?' * len(chunk))})"
                        " AND state != 'acknowledged'",
                        chunk,
                    ).fetchall()
                )
            # A delivered heartbeat is of no further use.
            db.conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i, k in kinds.items() if k == "heartbeat"])
            db.conn.executemany(
                "UPDATE outbox SET state = 'acknowledged', body = NULL, acknowledged_at = ?, answer = ?,"
                " last_error = '' WHERE id = ?",
                [(now, json.dumps(answers[i], ensure_ascii=False), i) for i, k in kinds.items() if k != "heartbeat"],
            )
            stage_at = _local_now()
            db.conn.executemany(
                "UPDATE submissions SET case_number = ?, stage = ?, stage_at = ? WHERE id = ?",
                [
                    (answer["case_number"], answer.get("stage", ""), stage_at, i)
                    for i, k in kinds.items()
                    if k == "submission" and (answer := answers[i]).get("case_number")
                ],
            )

    def defer(self, ids: list[str], error: str, delay_for: Callable[[int], float], now: float) -> None:
        """Count a failed attempt; the next falls due after ``delay_for(attempts)`` seconds."""
        with self._database.transaction() as db:
            for item_id in ids:
                row = db.execute("SELECT attempts FROM outbox WHERE id = ?", [item_id]).fetchone()
                if row is None:
                    continue
                attempts = row[0] + 1
                db.execute(
                    "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?"
                    " AND state = 'pending'",
                    [attempts, now + delay_for(attempts), error, item_id],
                )

    def quarantine(self, item_id: str, error: str) -> None:
        """The hall rejected this item as invalid: set it aside for a technician; it no longer blocks others."""
        with self._database.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'quarantined', attempts = attempts + 1, last_error = ? WHERE id = ?",
                [error, item_id],
            )

    def release(self, now: float) -> int:
        """Make every pending item due now (connectivity came back); returns how many were waiting."""
        with self._database.transaction() as db:
            return db.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ?", [now, now]
            ).rowcount

    def enqueue_heartbeat(self, body: dict[str, Any], now: float) -> None:
        """Queue a device-health report; an older one not yet delivered is replaced, being stale."""
        with self._database.transaction() as db:
            db.execute("DELETE FROM outbox WHERE kind = 'heartbeat' AND state = 'pending'")
            db["outbox"].insert(outbox_row(f"heartbeat:{now:.6f}", "heartbeat", body, now))

    def counts(self) -> OutboxCounts:
        with self._database.locked() as db:
            by_state = dict(
                db.execute("SELECT state, COUNT(*) FROM outbox WHERE kind = 'submission' GROUP BY state").fetchall()
            )
            oldest = db.execute(
                "SELECT MIN(created_at) FROM outbox WHERE kind = 'submission' AND state = 'pending'"
            ).fetchone()[0]
            evaluations = db.execute(
                "SELECT COUNT(*) FROM outbox WHERE kind = 'evaluation' AND state = 'pending'"
            ).fetchone()[0]
            error = db.execute(
                "SELECT last_error FROM outbox WHERE state != 'acknowledged' AND last_error != ''"
                " ORDER BY next_attempt_at DESC LIMIT 1"
            ).fetchone()
            clear = db.execute("SELECT COUNT(*) FROM submissions WHERE payload IS NOT NULL").fetchone()[0]
        return OutboxCounts(
            pending=by_state.get("pending", 0) + clear,
            acknowledged=by_state.get("acknowledged", 0),
            quarantined=by_state.get("quarantined", 0),
            oldest_pending_at=oldest,
            pending_evaluations=evaluations,
            last_item_error=error[0] if error else "",
        )


def _local_now() -> str:
    """The kiosk's local time, as submissions record theirs."""
    return datetime.now().isoformat(timespec="seconds")
