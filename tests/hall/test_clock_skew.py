"""A kiosk whose clock is wrong (a village point's dead clock battery) is flagged, on each back-end: the hall
compares each heartbeat's ``sent_at`` with the moment it received it, and shows the skew in the fleet API, on the
staff console beside the silent-kiosk flag, and once in its log as the clock goes wrong."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
import requests

from config.settings import Settings
from kiosk.enrolment import enrol as enrol_kiosk
from kiosk.hall.console.accounts import add_account
from kiosk.hall.storage import CHINA, clock_note, utc_now
from offline_cache import Store
from offline_cache.sync import SyncEngine
from tests.cache.test_sync import FAST
from tests.hall.test_console import Console
from tests.hall.test_hall import Kiosk, enrol

DAY = 24 * 3600


@pytest.fixture
def staff(hall) -> dict[str, str]:
    return {"Authorization": f"Bearer {hall.storage.new_staff_token()}"}


def send(kiosk: Kiosk, sent_at: str | None) -> None:
    body = {"at": "2026-11-23T10:00:00", "version": "1.0", "pending": 0}
    if sent_at is not None:
        body["sent_at"] = sent_at
    assert kiosk.call("POST", "/v1/heartbeats", json=body).status_code == 202


def off_by(seconds: float) -> str:
    """Now on a kiosk clock ``seconds`` ahead of the hall's (negative: behind), as the kiosk sends it."""
    return (utc_now() + timedelta(seconds=seconds)).isoformat()


def skews(hall, staff) -> dict[str, int | None]:
    kiosks = requests.get(hall.url + "/v1/fleet", headers=staff, timeout=10).json()["kiosks"]
    return {kiosk["station_id"]: kiosk["clock_skew_seconds"] for kiosk in kiosks}


def clock_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "its clock is" in r.getMessage()]


def test_a_kiosk_a_day_behind_or_a_year_ahead_is_flagged_with_its_sign_and_size(hall, staff, caplog):
    caplog.set_level(logging.WARNING, logger="kiosk.hall")
    behind, ahead, close, old = (enrol(hall, station) for station in ("HT01", "HT02", "HT03", "HT04"))
    send(behind, off_by(-DAY))
    year_ahead = (utc_now() + timedelta(days=365)).astimezone(CHINA).replace(tzinfo=None)
    send(ahead, year_ahead.isoformat(timespec="seconds"))  # without an offset: China time
    send(close, (utc_now() - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    send(old, None)  # a kiosk from before sent_at

    seen = skews(hall, staff)
    assert seen["HT01"] == pytest.approx(-DAY, abs=3)
    assert seen["HT02"] == pytest.approx(365 * DAY, abs=3)
    assert seen["HT03"] == pytest.approx(-30, abs=3)
    assert seen["HT04"] is None
    warned = clock_warnings(caplog)
    assert len(warned) == 2  # the two over five minutes, and nothing personal: the kiosk and its station
    assert behind.kiosk_id in warned[0] and "HT01" in warned[0] and "behind" in warned[0]
    assert ahead.kiosk_id in warned[1] and "ahead of" in warned[1]


def test_the_log_warns_once_as_a_clock_goes_wrong_not_at_every_heartbeat(hall, staff, caplog):
    caplog.set_level(logging.WARNING, logger="kiosk.hall")
    kiosk = enrol(hall, "HT01")
    for _ in range(3):
        send(kiosk, off_by(-2 * 3600))
    assert len(clock_warnings(caplog)) == 1
    send(kiosk, off_by(0))  # a technician set the time
    assert skews(hall, staff)["HT01"] == pytest.approx(0, abs=3)
    send(kiosk, off_by(600))  # and it drifted again
    assert len(clock_warnings(caplog)) == 2


def test_a_heartbeat_without_sent_at_leaves_the_skew_unknown(hall, staff):
    kiosk = enrol(hall, "HT01")
    send(kiosk, off_by(-DAY))
    send(kiosk, None)  # the kiosk went back to an older version: its clock is not known now
    [fleet] = requests.get(hall.url + "/v1/fleet", headers=staff, timeout=10).json()["kiosks"]
    assert fleet["clock_skew_seconds"] is None and fleet["heartbeat"]["sent_at"] is None
    garbled = {"at": "2026-11-23T10:00:00", "version": "1", "pending": 0, "sent_at": "yesterday"}
    assert kiosk.call("POST", "/v1/heartbeats", json=garbled).status_code == 422


def test_the_console_flags_a_wrong_clock_beside_the_silent_flag(hall):
    add_account(hall.storage, "wang.fang", "王芳", "window", "correct horse battery")
    console = Console(hall)
    assert console.sign_in("wang.fang").url.endswith("/console/cases")
    send(enrol(hall, "HT01"), off_by(-DAY - 20))
    send(enrol(hall, "HT02"), off_by(3 * 3600 + 12 * 60 + 20))
    send(enrol(hall, "HT03"), off_by(-30))
    enrol(hall, "HT04")  # enrolled, never heard from since

    page = console.get("/console/fleet")
    text = console.text()
    assert "时钟与大厅相差超过 5 分钟" in text
    assert "时钟偏差 1 天（终端偏慢）" in text and "时钟偏差 3 小时 12 分（终端偏快）" in text
    assert text.count("时钟偏差") == 2  # 30 seconds off is not flagged
    order = [text.index(flag) for flag in ("失联（登记后从未联系）", "时钟偏差 1 天", "时钟偏差 3 小时", "HT03")]
    assert order == sorted(order)  # the silent first, then the wrong clocks, then the rest
    flagged = re.findall(r'<tr class="level-1">.*?</tr>', page.text, flags=re.S)
    assert len(flagged) == 2 and all("时钟偏差" in row for row in flagged)


def test_a_kiosk_whose_clock_is_right_sends_its_time_and_is_not_flagged(hall, staff, tmp_path):
    store = Store(tmp_path / "kiosk.db")
    try:
        enrol_kiosk(store, Settings(), hall.url, hall.storage.new_enrolment_code())
        engine = SyncEngine(store, FAST, heartbeat=lambda: {"printer": {"state": "ok", "detail": "sim"}})
        assert engine.sync_once().online
    finally:
        store.close()
    [kiosk] = requests.get(hall.url + "/v1/fleet", headers=staff, timeout=10).json()["kiosks"]
    sent = datetime.fromisoformat(kiosk["heartbeat"]["sent_at"])
    assert sent.tzinfo is not None and abs(sent - utc_now()) < timedelta(minutes=1)
    assert kiosk["clock_skew_seconds"] == pytest.approx(0, abs=2)


@pytest.mark.parametrize(
    ("skew", "said"),
    [
        (300, ""),
        (-301, "时钟偏差 5 分（终端偏慢）"),
        (3 * 3600, "时钟偏差 3 小时（终端偏快）"),
        (DAY + 59, "时钟偏差 1 天（终端偏快）"),
        (-(2 * DAY + 3600 + 60), "时钟偏差 2 天 1 小时（终端偏慢）"),
        (365 * DAY, "时钟偏差 365 天（终端偏快）"),
        (None, ""),
    ],
)
def test_the_skew_is_said_in_its_two_largest_units(skew, said):
    assert clock_note(skew) == said
