"""A kiosk store on a disk that really fills up: run by ``test_disk_full.py`` as a child process, inside a mount
namespace of its own with a small tmpfs at ``sys.argv[1]``, so SQLite meets a genuine ``ENOSPC`` and not a limit
of its own. Prints what it saw, one JSON object, for the test to judge.

The steps: submissions are committed while there is room (they sit in the write-ahead log, not yet checkpointed);
ballast fills the disk; a commit is tried; the store is closed, which is when SQLite checkpoints the log into the
database file, and that needs room; the store is opened again on the still-full disk and read; the ballast goes;
the store takes a new submission, closes and checkpoints."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import uuid
from contextlib import closing
from datetime import datetime
from pathlib import Path

from offline_cache import CacheError, NewSubmission, Store
from offline_cache.envelope import HallKeyPair
from offline_cache.store import Enrolment


def submission(n: int) -> NewSubmission:
    person = {"applicant": {"name": "李建国", "number": "53040219580701013X"}, "values": {"phone": "13800001234"}}
    return NewSubmission(
        str(uuid.uuid4()), "MZ0001", "老年人优待证办理", datetime(2026, 11, 23, 10, n % 60), {}, person
    )


def add(store: Store, n: int) -> str:
    return store.add_submission(submission(n), lambda seq: f"DEMO01-261123-{seq:04d}-X").serial


def fill(folder: Path) -> Path:
    """Write ballast until the disk says it is full."""
    ballast = folder / "ballast"
    with ballast.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == 28, exc
    return ballast


def sizes(path: Path) -> dict[str, int]:
    return {
        suffix: file.stat().st_size if (file := path.with_name(path.name + suffix)).exists() else None
        for suffix in ("", "-wal")
    }


def serials_in(path: Path) -> list[str]:
    """What a fresh reader of the files finds, through SQLite's own recovery of the log."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return [row[0] for row in conn.execute("SELECT serial FROM submissions ORDER BY serial")]


def main(mount: Path) -> dict[str, object]:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    path = mount / "data" / "kiosk.db"
    seen: dict[str, object] = {}
    store = Store(path)
    key = HallKeyPair.generate().public_text
    store.enrol(Enrolment("http://127.0.0.1:9", "K1", "DEMO01", "token", key, "2026-11-23T09:00:00"))
    shown = [add(store, n) for n in range(40)]
    seen["shown"] = shown
    seen["before_fill"] = sizes(path)

    ballast = fill(mount)
    try:
        add(store, 99)
        seen["commit_on_full_disk"] = "saved"
    except CacheError as exc:
        seen["commit_on_full_disk"] = str(exc)
    store.close()  # the last connection closing: SQLite checkpoints the log here, if it can
    seen["after_close_on_full_disk"] = sizes(path)
    seen["read_on_full_disk"] = serials_in(path)

    store = Store(path)  # the kiosk restarted with the disk still full
    seen["reopened_on_full_disk"] = [s.serial for s in store.submissions_on("2026-11-23")]
    ballast.unlink()  # the technician freed some room
    seen["after_room"] = add(store, 100)
    store.close()
    seen["after_close_with_room"] = sizes(path)
    seen["read_at_last"] = serials_in(path)
    return seen


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), ensure_ascii=False))
