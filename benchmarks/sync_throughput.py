"""Durable submissions per second, and the time to drain a backlog to the hall, each next to its baseline.

    uv run python benchmarks/sync_throughput.py [--commits 500] [--backlog 10000]

1. Commits: ``Store.add_submission`` (sealed to the hall's key, sequence and outbox row in one transaction,
   WAL + synchronous=FULL) against raw sqlite3 single-row commits of the same size on the same disk, same pragmas.
2. Drain: a backlog of ``--backlog`` submissions pushed to a local hall (uvicorn on loopback, its own SQLite
   with FULL sync) by the sync engine in batches, against one request per submission (PUT, then acknowledge).
   Both start from copies of the same kiosk database and an empty hall.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sqlite3
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from config.settings import Settings
from kiosk.enrolment import enrol
from kiosk.hall.runner import HallServer
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--backlog", type=int, default=10_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    try:
        keys = HallKeyPair.generate()
        store = Store(work / "commits.db")
        store.enrol(Enrolment("http://127.0.0.1:9", "k", "BENCH1", "t", keys.public_text, "2026-11-23T09:00:00"))
        kiosk_s = fill(store, args.commits)
        with store.database.locked() as db:
            row_bytes = len(db.execute("SELECT body FROM outbox LIMIT 1").fetchone()[0])
        store.close()
        raw_s = raw_commits(work / "raw.db", args.commits, row_bytes)
        print(f"durable commits ({args.commits}, WAL + synchronous=FULL, {row_bytes}-byte sealed body):")
        print(f"  raw sqlite3 single-row commits   {args.commits / raw_s:8.0f} /s")
        print(
            f"  Store.add_submission (sealed)    {args.commits / kiosk_s:8.0f} /s   ({kiosk_s / raw_s:.2f}x the time)"
        )

        # One hall key pair and one enrolment for both runs: a template hall database, copied before each run.
        template = work / "hall-template.db"
        hall = HallServer(template)
        hall.start()
        seed = Store(work / "backlog.db")
        enrol(seed, Settings(), hall.url, hall.storage.new_enrolment_code())
        hall.stop()
        fill_s = fill(seed, args.backlog)
        seed.close()
        print(f"backlog of {args.backlog} sealed and committed in {fill_s:.1f} s")

        results = {}
        for n, (name, drain) in enumerate(
            (("batched (engine)", drain_batched), ("one request each", drain_one_by_one))
        ):
            for file in work.glob("hall-template.db*"):
                shutil.copy(file, work / file.name.replace("template", str(n)))
            shutil.copy(work / "backlog.db", work / f"kiosk-{n}.db")
            hall = HallServer(work / f"hall-{n}.db")
            hall.start()
            try:
                copy = Store(work / f"kiosk-{n}.db")
                copy.enrol(dataclasses.replace(copy.enrolment(), url=hall.url))
                copy.close()
                results[name] = drain(work / f"kiosk-{n}.db", hall.url)
                assert len(hall.storage.cases()) == args.backlog
            finally:
                hall.stop()
        base = results["one request each"]
        print(f"drain {args.backlog} submissions to the local hall over loopback:")
        for name, seconds in results.items():
            print(f"  {name:<18} {seconds:7.1f} s  {args.backlog / seconds:7.0f} /s  ({seconds / base:.2f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
