"""Exactly once, end to end: a kiosk process killed with SIGKILL at random moments while residents file and sync
runs; restarted on the same database, every serial number it announced reaches the hall exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

ENV = {
    **os.environ,
    "KIOSK_SYNC__BACKOFF_BASE_SECONDS": "0.1",
    "KIOSK_SYNC__BACKOFF_CAP_SECONDS": "1",
    "KIOSK_SYNC__BATCH_SIZE": "4",  # small batches: more moments at which a kill lands mid-sync
    "KIOSK_CONFIG": os.devnull,
}


def kiosk(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], env=ENV, capture_output=True, text=True, timeout=120, **kwargs
    )


def run_and_kill(db, seed: int, kill_after: float | None) -> list[str]:
    """Start a simulation, SIGKILL it ``kill_after`` seconds after its first announced submission (None: let it
    finish); the serials it printed. Counting from the first submission, not the start, keeps the kills among
    the filings however long a loaded machine takes to start Python."""
    command = [
        "simulate",
        "--db",
        str(db),
        "--residents",
        "12",
        "--seed",
        str(seed),
        "--jsonl",
        "--drain-seconds",
        "30",
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", *command],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    if kill_after is None:
        assert process.wait(timeout=120) == 0
    else:
        deadline = time.monotonic() + 60
        while not lines and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    reader.join(timeout=10)
    records = [json.loads(line) for line in lines if line.endswith("\n")]  # a line cut by the kill was not shown
    return [r["serial"] for r in records if "serial" in r]


def test_every_serial_shown_reaches_the_hall_exactly_once_across_sigkills(tmp_path, any_hall):
    hall = any_hall
    db = tmp_path / "kiosk" / "kiosk.db"
    enrolled = kiosk("enroll", hall.url, hall.storage.new_enrolment_code(), "--db", str(db))
    assert enrolled.returncode == 0, enrolled.stderr

    rng = random.Random(20261122)
    shown: list[str] = []
    kills = [round(rng.uniform(0.05, 2.0), 2) for _ in range(4)]
    for round_number, kill_after in enumerate(kills):
        shown += run_and_kill(db, seed=round_number, kill_after=kill_after)
    shown += run_and_kill(db, seed=99, kill_after=None)  # the last run finishes what the killed ones left

    assert len(shown) > 12, f"the kills at {kills} s left too few submissions to prove anything"
    cases = hall.storage.cases()
    at_hall = [case["serial"] for case in cases]
    assert len(at_hall) == len(set(at_hall)), "a submission reached the hall twice"
    assert set(shown) <= set(at_hall), f"shown but never reached the hall: {set(shown) - set(at_hall)}"

    status = json.loads(kiosk("sync", "status", "--db", str(db), "--json").stdout)
    assert {"pending", "acknowledged", "quarantined", "oldest_pending_age_s", "online", "last_error"} <= set(status)
    assert (status["pending"], status["quarantined"], status["online"]) == (0, 0, True)
    assert status["acknowledged"] == len(at_hall)  # nothing at the hall that the kiosk did not file, nothing lost


def test_offline_filing_then_sync_now_drains_what_it_can_and_says_what_is_left(tmp_path, hall):
    db = tmp_path / "kiosk.db"
    assert kiosk("sync", "now", "--db", str(db)).returncode == 2  # not enrolled: a technician's job first
    assert kiosk("enroll", hall.url, hall.storage.new_enrolment_code(), "--db", str(db)).returncode == 0
    hall.stop()
    filed = kiosk("simulate", "--db", str(db), "--residents", "3", "--seed", "1", "--drain-seconds", "1")
    assert filed.returncode == 1, filed.stderr  # filed offline, not drained
    assert "待上传 3 件" in filed.stdout

    offline = kiosk("sync", "now", "--db", str(db), "--json")
    assert offline.returncode == 1
    report = json.loads(offline.stdout)
    assert (report["pending"], report["online"]) == (3, False)

    hall.start()
    drained = kiosk("sync", "now", "--db", str(db), "--json")
    assert drained.returncode == 0, drained.stdout + drained.stderr
    assert json.loads(drained.stdout)["pending"] == 0
    assert len(hall.storage.cases()) == 3
