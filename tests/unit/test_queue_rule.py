"""The calling rule's edges: the priority head start, the longest wait, categories, nobody waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from kiosk.queue_rule import QueueRule, call_order, next_ticket, people_ahead

OPEN = datetime(2026, 11, 23, 9, 0)
RULE = QueueRule(priority_head_start=15, max_wait=30)


@dataclass(frozen=True)
class Ticket:
    category: str
    number: int
    issued_at: datetime
    priority: bool = False


def at(minutes: float, number: int, priority: bool = False, category: str = "A") -> Ticket:
    return Ticket(category, number, OPEN + timedelta(minutes=minutes), priority)


def codes(tickets) -> list[str]:
    return [f"{t.category}{t.number:03d}" for t in tickets]


def now(minutes: float) -> datetime:
    return OPEN + timedelta(minutes=minutes)


def test_nobody_waiting_means_nobody_is_called():
    assert next_ticket([], now(0), RULE) is None
    assert call_order([], now(0), RULE) == []


def test_without_priority_it_is_first_come_first_served():
    waiting = [at(5, 2), at(0, 1), at(9, 3)]
    assert codes(call_order(waiting, now(10), RULE)) == ["A001", "A002", "A003"]


@pytest.mark.parametrize(
    ("later_by", "first"),
    [(10, "A002"), (14.9, "A002"), (15, "A002"), (15.1, "A001"), (20, "A001")],
)
def test_a_priority_ticket_overtakes_only_those_issued_less_than_the_head_start_before_it(later_by, first):
    """At exactly the head start the two count as equal, and the tie goes to the priority ticket."""
    waiting = [at(0, 1), at(later_by, 2, priority=True)]
    assert codes([next_ticket(waiting, now(later_by + 1), RULE)]) == [first]


def test_a_ticket_that_has_waited_max_wait_is_not_overtaken():
    waiting = [at(0, 1), at(10, 2, priority=True)]
    assert codes([next_ticket(waiting, now(29.9), RULE)]) == ["A002"]  # the head start still counts
    assert codes([next_ticket(waiting, now(30), RULE)]) == ["A001"]  # waited 30 minutes: overdue, goes first


def test_overdue_tickets_go_first_come_first_served_whatever_their_lane():
    waiting = [at(0, 1), at(1, 2, priority=True), at(20, 3, priority=True)]
    assert codes(call_order(waiting, now(29), RULE)) == ["A002", "A001", "A003"]  # nobody overdue: A002 counts 8:46
    assert codes(call_order(waiting, now(31), RULE)) == ["A001", "A002", "A003"]  # both overdue: in order of issue
    assert codes(call_order(waiting, now(30), RULE)) == ["A001", "A002", "A003"]  # A001 alone overdue, at 30 exactly


def test_no_head_start_or_no_wait_allowance_is_plain_first_come_first_served():
    waiting = [at(0, 1), at(1, 2, priority=True)]
    for rule in (QueueRule(0, 30), QueueRule(15, 0)):
        assert codes(call_order(waiting, now(2), rule)) == ["A001", "A002"]


def test_among_priority_tickets_the_earlier_goes_first():
    waiting = [at(3, 2, priority=True), at(1, 1, priority=True)]
    assert codes(call_order(waiting, now(4), RULE)) == ["A001", "A002"]


def test_people_ahead_count_only_the_tickets_own_category_by_the_same_rule():
    waiting = [at(0, 1), at(1, 1, category="B"), at(2, 2), at(3, 2, category="B")]
    late_priority = at(10, 3, priority=True)
    assert people_ahead(late_priority, [*waiting, late_priority], now(11), RULE) == 0
    assert people_ahead(waiting[2], waiting, now(11), RULE) == 1  # A001 only: B tickets wait for other windows
    assert people_ahead(late_priority, waiting, now(31), RULE) == 1  # A001 overdue; A002 (9:02) still behind 8:55
    assert people_ahead(late_priority, waiting, now(32), RULE) == 2  # A002 overdue too
