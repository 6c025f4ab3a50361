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


class QueueStorage(ABC):
    """The queue's part of :class:`~kiosk.hall.storage.HallStorage`. ``day`` defaults to the hall's today and
    ``now`` to the hall's local time; ``station`` may be None while one station issues tickets that day
    (:class:`~kiosk.hall.storage.Rejected` when several do). :class:`~kiosk.hall.storage.NotFound` for an unknown
    ticket, :class:`~kiosk.hall.storage.QueueConflict` for an action its status does not allow."""

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

    @abstractmethod
    def call_next(
        self,
        window: str,
        category: str | None = None,
        station: str | None = None,
        day: str | None = None,
        now: datetime | None = None,
    ) -> CallAnswer:
        """Finish the ticket ``window`` had called and call the next by the rule (of ``category`` if given)."""

    @abstractmethod
    def ticket_action(
        self, action: Action, code: str, station: str | None = None, day: str | None = None
    ) -> TicketView:
        """Recall, skip, hold or resume the ticket ``code`` (see :data:`ACTIONS`)."""

    @abstractmethod
    def queue_board(
        self, station: str | None = None, day: str | None = None, now: datetime | None = None
    ) -> QueueBoard:
        """What a display board shows: the ticket at each window, the next few, people waiting per category."""

    @abstractmethod
    def queue_tickets(
        self, station: str | None = None, day: str | None = None, now: datetime | None = None
    ) -> StaffQueue:
        """Every ticket of the line, for the staff."""

    @abstractmethod
    def ticket_position(self, station: str, day: str, code: str, now: datetime | None = None) -> TicketPosition | None:
        """A ticket's status and the people ahead of it by the rule; None if the hall has no such ticket."""
