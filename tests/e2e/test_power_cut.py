"""A power cut at every step: a kiosk process killed (SIGKILL, as the plug pulled) just before each SQL statement
of a submission's commit and of the acknowledgement of a pushed batch, before and after the hall answers; the
database is then opened again: ``integrity_check`` is clean, every serial the kiosk showed is there, and a sync
brings each to the hall exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from config.settings import Settings
from kiosk.enrolment import enrol
from offline_cache import Store
from offline_cache.sync import SyncEngine

# The child: a kiosk's store with a connection that counts SQL statements and kills the process before the
# statement numbered KILL_AT (counted from the moment the phase starts). "file" commits submissions, printing
# each serial once add_submission has returned (what a resident would see on the screen); "sync" pushes them.
CHILD = r"""
import json, os, signal, sys, uuid
from datetime import datetime
from pathlib import Path
from config.settings import Settings
from offline_cache import NewSubmission, Store
from offline_cache.sync import SyncEngine

db, phase, kill_at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = Store(db)

class Counting:
    def __init__(self, conn):
        self._conn, self.count = conn, 0
    def _step(self):
        self.count += 1
        if self.count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    def execute(self, *args, **kwargs):
        self._step()
        return self._conn.execute(*args, **kwargs)
    def executemany(self, *args, **kwargs):
        self._step()
        return self._conn.executemany(*args, **kwargs)
    def __getattr__(self, name):
        return getattr(self._conn, name)

store.database._db.conn = Counting(store.database._db.conn)
if phase == "file":
    for n in range(3):
        new = NewSubmission(str(uuid.uuid4()), "MZ0001", "老年人优待证办理", datetime(2026, 11, 23, 9, n),
                            {"applicant": "王**"}, {"applicant": {"name": "王秀英", "number": "530402194103150025"}})
        saved = store.add_submission(new, lambda s: f"CUT01-261123-{s:04d}-X")
        print(json.dumps({"serial": saved.serial}), flush=True)
else:
    SyncEngine(store, Settings().sync).sync_once()
print(json.dumps({"done": store.database._db.conn.count}), flush=True)
"""


def child(db: Path, phase: str, kill_at: int) -> tuple[list[str], bool]:
    """Run the child; the serials it showed, and whether it was killed."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), phase, str(kill_at)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "KIOSK_CONFIG": os.devnull},
    )
    killed = result.returncode == -signal.SIGKILL
    assert killed or result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return [line["serial"] for line in lines if "serial" in line], killed


def intact(db: Path) -> None:
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def stored_serials(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn:
        return {row[0] for row in conn.execute("SELECT serial FROM submissions")}


@pytest.fixture
def enrolled(tmp_path, hall):
    db = tmp_path / "kiosk.db"
    store = Store(db)
    enrol(store, Settings(), hall.url, hall.storage.new_enrolment_code())
    store.close()
    return db


def test_a_power_cut_before_any_statement_of_a_commit_loses_nothing_shown(enrolled, tmp_path):
    """Each run files three submissions and is killed before its n-th statement, n = 1, 2, … until a run ends
    by itself; each time, what was shown is stored, the file is sound, and the next run goes on from there."""
    shown: list[str] = []
    kill_at = 1
    while True:
        serials, killed = child(enrolled, "file", kill_at)
        shown += serials
        intact(enrolled)
        assert set(shown) <= stored_serials(enrolled), kill_at
        if not killed:
            break
        kill_at += 1
    assert kill_at > 10  # every statement of three commits was a place to die
    assert len(shown) == len(set(shown))  # a serial number is never given twice


def test_a_power_cut_at_every_step_of_an_acknowledgement_hands_each_over_once(enrolled, hall):
    """Submissions queued; a sync killed before each of its statements in turn: before the batch is read, after
    it is sent but before the answer is kept, part-way through keeping it. Restarted, each reaches the hall once."""
    shown, _ = child(enrolled, "file", 10**9)
    assert len(shown) == 3
    kill_at = 1
    while True:
        _, killed = child(enrolled, "sync", kill_at)
        intact(enrolled)
        assert set(shown) <= stored_serials(enrolled)
        if not killed:
            break
        kill_at += 1
    assert kill_at > 5
    assert hall.storage.cases()  # some runs died after the hall had taken the batch: their answer was lost
    store = Store(enrolled)
    status = SyncEngine(store, Settings().sync).sync_once()
    store.close()
    assert status.pending == 0
    held = Counter(case["serial"] for case in hall.storage.cases())
    assert held == Counter(shown)  # each once: no duplicate, none lost
