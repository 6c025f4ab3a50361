"""``kiosk hall serve --workers N`` on PostgreSQL: N processes on one listening socket and one database, nothing a
request needs kept in a worker's memory, every submission stored once whichever worker takes it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

from tests.hall.test_hall import enrol

ROOT = Path(__file__).parent.parent.parent


def workers(pid: int) -> list[int]:
    """The worker processes ``pid`` spawned (multiprocessing's resource tracker, also its child, is not one)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            spawned = f"\nPPid:\t{pid}\n" in status.read_text()
            if spawned and b"spawn_main" in (status.parent / "cmdline").read_bytes():
                found.append(int(status.parent.name))
        except OSError:
            continue  # it ended while we looked
    return found


class Served:
    """What ``enrol`` needs of a hall: its address and a way to make enrolment codes."""

    def __init__(self, url: str, db: str, keys: Path) -> None:
        self.url = url
        self._options = ["--db", db, "--keys", str(keys)]

    @property
    def storage(self) -> Served:
        return self

    def new_enrolment_code(self) -> str:
        command = [sys.executable, "-m", "kiosk", "hall", "enroll-code", *self._options]
        return subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()


def test_workers_share_one_database_and_store_each_submission_once(postgres_url, tmp_path):
    keys = tmp_path / "hall.keys"
    command = [sys.executable, "-m", "kiosk", "hall", "serve", "--db", postgres_url, "--keys", str(keys)]
    serve = subprocess.Popen(
        [*command, "--port", "0", "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        started = serve.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", started)
        assert url and "2 个进程" in started, started
        deadline = time.monotonic() + 60
        while len(workers(serve.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers(serve.pid)) == 2, "two worker processes under the supervisor"
        while time.monotonic() < deadline:
            try:
                requests.get(url[0] + "/v1/health", timeout=2)
                break
            except requests.RequestException:  # refused, or taken by a worker still importing the app
                time.sleep(0.1)

        kiosk = enrol(Served(url[0], postgres_url, keys))  # a code made by the command line, spent at a worker
        bodies = [kiosk.submission(f"DEMO01-261123-{n:04d}-X") for n in range(1, 21)]
        with ThreadPoolExecutor(8) as pool:  # every body twice, from eight connections at once
            answers = list(pool.map(kiosk.put, bodies + bodies))
        assert sorted(answer.status_code for answer in answers) == [200] * 20 + [201] * 20
        assert len({answer.json()["case_number"] for answer in answers}) == 20
        with psycopg.connect(postgres_url) as db:
            assert db.execute("SELECT count(*) FROM submissions").fetchone() == (20,)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=30)
