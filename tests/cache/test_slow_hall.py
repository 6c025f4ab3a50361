"""A hall that answers every request 10 seconds late, through the fault proxy's ``slow`` mode: the kiosk's sync waits
longer after a read timeout, so every submission reaches the hall exactly once and is acknowledged; meanwhile the
store takes new submissions at once, and a resident's question to the hall fails fast."""

from __future__ import annotations

import logging
import time

import pytest

from config.settings import SyncSettings
from offline_cache import Store
from offline_cache.errors import HallUnreachable
from offline_cache.hall_client import HallClient
from offline_cache.sync import SyncEngine, SyncStatus
from tests.cache.test_sync import FAST, submit
from tests.hall.test_hall import rows

pytestmark = pytest.mark.xdist_group("slow-hall")  # long waits on loopback: kept off each other's timings

HALL_DELAY = 10.0
TEN_SECONDS = SyncSettings(backoff_base_seconds=0.05, backoff_cap_seconds=0.5, timeout_seconds=HALL_DELAY)
"""The answer comes just after the read timeout: each first try is lost to it (or wins by a hair)."""


def wait_for(condition, seconds: float, poll: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def submission_ids(store: Store, serials: list[str]) -> list[str]:
    return sorted(store.find_by_serial(serial).id for serial in serials)


def test_a_hall_ten_seconds_slow_gets_each_submission_once_and_the_store_never_waits(store, hall, proxy, caplog):
    caplog.set_level(logging.INFO, logger="offline_cache.sync")
    serials = submit(store, 3)
    statuses: list[SyncStatus] = []
    engine = SyncEngine(store, TEN_SECONDS, on_status=statuses.append)
    proxy.slow(HALL_DELAY)
    asked_before = len(proxy.requests_seen)
    started = time.monotonic()
    engine.start()
    try:
        assert wait_for(lambda: len(proxy.requests_seen) > asked_before, 5)
        time.sleep(1)  # the sync thread now waits on the held answer

        before = time.monotonic()
        serials += submit(store, 1)
        engine.wake()
        assert time.monotonic() - before < 1  # the store is not locked while the sync waits on the hall
        before = time.monotonic()
        waiting = engine.status()
        assert time.monotonic() - before < 1
        assert (waiting.enrolled, waiting.paused, waiting.pending) == (True, False, 4)
        assert waiting.oldest_pending_age_s is not None

        assert wait_for(lambda: engine.status().acknowledged == 4, 75 - (time.monotonic() - started), poll=0.2)
    finally:
        proxy.pass_through()  # held answers go at once: the pulls still under way end
        engine.stop()
    status = engine.status()
    assert (status.online, status.pending, status.acknowledged) == (True, 0, 4), status

    proxy.wait_for_answers()
    held = rows(hall, "SELECT id FROM submissions ORDER BY id")
    assert [row[0] for row in held] == submission_ids(store, serials)  # each exactly once at the hall
    assert all(store.find_by_serial(serial).state == "acknowledged" for serial in serials)

    slow = [r.getMessage() for r in caplog.records if r.name == "offline_cache.sync" and "hall slow" in r.getMessage()]
    assert slow and "可能是大厅太忙" in slow[0]  # the log says the hall is slow, not gone
    offline = [s for s in statuses if not s.online]
    assert all("太忙" in s.last_error and not s.paused for s in offline)  # never blamed on the network


def test_a_residents_question_to_a_slow_hall_fails_fast(store, hall, proxy):
    [serial] = submit(store, 1)
    engine = SyncEngine(store, FAST)
    assert engine.sync_once().online  # the last cycle found the hall: the question is put to it
    proxy.slow(HALL_DELAY)
    started = time.monotonic()
    try:
        with pytest.raises(HallUnreachable, match="超过 3 秒"):
            engine.case(serial)
        assert time.monotonic() - started < 4.5  # 3 s, not the sync's 5 s, nor the hall's 10 s
    finally:
        proxy.pass_through()
    assert engine.status().online  # one resident's timed-out question does not take the kiosk offline


def test_a_read_timeout_doubles_the_wait_up_to_the_patience_and_only_a_quick_round_brings_it_back(store, proxy):
    client = HallClient(proxy.url, store.enrolment().token, timeout=1.0, patience=4.0)
    try:
        proxy.slow(1.3)
        with pytest.raises(HallUnreachable, match="下次等 2 秒"):
            client.health()
        assert (client.timed_out, client.read_timeout) == (True, 2.0)
        client.health()  # 1.3 s: within the longer wait
        assert not client.timed_out
        client.take_stock()
        assert client.read_timeout == 2.0  # the hall is still slow

        proxy.slow(2.5)
        with pytest.raises(HallUnreachable, match="下次等 4 秒"):
            client.catalog(0)
        proxy.slow(4.5)
        with pytest.raises(HallUnreachable) as caught:
            client.catalog(0)
        assert client.read_timeout == 4.0 and "下次" not in str(caught.value)  # capped at the patience

        proxy.slow(1.3, only_path="/v1/catalog")
        client.health()  # a quick health probe...
        client.catalog(0)  # ...and slow work
        client.take_stock()
        assert client.read_timeout == 4.0
        proxy.pass_through()
        client.health()
        client.take_stock()
        assert client.read_timeout == 1.0  # a round of quick answers: the usual timeout again
    finally:
        proxy.pass_through()
        client.close()


def test_a_client_without_patience_keeps_its_timeout(proxy):
    client = HallClient(proxy.url, timeout=0.5)
    proxy.slow(1.0)
    try:
        with pytest.raises(HallUnreachable) as caught:
            client.health()
        assert client.read_timeout == 0.5 and "下次" not in str(caught.value)
    finally:
        proxy.pass_through()
        client.close()
