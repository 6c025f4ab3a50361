"""The sync engine against a real hall (uvicorn on loopback) through a proxy that injects network faults."""

from __future__ import annotations

import dataclasses
import json
import random
import time
import uuid
from datetime import datetime

import pytest
import requests

from config.settings import Settings, SyncSettings
from kiosk.enrolment import enrol
from kiosk.hall.runner import HallServer
from offline_cache import NewSubmission, Store
from offline_cache.sync import SyncEngine

FAST = SyncSettings(backoff_base_seconds=0.05, backoff_cap_seconds=0.5, timeout_seconds=5.0)  # a loaded CI machine
SHORT = FAST.model_copy(update={"timeout_seconds": 1.0})  # for a hall that never answers
PERSON = {"applicant": {"name": "李建国", "number": "53040219580701013X"}, "values": {"phone": "13800001234"}}


class Ceiling(random.Random):
    """Full jitter at its ceiling: waits become predictable."""

    def uniform(self, a: float, b: float) -> float:
        return b


class WallClock:
    """Unix time that moves only when the test says so."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


def submit(store: Store, n: int) -> list[str]:
    serials = []
    for _ in range(n):
        new = NewSubmission(
            str(uuid.uuid4()),
            "MZ0001",
            "老年人优待证办理",
            datetime(2026, 11, 23, 10, 0),
            {"applicant": "李**"},
            PERSON,
        )
        serials.append(store.add_submission(new, lambda seq: f"DEMO01-261123-{seq:04d}-X").serial)
    return serials


def hall_serials(hall: HallServer) -> list[str]:
    return sorted(case["serial"] for case in hall.storage.cases())


def test_submissions_reach_the_hall_once_and_their_payloads_are_erased(store, hall):
    serials = submit(store, 3)
    status = SyncEngine(store, FAST).sync_once()
    assert (status.online, status.pending, status.acknowledged) == (True, 0, 3)
    assert hall_serials(hall) == serials
    found = store.find_by_serial(serials[0])
    assert found.state == "acknowledged" and found.case_number.startswith("SL") and found.stage == "申请"
    with store.database.locked() as db:
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE body IS NOT NULL").fetchone()[0] == 0
    SyncEngine(store, FAST).sync_once()  # nothing is sent twice
    assert hall_serials(hall) == serials


def test_batches_are_sized_by_the_settings(store, hall, proxy):
    submit(store, 7)
    SyncEngine(store, FAST.model_copy(update={"batch_size": 3})).sync_once()
    pushes = [path for method, path in proxy.requests_seen if path == "/v1/submissions/batch"]
    assert len(pushes) == 3  # 3 + 3 + 1
    assert len(hall_serials(hall)) == 7


def test_a_refused_connection_keeps_everything_and_says_offline(store, hall, proxy):
    serials = submit(store, 2)
    proxy.refuse()
    status = SyncEngine(store, FAST).sync_once()
    assert (status.online, status.pending) == (False, 2)
    assert "连不上大厅" in status.last_error
    assert status.oldest_pending_age_s is not None
    proxy.pass_through()
    assert SyncEngine(store, FAST).sync_once().pending == 0
    assert hall_serials(hall) == serials


def test_when_the_hall_comes_back_waiting_items_go_at_once_whatever_their_backoff(store, hall):
    serials = submit(store, 2)
    ids = [store.find_by_serial(s).id for s in serials]
    store.outbox.defer(ids, "earlier outage", lambda attempts: 3600.0, time.time())
    assert store.outbox.due("submission", time.time(), 10) == []
    status = SyncEngine(store, FAST).sync_once()  # a new engine starts offline: the probe succeeds
    assert status.pending == 0
    assert hall_serials(hall) == serials


def test_an_answer_lost_to_a_reset_is_reconciled_without_sending_again(store, hall, proxy):
    serials = submit(store, 3)
    proxy.reset_mid_response(only_path="/v1/submissions/batch")
    engine = SyncEngine(store, FAST)
    status = engine.sync_once()
    assert status.pending == 3 and not status.online  # the kiosk never heard the answer
    proxy.wait_for_answers()
    assert hall_serials(hall) == serials  # but the hall stored them
    proxy.pass_through()
    engine.wake()
    status = engine.sync_once()
    assert status.pending == 0 and status.acknowledged == 3
    assert hall_serials(hall) == serials  # each exactly once
    after_reset = proxy.requests_seen[[p for _, p in proxy.requests_seen].index("/v1/submissions/lookup") :]
    assert ("POST", "/v1/submissions/batch") not in after_reset  # the hall was asked, not sent them again


def test_a_hall_that_does_not_answer_is_a_timeout_not_a_hang(store, proxy):
    submit(store, 1)
    proxy.blackhole()
    started = time.monotonic()
    status = SyncEngine(store, SHORT).sync_once()
    assert time.monotonic() - started < 5
    assert (status.online, status.pending) == (False, 1)
    assert "无应答" in status.last_error


@pytest.mark.parametrize("code", [500, 502, 503])
def test_server_errors_back_off_and_retry_after_is_honoured(store, hall, proxy, code):
    submit(store, 2)
    proxy.status(code, retry_after="7", only_path="/v1/submissions/batch")
    engine = SyncEngine(store, FAST.model_copy(update={"backoff_cap_seconds": 60.0}), rng=Ceiling())
    before = time.time()
    status = engine.sync_once()
    assert status.pending == 2 and f"HTTP {code}" in status.last_error
    with store.database.locked() as db:
        row = db.execute("SELECT MIN(next_attempt_at), MAX(attempts) FROM outbox").fetchone()
    assert row[0] - before == pytest.approx(7, abs=1)  # as the hall asked, not the backoff's guess
    assert row[1] == 1
    assert engine._seconds_to_next_cycle() == pytest.approx(7, abs=1)
    proxy.pass_through()
    engine.retry_now()
    assert engine.sync_once().pending == 0


def test_server_error_without_retry_after_backs_off_exponentially(store, proxy):
    submit(store, 1)
    proxy.status(502, only_path="/v1/submissions/batch")
    settings = FAST.model_copy(update={"backoff_base_seconds": 1.0, "backoff_cap_seconds": 5.0})
    clock = WallClock()
    engine = SyncEngine(store, settings, rng=Ceiling(), clock=clock)
    waits = []
    for _ in range(4):
        clock.t += 10  # past any wait: each round the push is tried and fails
        engine.sync_once()
        waits.append(round(engine._seconds_to_next_cycle()))
    assert waits == [2, 4, 5, 5]  # doubling, then capped
    with store.database.locked() as db:
        assert db.execute("SELECT attempts FROM outbox").fetchone()[0] == 4


def test_a_kiosk_back_from_an_outage_whose_push_times_out_waits_from_the_base_not_the_outages_window(store, proxy):
    """Out of an outage the backoff window is wide; once the hall answers, a busy hall's timeout starts it over,
    or a fleet that reconnects together waits out the outage's windows long after the hall is back."""
    submit(store, 1)
    settings = SHORT.model_copy(update={"backoff_base_seconds": 1.0, "backoff_cap_seconds": 60.0})
    clock = WallClock()
    engine = SyncEngine(store, settings, rng=Ceiling(), clock=clock)
    proxy.refuse()
    for _ in range(5):
        clock.t += 100
        engine.sync_once()
    assert round(engine._seconds_to_next_cycle()) == 32  # five failures: 2**5 seconds
    proxy.blackhole(only_path="/v1/submissions/batch")  # the hall is back, and too busy to answer the push in time
    clock.t += 100
    status = engine.sync_once()
    assert (status.online, status.pending) == (False, 1)
    assert round(engine._seconds_to_next_cycle()) == 2  # one failure since the hall answered
    proxy.pass_through()
    assert SyncEngine(store, FAST).sync_once().pending == 0


