"""Queue calling as every storage back-end must keep it: the tickets kiosks hand over, the calls of the windows,
and what boards and kiosks read of the line.

Who is called next is :mod:`kiosk.queue_rule` (priority balanced against waiting time), with the two numbers the
hall keeps (:meth:`QueueStorage.queue_rule`). A line is one station's tickets of one day: the station is the kiosk
that issued them (ticket numbers count per kiosk), and may be left out while only one station issues tickets that
day. A window's next call finishes the ticket it had called (``done``); a called ticket may be recalled (to the
same window), skipped (no-show) or held, and a held one resumed into the line at its old place.

    >>> storage.call_next("5", category="A")          # CallAnswer: the ticket called, the one finished
    >>> storage.ticket_action("hold", "A003")
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.hall.queue_models import (
    Action,
    CallAnswer,
    QueueBoard,
    StaffQueue,
    TicketIn,
    TicketPosition,
    TicketView,
)
from kiosk.queue_rule import QueueRule

if TYPE_CHECKING:
    from kiosk.hall.storage import Principal

BOARD_NEXT = 5  # tickets a board shows as coming next

# From which statuses each action may be taken, and the status it leaves.
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "recall": (frozenset({"called"}), "called"),
    "skip": (frozenset({"called"}), "skipped"),
    "hold": (frozenset({"waiting", "called"}), "held"),
    "resume": (frozenset({"held"}), "waiting"),
}


def ticket_code(category: str, number: int) -> str:
    """``A003``: as the kiosk prints it."""
    return f"{category}{number:03d}"


def split_code(code: str) -> tuple[str, int]:
    """``A003`` → ``("A", 3)``."""
    return code[0], int(code[1:])


def ticket_key(day: str, category: str, number: int) -> str:
    """How a kiosk and the hall name one ticket in a push's answer: ``2026-11-23/A003``."""
    return f"{day}/{ticket_code(category, number)}"


def hall_now() -> datetime:
    """Now, in local time without a zone. Kiosks count their tickets' days by their own clock, so the hall keeps
    the same time zone as its kiosks (a hall in UTC runs with ``TZ=Asia/Shanghai``); the demo and ``kiosk hall
    call`` beside it then agree on any machine."""
    return datetime.now()


class QueueStorage(ABC):
    """The queue's part of :class:`~kiosk.hall.storage.HallStorage`. ``day`` defaults to the hall's today and
    ``now`` to the hall's local time (:attr:`queue_clock`), settled here once for every back-end; ``station`` may
    be None while one station issues tickets that day (:class:`~kiosk.hall.storage.Rejected` when several do).
    :class:`~kiosk.hall.storage.NotFound` for an unknown ticket, :class:`~kiosk.hall.storage.QueueConflict` for an
    action its status does not allow."""

    queue_clock: Callable[[], datetime] = staticmethod(hall_now)
    """The hall's local time for the queue: its today and how long tickets have waited (a test sets its own)."""

    @abstractmethod
    def record_ticket(self, sender: Principal, ticket: TicketIn, content_hash: str) -> bool:
        """File a ticket under the sender's station: True if stored now, False if held already;
        :class:`~kiosk.hall.storage.Rejected` if its station, day and code were used with other content."""

    @abstractmethod
    def new_board_token(self) -> str:
        """A bearer token that reads the queue's board and nothing else."""

    @abstractmethod
    def is_board_token(self, token: str) -> bool: ...

    @abstractmethod
    def queue_rule(self) -> QueueRule:
        """The calling rule's numbers the hall keeps (the defaults until set)."""

    @abstractmethod
    def set_queue_rule(self, rule: QueueRule) -> None: ...

    def call_next(
        self,
        window: str,
        category: str | None = None,
        station: str | None = None,
        day: str | None = None,
        now: datetime | None = None,
    ) -> CallAnswer:
        """Finish the ticket ``window`` had called and call the next by the rule (of ``category`` if given)."""
        day, now = self._settle(day, now)
        return self._call_next(window, category, station, day, now)

    def ticket_action(
        self, action: Action, code: str, station: str | None = None, day: str | None = None
    ) -> TicketView:
        """Recall, skip, hold or resume the ticket ``code`` (see :data:`ACTIONS`)."""
        return self._ticket_action(action, code, station, self._settle(day, None)[0])

    def queue_board(
        self, station: str | None = None, day: str | None = None, now: datetime | None = None
    ) -> QueueBoard:
        """What a display board shows: the ticket at each window, the next few, people waiting per category."""
        return self._queue_board(station, *self._settle(day, now))

    def queue_tickets(
        self, station: str | None = None, day: str | None = None, now: datetime | None = None
    ) -> StaffQueue:
        """Every ticket of the line, for the staff."""
        return self._queue_tickets(station, *self._settle(day, now))

    def ticket_position(self, station: str, day: str, code: str, now: datetime | None = None) -> TicketPosition | None:
        """A ticket's status and the people ahead of it by the rule; None if the hall has no such ticket."""
        return self._ticket_position(station, day, code, now or self.queue_clock())

    def _settle(self, day: str | None, now: datetime | None) -> tuple[str, datetime]:
        """The day and the moment a call is about: the hall's today and local time unless given."""
        now = now or self.queue_clock()
        return day or now.date().isoformat(), now

    # What a back-end implements: the calls above with the day and the moment settled

    @abstractmethod
    def _call_next(
        self, window: str, category: str | None, station: str | None, day: str, now: datetime
    ) -> CallAnswer: ...

    @abstractmethod
    def _ticket_action(self, action: Action, code: str, station: str | None, day: str) -> TicketView: ...

    @abstractmethod
    def _queue_board(self, station: str | None, day: str, now: datetime) -> QueueBoard: ...

    @abstractmethod
    def _queue_tickets(self, station: str | None, day: str, now: datetime) -> StaffQueue: ...

    @abstractmethod
    def _ticket_position(self, station: str, day: str, code: str, now: datetime) -> TicketPosition | None: ...
