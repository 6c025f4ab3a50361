"""The order in which waiting queue tickets are called: priority balanced against waiting time.

The rule, the same at the hall (which calls) and at the kiosk (which counts the people ahead offline):

1. A ticket that has waited ``max_wait`` minutes or more is *overdue*. Overdue tickets are called before all
   others, first come first served: once a ticket has waited ``max_wait`` minutes, nobody who came after it is
   called before it.
2. Among the others, a priority ticket counts as if it had been issued ``priority_head_start`` minutes earlier
   than it was; the earliest (so counted) is called first. A tie goes to the priority ticket, then to the one
   issued first, then to the lower category letter and number.

So a priority ticket overtakes the ordinary tickets issued less than ``priority_head_start`` minutes before it,
but never one that has waited ``max_wait`` minutes. ``priority_head_start = 0`` (or ``max_wait = 0``) is plain
first come, first served. "People ahead" of a waiting ticket are the tickets of its category before it in this
order, now.

    >>> rule = QueueRule(priority_head_start=15, max_wait=30)
    >>> call_order(waiting, now, rule)[0]          # the next ticket to call
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar


@dataclass(frozen=True, slots=True)
class QueueRule:
    """The two numbers of the calling rule, in minutes; a hall setting (``kiosk hall queue-rule``)."""

    priority_head_start: int = 15
    max_wait: int = 30


class InLine(Protocol):
    """What the rule needs to know of a waiting ticket."""

    @property
    def category(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def priority(self) -> bool: ...


T = TypeVar("T", bound=InLine)


def call_order(waiting: Iterable[T], now: datetime, rule: QueueRule) -> list[T]:
    """``waiting`` in the order they are to be called at ``now``: overdue tickets first, first come first served,
    then the rest by their issue time less the priority head start."""
    max_wait = timedelta(minutes=rule.max_wait)
    head_start = timedelta(minutes=rule.priority_head_start)

    def key(ticket: T) -> tuple:
        overdue = now - ticket.issued_at >= max_wait
        counted_from = ticket.issued_at if overdue or not ticket.priority else ticket.issued_at - head_start
        return (not overdue, counted_from, not ticket.priority, ticket.issued_at, ticket.category, ticket.number)

    return sorted(waiting, key=key)


def next_ticket(waiting: Iterable[T], now: datetime, rule: QueueRule) -> T | None:
    """The ticket to call now, or None when nobody waits."""
    order = call_order(waiting, now, rule)
    return order[0] if order else None


def people_ahead(ticket: InLine, waiting: Iterable[T], now: datetime, rule: QueueRule) -> int:
    """How many tickets of ``ticket``'s category would be called before it (``waiting`` may include it)."""
    same = [t for t in waiting if t.category == ticket.category and t.number != ticket.number]
    mine = _Probe(ticket.category, ticket.number, ticket.issued_at, ticket.priority)
    return call_order([*same, mine], now, rule).index(mine)


@dataclass(frozen=True, slots=True, eq=False)
class _Probe:
    """The ticket asked about, found again by identity in the order."""

    category: str
    number: int
    issued_at: datetime
    priority: bool
