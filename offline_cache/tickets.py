"""Queue tickets issued here, on the store's database (:mod:`offline_cache.database`) as the outbox is.

A ticket is numbered per category and day, and committed with its outbox entry before it is shown or printed, so
the hall's windows can call every ticket a resident holds. Its status is the hall's to change; the kiosk keeps it
as the hall last said, to count the people ahead while the hall is out of reach.

    >>> tickets = Tickets(database)
    >>> tickets.issue("A", priority=False, when=datetime.now())
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from offline_cache.outbox import ticket_row

if TYPE_CHECKING:
    from offline_cache.database import Database

_QUERY = "SELECT day, category, number, priority, issued_at, status, appointment FROM tickets"


@dataclass(frozen=True, slots=True)
class StoredTicket:
    """A queue ticket issued here; ``status`` is waiting until the hall says otherwise."""

    day: str
    category: str
    number: int
    priority: bool
    issued_at: datetime
    status: str
    appointment: str = ""  # the id of the appointment it checks in; empty for a walk-in


class Tickets:
    """The tickets table, on the kiosk's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def issue(self, category: str, priority: bool, when: datetime, appointment: str = "") -> StoredTicket:
        """The next ticket of ``category`` on ``when``'s day, committed with its outbox entry for the hall.
        ``appointment``: the id of the appointment it checks in."""
        day = when.date().isoformat()
        with self._database.transaction() as db:
            number = db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM tickets WHERE day = ? AND category = ?", [day, category]
            ).fetchone()[0]
            ticket = StoredTicket(day, category, number, priority, when.replace(microsecond=0), "waiting", appointment)
            row = {
                "day": day,
                "category": category,
                "number": number,
                "priority": int(priority),
                "issued_at": ticket.issued_at.isoformat(),
                "appointment": appointment,
            }
            db["tickets"].insert({**row, "status": "waiting"})
            db["outbox"].insert(ticket_row({**row, "priority": priority}, time.time()))
        return ticket

    def find(self, day: str, category: str, number: int) -> StoredTicket | None:
        """A ticket issued here, or None if it is not ours."""
        with self._database.locked() as db:
            rows = db.execute(
                _QUERY + " WHERE day = ? AND category = ? AND number = ?", [day, category, number]
            ).fetchall()
        return _ticket(rows[0]) if rows else None

    def waiting(self, day: str, category: str) -> list[StoredTicket]:
        """The tickets of ``category`` issued here on ``day`` that wait, as far as this kiosk knows."""
        with self._database.locked() as db:
            rows = db.execute(
                _QUERY + " WHERE day = ? AND category = ? AND status = 'waiting' ORDER BY number", [day, category]
            ).fetchall()
        return [_ticket(row) for row in rows]

    def set_status(self, day: str, category: str, number: int, status: str) -> None:
        """Keep a ticket's status as the hall said it (its windows call tickets; this kiosk only issues them)."""
        with self._database.transaction() as db:
            db.execute(
                "UPDATE tickets SET status = ? WHERE day = ? AND category = ? AND number = ?",
                [status, day, category, number],
            )


def _ticket(row: tuple) -> StoredTicket:
    day, category, number, priority, issued_at, status, appointment = row
    return StoredTicket(day, category, number, bool(priority), datetime.fromisoformat(issued_at), status, appointment)
