"""The SQLite hall's queue (:class:`~kiosk.hall.queue.QueueStorage`): tickets, calls, boards and their tokens.
Mixed into :class:`~kiosk.hall.sqlite_storage.SqlHallStorage`, whose database (``_write``, ``_read``) it shares.

A call is one immediate transaction (finish the window's ticket, pick the next, call it), so two windows calling
at once never get the same ticket. Every change to a ticket takes the next value of the ``queue_change`` counter,
which boards read as ``changed``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from kiosk.hall.queue import ACTIONS, BOARD_NEXT, QueueStorage, split_code, ticket_code, ticket_key
from kiosk.hall.queue_models import (
    Action,
    BoardTicket,
    CallAnswer,
    CategoryWaiting,
    QueueBoard,
    QueueRuleView,
    StaffQueue,
    TicketIn,
    TicketPosition,
    TicketView,
)
from kiosk.hall.schema import RowConflict
from kiosk.hall.sqlite_db import Connect, next_value
from kiosk.hall.storage import NotFound, Principal, QueueConflict, Rejected, iso_seconds, token_hash, utc_now
from kiosk.queue_rule import QueueRule, call_order, next_ticket, people_ahead

_COLUMNS = "category, number, priority, appointment, issued_at, status, at_window, calls, called_at, change_seq"
_STATUS_NAMES = {"waiting": "等候中", "called": "已叫号", "held": "暂停", "skipped": "过号", "done": "已办完"}
_ACTION_NAMES = {"recall": "重呼", "skip": "过号", "hold": "暂停", "resume": "恢复"}


def local_time(text: str) -> datetime:
    """An ISO time as local time without a zone, as kiosks write issue times."""
    moment = datetime.fromisoformat(text.upper())
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


@dataclass(frozen=True, slots=True)
class _Ticket:
    """A row of ``queue_tickets``, as the calling rule reads it."""

    category: str
    number: int
    priority: bool
    appointment: str
    issued_at: datetime
    status: str
    window: str
    calls: int
    called_at: str | None
    change_seq: int

    @classmethod
    def of(cls, row: tuple) -> _Ticket:
        category, number, priority, appointment, issued_at, *rest = row
        return cls(category, number, bool(priority), appointment, local_time(issued_at), *rest)

    @property
    def code(self) -> str:
        return ticket_code(self.category, self.number)

    def view(self) -> TicketView:
        return TicketView(
            code=self.code,
            category=self.category,
            number=self.number,
            priority=self.priority,
            appointment=self.appointment,
            issued_at=self.issued_at.isoformat(timespec="seconds"),
            status=self.status,  # type: ignore[arg-type]  # the table's CHECK keeps it to the five
            window=self.window,
            calls=self.calls,
            called_at=self.called_at,
        )

    def on_board(self) -> BoardTicket:
        return BoardTicket(
            code=self.code,
            category=self.category,
            priority=self.priority,
            appointment=bool(self.appointment),
            window=self.window,
            called_at=self.called_at,
            calls=self.calls,
        )


class SqliteQueue(QueueStorage):
    _write: Connect
    _read: Connect

    # Tickets from kiosks, tokens for boards, the rule

    def record_ticket(self, sender: Principal, ticket: TicketIn, content_hash: str) -> bool:
        now = iso_seconds(utc_now())
        where = [sender.station_id, ticket.day, ticket.category, ticket.number]
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO queue_tickets (station_id, day, category, number, priority, issued_at, appointment,"
                    " content_hash, kiosk_id, received_at, status, change_seq)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?)",
                    [
                        *where,
                        int(ticket.priority),
                        ticket.issued_at,
                        ticket.appointment,
                        content_hash,
                        sender.kiosk_id,
                        now,
                        next_value(db, "queue_change"),
                    ],
                )
                db.execute("UPDATE kiosks SET last_seen = ? WHERE kiosk_id = ?", [now, sender.kiosk_id])
            return True
        except RowConflict:
            with self._read() as db:
                row = db.execute(
                    "SELECT content_hash FROM queue_tickets WHERE station_id = ? AND day = ? AND category = ?"
                    " AND number = ?",
                    where,
                ).fetchone()
            if row is None:
                raise
            if row[0] != content_hash:
                key = ticket_key(ticket.day, ticket.category, ticket.number)
                raise Rejected(f"ticket {key} of {sender.station_id} already used with different content") from None
            return False

    def new_board_token(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._write() as db:
            db.execute(
                "INSERT INTO board_tokens (token_hash, created_at) VALUES (?, ?)",
                [token_hash(token), iso_seconds(utc_now())],
            )
        return token

    def is_board_token(self, token: str) -> bool:
        with self._read() as db:
            return bool(
                db.execute(
                    "SELECT 1 FROM board_tokens WHERE token_hash = ? AND revoked_at IS NULL", [token_hash(token)]
                ).fetchone()
            )

    def queue_rule(self) -> QueueRule:
        with self._read() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'queue_rule'").fetchone()
        return QueueRule(**json.loads(row[0])) if row else QueueRule()

    def set_queue_rule(self, rule: QueueRule) -> None:
        value = _rule_view(rule)
        with self._write() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('queue_rule', ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value",
                [value.model_dump_json()],
            )

    # The windows' work

    def _call_next(self, window: str, category: str | None, station: str | None, day: str, now: datetime) -> CallAnswer:
        rule = self.queue_rule()
        with self._write() as db:
            station = _station(db, station, day)
            line = _line(db, station, day)
            finished = next((t for t in line if t.status == "called" and t.window == window), None)
            if finished is not None:
                finished = _update(db, station, day, finished, "status = 'done'")
            waiting = [t for t in line if t.status == "waiting" and category in (None, t.category)]
            chosen = next_ticket(waiting, now, rule)
            if chosen is not None:
                called_at = iso_seconds(utc_now())
                chosen = _update(
                    db,
                    station,
                    day,
                    chosen,
                    "status = 'called', at_window = ?, calls = calls + 1, called_at = ?",
                    [window, called_at],
                )
        return CallAnswer(
            station=station,
            ticket=chosen.view() if chosen else None,
            finished=finished.view() if finished else None,
            waiting=len(waiting) - (chosen is not None),
        )

    def _ticket_action(self, action: Action, code: str, station: str | None, day: str) -> TicketView:
        allowed, status = ACTIONS[action]
        category, number = split_code(code)
        with self._write() as db:
            station = _station(db, station, day)
            ticket = _one(db, station, day, category, number)
            if ticket is None:
                raise NotFound(f"{day} 没有排队号 {ticket_code(category, number)}")
            if ticket.status not in allowed:
                raise QueueConflict(
                    f"排队号 {ticket.code} 现在是「{_STATUS_NAMES[ticket.status]}」，不能{_ACTION_NAMES[action]}"
                )
            if action == "recall":
                ticket = _update(db, station, day, ticket, "calls = calls + 1, called_at = ?", [iso_seconds(utc_now())])
            else:
                ticket = _update(db, station, day, ticket, "status = ?", [status])
        return ticket.view()

    # What boards, staff and kiosks read

    def _queue_board(self, station: str | None, day: str, now: datetime) -> QueueBoard:
        rule = self.queue_rule()
        with self._read() as db:
            station = _station(db, station, day)
            line = _line(db, station, day)
        called = sorted((t for t in line if t.status == "called"), key=lambda t: -t.change_seq)
        waiting = [t for t in line if t.status == "waiting"]
        return QueueBoard(
            station=station,
            day=day,
            changed=max((t.change_seq for t in line), default=0),
            called=[t.on_board() for t in called],
            next=[t.on_board() for t in call_order(waiting, now, rule)[:BOARD_NEXT]],
            waiting=[
                CategoryWaiting(category=c, waiting=sum(t.category == c for t in waiting))
                for c in sorted({t.category for t in line})
            ],
        )

    def _queue_tickets(self, station: str | None, day: str, now: datetime) -> StaffQueue:
        rule = self.queue_rule()
        with self._read() as db:
            station = _station(db, station, day)
            line = _line(db, station, day)

        def having(status: str) -> list[_Ticket]:
            return [t for t in line if t.status == status]

        ordered = [
            *sorted(having("called"), key=lambda t: -t.change_seq),
            *call_order(having("waiting"), now, rule),
            *having("held"),
            *having("skipped"),
            *having("done"),
        ]
        return StaffQueue(station=station, day=day, rule=_rule_view(rule), tickets=[t.view() for t in ordered])

    def _ticket_position(self, station: str, day: str, code: str, now: datetime) -> TicketPosition | None:
        rule = self.queue_rule()
        category, number = split_code(code)
        with self._read() as db:
            line = _line(db, station, day)
        ticket = next((t for t in line if (t.category, t.number) == (category, number)), None)
        if ticket is None:
            return None
        waiting = [t for t in line if t.status == "waiting"]
        return TicketPosition(
            code=ticket.code,
            day=day,
            status=ticket.view().status,
            window=ticket.window,
            ahead=people_ahead(ticket, waiting, now, rule) if ticket.status == "waiting" else None,
            rule=_rule_view(rule),
        )


def _rule_view(rule: QueueRule) -> QueueRuleView:
    return QueueRuleView(priority_head_start=rule.priority_head_start, max_wait=rule.max_wait)


def _station(db: sqlite3.Connection, station: str | None, day: str) -> str:
    """The station named, or the one that issued tickets on ``day`` (empty if none did)."""
    if station is not None:
        return station
    stations = [row[0] for row in db.execute("SELECT DISTINCT station_id FROM queue_tickets WHERE day = ?", [day])]
    if len(stations) > 1:
        raise Rejected(f"{day} 有多台终端发号（{', '.join(sorted(stations))}），请指明 station")
    return stations[0] if stations else ""


def _line(db: sqlite3.Connection, station: str, day: str) -> list[_Ticket]:
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM queue_tickets WHERE station_id = ? AND day = ? ORDER BY issued_at, category, number",
        [station, day],
    )
    return [_Ticket.of(row) for row in rows]


def _one(db: sqlite3.Connection, station: str, day: str, category: str, number: int) -> _Ticket | None:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM queue_tickets WHERE station_id = ? AND day = ? AND category = ? AND number = ?",
        [station, day, category, number],
    ).fetchone()
    return _Ticket.of(row) if row else None


def _update(
    db: sqlite3.Connection, station: str, day: str, ticket: _Ticket, assignments: str, values: list | None = None
) -> _Ticket:
    """Change one ticket, counting the change for the boards; returns it as changed."""
    row = db.execute(
        f"UPDATE queue_tickets SET {assignments}, change_seq = ? WHERE station_id = ? AND day = ? AND category = ?"
        f" AND number = ? RETURNING {_COLUMNS}",
        [*(values or []), next_value(db, "queue_change"), station, day, ticket.category, ticket.number],
    ).fetchone()
    return _Ticket.of(row)
