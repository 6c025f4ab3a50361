"""Queue tickets ride the sync to a real hall, once; people ahead come from the hall when it answers, and from the
kiosk's own record, by the hall's last known rule, while it does not."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from config.settings import SyncSettings
from kiosk.queue import CATEGORIES
from kiosk.queue_rule import QueueRule
from offline_cache.sync import SyncEngine
from tests.conftest import FIXED_NOW

FAST = SyncSettings(backoff_base_seconds=0.05, backoff_cap_seconds=0.5, timeout_seconds=5.0)  # a loaded CI machine
DAY = FIXED_NOW.date().isoformat()
A = CATEGORIES[0]


@pytest.fixture
def hall_day(hall):
    """The hall's queue clock on the kiosk's fixed day."""
    hall.storage.queue_clock = lambda: FIXED_NOW


def hall_line(hall) -> list[tuple[str, str]]:
    return [(t.code, t.status) for t in hall.storage.queue_tickets("DEMO01", DAY).tickets]


def printed(services, n: int) -> str:
    """The text of the ``n``-th paper the printer took (it takes each in its own time)."""
    jobs = services.devices.printer_simulator.jobs
    deadline = time.monotonic() + 10
    while len(jobs) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return jobs[n - 1].data.decode("gb18030", errors="replace")


def at_minute(services, minute: int) -> None:
    services.now = lambda: FIXED_NOW + timedelta(minutes=minute)


def test_tickets_reach_the_hall_once_with_the_sync(store, hall, proxy, hall_day):
    for minute in range(3):
        store.issue_ticket(
            "A", minute == 2, datetime(2026, 11, 23, 9, 20 + minute), appointment="APT-9" * (minute == 1)
        )
    assert SyncEngine(store, FAST).sync_once().online
    assert hall_line(hall) == [("A003", "waiting"), ("A001", "waiting"), ("A002", "waiting")]  # A003: priority
    assert hall.storage.queue_tickets("DEMO01", DAY).tickets[2].appointment == "APT-9"
    assert store.outbox.due("ticket", float("inf"), 10) == []
    SyncEngine(store, FAST).sync_once()
    assert [path for _, path in proxy.requests_seen].count("/v1/tickets/batch") == 1  # nothing sent twice


def test_a_ticket_whose_answer_was_lost_is_sent_again_and_filed_once(store, hall, proxy):
    store.issue_ticket("A", False, datetime(2026, 11, 23, 9, 0))
    proxy.reset_mid_response(only_path="/v1/tickets/batch")  # the hall files it; its answer never arrives
    SyncEngine(store, FAST).sync_once()
    proxy.wait_for_answers()  # on a loaded machine the kiosk may give up before the hall has filed
    assert hall_line(hall) == [("A001", "waiting")]
    [waiting] = store.outbox.due("ticket", float("inf"), 10)
    assert waiting.attempts == 1
    proxy.pass_through()
    SyncEngine(store, FAST).sync_once()  # a new engine starts offline: every item is due at the first contact
    assert store.outbox.due("ticket", float("inf"), 10) == []
    assert hall_line(hall) == [("A001", "waiting")]


def test_people_ahead_come_from_the_hall_when_it_answers_and_from_this_kiosk_when_not(online_services, hall, hall_day):
    services = online_services
    assert services.sync.sync_once().online
    services.take_ticket(A, False)
    ticket, ahead, outcome = services.take_ticket(A, False)
    assert (ticket.code, ahead, ahead.from_hall, outcome.printed) == ("A002", 1, True, True)
    assert "前面还有 1 人" in printed(services, 2)

    hall.storage.call_next("5", station="DEMO01", day=DAY)  # A001 to window 5: the kiosk does not know yet
    assert services.take_ticket(A, False)[1] == 1  # the hall counts only A002
    assert services.ticket_position(f"TICKET:{DAY.replace('-', '')}:A001") == "排队号 A001 正在叫号，请到 5 号窗口"
    assert services.ticket_position(f"TICKET:{DAY.replace('-', '')}:A003") == "排队号 A003：前面还有 1 人，请留意叫号"

    hall.stop()
    assert not services.sync.sync_once().online
    ticket, ahead, _printed = services.take_ticket(A, False)
    assert (ticket.code, ahead, ahead.from_hall) == ("A004", 2, False)  # A002, A003: A001 was called, as last heard
    assert "前面约有 2 人（本机统计）" in printed(services, 4)
    assert services.ticket_position(f"TICKET:{DAY.replace('-', '')}:A003") == (
        "排队号 A003：前面约有 1 人（本机统计，暂未连上大厅），请留意叫号"
    )
    assert services.ticket_position(f"TICKET:{DAY.replace('-', '')}:A001") == "排队号 A001 已叫过号，请到咨询台询问"
    hall.start()
    services.sync_now()  # no waiting out the backoff
    assert services.sync.sync_once().online
    assert [code for code, _ in hall_line(hall)] == ["A001", "A002", "A003", "A004"]  # the one issued offline too


def test_offline_the_kiosk_counts_by_the_rule_the_hall_last_gave(online_services, hall, hall_day):
    services = online_services
    hall.storage.set_queue_rule(QueueRule(priority_head_start=0, max_wait=30))  # first come, first served
    services.sync.sync_once()
    for minute in (0, 1):
        at_minute(services, minute)
        services.take_ticket(A, False)  # the hall's answer carries its rule, which the kiosk keeps
    hall.stop()
    services.sync.sync_once()
    at_minute(services, 2)
    ticket, ahead, _printed = services.take_ticket(A, priority=True)
    assert (ticket.priority, ahead, ahead.from_hall) == (True, 2, False)  # no head start: behind both
    services.store.set_mirror_value("queue_rule", "garbled")
    at_minute(services, 3)
    assert services.take_ticket(A, priority=True)[1] == 1  # the default rule: only the earlier priority ticket
