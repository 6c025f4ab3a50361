"""Durable submissions per second, and the time to drain a backlog to the hall, each next to its baseline.

    uv run python benchmarks/sync_throughput.py [--commits 500] [--backlog 10000]

1. Commits: ``Store.add_submission`` (sealed to the hall's key, sequence and outbox row in one transaction,
   WAL + synchronous=FULL) against raw sqlite3 single-row commits of the same size on the same disk, same pragmas.
2. Drain: a backlog of ``--backlog`` submissions pushed to a local hall (uvicorn on loopback, its own SQLite
   with FULL sync) by the sync engine in batches, against one request per submission (PUT, then acknowledge).
   Both start from copies of the same kiosk database and an empty hall.
3. The drain's floor: the hall's own intake of the same submissions (open the envelopes, decide, record the
   cases; :func:`kiosk.hall.intake.accept_submissions`) in this process, in the engine's batches, each one
   transaction, without HTTP, on a copy of the same empty hall.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import shutil
import sqlite3
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from benchmarks.figures import Figure
from config.settings import Settings
from kiosk.enrolment import enrol
from kiosk.hall.intake import accept_submissions
from kiosk.hall.runner import HallServer
from kiosk.hall.sqlite_storage import SqliteHallStorage
from kiosk.hall.storage import Principal
from offline_cache import Enrolment, NewSubmission, Store
from offline_cache.envelope import HallKeyPair
from offline_cache.hall_client import HallClient
from offline_cache.sync import SyncEngine

PAYLOAD = {
    "applicant": {"kind": "person", "name": "王秀英", "number": "530402194103150025", "address": "云南省玉溪市红塔区"},
    "item_code": "MZ0001",
    "values": {"phone": "13800001234"},
    "materials": ["居民身份证", "近期一寸免冠彩色照片"],
    "delivery": "window",
}
MASKED = {"applicant": "王**", "number": "5304**********0025", "item_name": "老年人优待证办理"}


def new_submission(when: datetime) -> NewSubmission:
    return NewSubmission(str(uuid.uuid4()), "MZ0001", "老年人优待证办理", when, MASKED, PAYLOAD)


def fill(store: Store, count: int) -> float:
    """Commit ``count`` submissions one by one; seconds taken."""
    when = datetime(2026, 11, 23, 9, 0)
    start = time.perf_counter()
    for _ in range(count):
        store.add_submission(new_submission(when), lambda seq: f"BENCH1-261123-{seq:05d}-X")
    return time.perf_counter() - start


def raw_commits(path: Path, count: int, row_bytes: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT)")
    body = "x" * row_bytes
    start = time.perf_counter()
    for _ in range(count):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, ?)", [str(uuid.uuid4()), body])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def drain_batched(db: Path, url: str) -> float:
    store = Store(db)
    engine = SyncEngine(store, Settings().sync)
    start = time.perf_counter()
    status = engine.sync_once()
    elapsed = time.perf_counter() - start
    assert status.pending == 0, status
    store.close()
    return elapsed


def drain_one_by_one(db: Path, url: str) -> float:
    store = Store(db)
    client = HallClient(url, store.enrolment().token)
    start = time.perf_counter()
    while batch := store.outbox.due("submission", time.time(), 100):
        for item in batch:
            answer = client.put_submission(item.body)
            store.outbox.acknowledge({item.id: answer}, time.time())
    elapsed = time.perf_counter() - start
    assert store.outbox.counts().pending == 0
    store.close()
    return elapsed


@dataclasses.dataclass(frozen=True)
class Measured:
    commits: int
    kiosk_commit_s: float
    raw_commit_s: float
    row_bytes: int
    backlog: int
    batched_s: float
    one_by_one_s: float
    floor_s: float


def measure(commits: int, backlog: int) -> Measured:
    work = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    try:
        keys = HallKeyPair.generate()
        store = Store(work / "commits.db")
        store.enrol(Enrolment("http://127.0.0.1:9", "k", "BENCH1", "t", keys.public_text, "2026-11-23T09:00:00"))
        kiosk_s = fill(store, commits)
        with store.database.locked() as db:
            row_bytes = len(db.execute("SELECT body FROM outbox LIMIT 1").fetchone()[0])
        store.close()
        raw_s = raw_commits(work / "raw.db", commits, row_bytes)

        # One hall key pair and one enrolment for every run: a template hall database, copied before each run.
        template = work / "hall-template.db"
        hall = HallServer(template)
        hall.start()
        seed = Store(work / "backlog.db")
        enrol(seed, Settings(), hall.url, hall.storage.new_enrolment_code())
        hall.stop()
        fill(seed, backlog)
        seed.close()

        results = {}
        for n, drain in enumerate((drain_batched, drain_one_by_one)):
            for file in work.glob("hall-template.db*"):
                shutil.copy(file, work / file.name.replace("template", str(n)))
            shutil.copy(work / "backlog.db", work / f"kiosk-{n}.db")
            hall = HallServer(work / f"hall-{n}.db")
            hall.start()
            try:
                copy = Store(work / f"kiosk-{n}.db")
                copy.enrol(dataclasses.replace(copy.enrolment(), url=hall.url))
                copy.close()
                results[drain] = drain(work / f"kiosk-{n}.db", hall.url)
                assert len(hall.storage.cases()) == backlog
            finally:
                hall.stop()
        for file in work.glob("hall-template.db*"):
            shutil.copy(file, work / file.name.replace("template", "floor"))
        floor_s = floor(work / "hall-floor.db", work / "backlog.db", Settings().sync.batch_size)
        return Measured(
            commits, kiosk_s, raw_s, row_bytes, backlog, results[drain_batched], results[drain_one_by_one], floor_s
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def floor(hall_db: Path, kiosk_db: Path, batch: int) -> float:
    """Seconds the hall's own intake takes for the kiosk's queued submissions, in batches of ``batch``."""
    store = Store(kiosk_db)
    bodies = [item.body for item in store.outbox.due("submission", time.time(), 10**9)]
    kiosk_id, station = store.enrolment().kiosk_id, store.enrolment().station_id
    store.close()
    with contextlib.closing(SqliteHallStorage(hall_db)) as storage:
        sender = Principal("kiosk", kiosk_id, station)
        start = time.perf_counter()
        for first in range(0, len(bodies), batch):
            results = accept_submissions(storage, sender, bodies[first : first + batch])
            assert all(result.status == 201 for result in results), results
        return time.perf_counter() - start


def figures(quick: bool) -> list[Figure]:
    m = measure(200, 1000) if quick else measure(500, 10_000)
    kiosk_rate, raw_rate = m.commits / m.kiosk_commit_s, m.commits / m.raw_commit_s
    batched_rate, single_rate = m.backlog / m.batched_s, m.backlog / m.one_by_one_s
    return [
        Figure(
            f"sealed durable submit ({m.row_bytes}-byte body), commits per second",
            kiosk_rate,
            raw_rate,
            "/s",
            "raw sqlite3 single-row commits, WAL + FULL",
            "≥ 0.5×",
            kiosk_rate / raw_rate >= 0.5,
        ),
        Figure(
            f"drain of {m.backlog:,} queued submissions to a local hall, batched",
            batched_rate,
            single_rate,
            "/s",
            "one request each",
            "≥ 20×",
            batched_rate / single_rate >= 20,
        ),
        Figure(
            f"drain of {m.backlog:,}, batched, in seconds",
            m.batched_s,
            m.floor_s,
            "s",
            "the hall's own intake of the same rows",
            "≤ 2×",
            m.batched_s / m.floor_s <= 2,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--backlog", type=int, default=10_000)
    args = parser.parse_args()
    m = measure(args.commits, args.backlog)
    print(f"durable commits ({m.commits}, WAL + synchronous=FULL, {m.row_bytes}-byte sealed body):")
    print(f"  raw sqlite3 single-row commits   {m.commits / m.raw_commit_s:8.0f} /s")
    print(f"  Store.add_submission (sealed)    {m.commits / m.kiosk_commit_s:8.0f} /s")
    print(f"drain {m.backlog} submissions to the local hall over loopback:")
    for name, seconds in (
        ("batched (engine)", m.batched_s),
        ("one request each", m.one_by_one_s),
        ("hall intake", m.floor_s),
    ):
        print(f"  {name:<18} {seconds:7.1f} s  {m.backlog / seconds:7.0f} /s")


if __name__ == "__main__":
    main()