def test_a_captive_portal_is_not_mistaken_for_the_hall(store, hall, proxy):
    submit(store, 2)
    proxy.captive_portal()
    status = SyncEngine(store, FAST).sync_once()
    assert (status.online, status.pending, status.acknowledged) == (False, 2, 0)
    assert "登录页" in status.last_error
    assert hall_serials(hall) == []


def test_an_item_the_hall_rejects_is_quarantined_and_does_not_block_the_rest(store, hall):
    serials = submit(store, 3)
    bad = store.find_by_serial(serials[1]).id
    body = store.outbox.body(bad)
    body["envelope"]["ciphertext"] = body["envelope"]["ciphertext"][::-1]  # damaged on disk
    with store.database.transaction() as db:
        db["outbox"].update(bad, {"body": json.dumps(body)})
    status = SyncEngine(store, FAST).sync_once()
    assert (status.pending, status.acknowledged, status.quarantined) == (0, 2, 1)
    assert hall_serials(hall) == [serials[0], serials[2]]
    assert store.find_by_serial(serials[1]).state == "quarantined"


def test_refused_credentials_pause_sync_until_the_kiosk_is_enrolled_again(store, hall, proxy):
    submit(store, 1)
    store.enrol(dataclasses.replace(store.enrolment(), token="revoked"))
    engine = SyncEngine(store, FAST)
    status = engine.sync_once()
    assert status.paused and not status.online and "重新登记" in status.last_error
    requests_before = len(proxy.requests_seen)
    engine.sync_once()
    assert len(proxy.requests_seen) == requests_before  # paused: the hall is not pestered
    enrol(store, Settings(), proxy.url, hall.storage.new_enrolment_code())
    engine.retry_now()
    assert engine.sync_once().pending == 0


def test_evaluations_heartbeats_case_progress_and_catalog_changes_flow(store, hall, proxy):
    [serial] = submit(store, 1)
    saved = store.find_by_serial(serial)
    store.add_evaluation(saved.id, 4, datetime(2026, 11, 23, 10, 5))
    engine = SyncEngine(store, FAST, heartbeat=lambda: {"printer": {"state": "ok", "detail": "sim"}})
    status = engine.sync_once()
    assert (status.pending, status.pending_evaluations) == (0, 0)
    [kiosk] = hall.storage.fleet()
    assert kiosk["heartbeat"]["devices"]["printer"]["state"] == "ok"

    hall.storage.advance(serial, "窗口已受理")
    item = json.loads(json.dumps(hall.storage.catalog_item("MZ0001")))
    item["name"] = "老年人优待证办理（新版）"
    hall.storage.put_catalog_item(item)
    engine._next_pull = dict.fromkeys(engine._next_pull, 0.0)  # pulls fall due
    updates = []
    engine.on_update = updates.append
    engine.sync_once()
    assert store.find_by_serial(serial).stage == "受理"
    assert store.catalog_changes()["MZ0001"]["name"] == "老年人优待证办理（新版）"
    assert sorted(updates) == ["cases", "catalog"]


def test_enrolment_refuses_a_used_code_and_a_captive_portal(tmp_path, hall, proxy):
    from offline_cache.hall_client import HallRefused, NotTheHall

    code = hall.storage.new_enrolment_code()
    first = Store(tmp_path / "a.db")
    enrol(first, Settings(), proxy.url, code)
    with pytest.raises(HallRefused):
        enrol(Store(tmp_path / "b.db"), Settings(), proxy.url, code)
    proxy.captive_portal()
    with pytest.raises(NotTheHall):
        enrol(Store(tmp_path / "c.db"), Settings(), proxy.url, hall.storage.new_enrolment_code())
    assert requests.get(hall.url + "/v1/health", timeout=2).json()["service"] == "kiosk-hall"
