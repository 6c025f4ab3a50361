"""What is particular to each back-end: ``--db`` names one or the other, never a URL taken for a file; the schema's
versions; and on PostgreSQL, several workers on one database giving each case its own number."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

import psycopg
import pytest

from kiosk.catalog import load_catalog
from kiosk.hall.backends import open_storage, shown
from kiosk.hall.intake import accept_submission
from kiosk.hall.postgres_db import PostgresHallStorage
from kiosk.hall.schema import MIGRATIONS, SCHEMA
from kiosk.hall.sqlite_storage import SqliteHallStorage
from kiosk.hall.storage import HallError, Principal
from tests.hall.test_hall import Kiosk

KIOSK = Principal("kiosk", "k-1", "HT01")


def test_a_url_is_never_taken_for_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HallError, match="连不上大厅数据库"):
        open_storage("postgresql://hall@127.0.0.1:9/nowhere", tmp_path / "keys")
    with pytest.raises(HallError, match="mysql:// 不支持"):
        open_storage("mysql://hall@db/hall")
    assert list(tmp_path.iterdir()) == []  # no file or folder named after the URL


def test_postgresql_needs_the_keys_from_a_file_or_the_environment(postgres_url, monkeypatch):
    monkeypatch.delenv("KIOSK_HALL_KEYS", raising=False)
    with pytest.raises(HallError, match="--keys FILE"):
        open_storage(postgres_url)


def test_a_new_database_is_at_the_newest_version_and_a_newer_one_is_refused(postgres_url, tmp_path):
    PostgresHallStorage(postgres_url, tmp_path / "keys").close()
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(len(MIGRATIONS),)]
        db.execute("UPDATE schema_version SET version = version + 1")
    with pytest.raises(HallError, match="请升级大厅程序"):
        PostgresHallStorage(postgres_url, tmp_path / "keys")


def test_a_sqlite_file_made_before_versions_gets_what_version_1_has_and_every_later_version(tmp_path):
    db = tmp_path / "hall.db"
    before = SCHEMA.replace(", reason TEXT NOT NULL DEFAULT ''", "")  # ratings came without reasons then
    assert before != SCHEMA
    with closing(sqlite3.connect(db)) as old:  # a hall file of before: no versions, no reasons, no queue yet
        old.executescript(before)
        old.execute("DROP TABLE queue_tickets")
        payload = '{"applicant": {"kind": "person", "name": "王秀英", "number": "530402194103150025"}}'
        old.execute(
            "INSERT INTO submissions VALUES ('id-1', 'HT01-261123-0001-X', 'MZ0001', '2026-11-23T09:00:00', 1, 'h',"
            " ?, '{}', 'k-1', 'HT01', 'SL2026000001', '申请', '2026-11-23T01:00:00+00:00',"
            " '2026-11-23T01:00:00+00:00', 1)",
            [payload],
        )
        old.commit()
    SqliteHallStorage(db, environ={}).close()
    with closing(sqlite3.connect(db)) as opened:
        assert opened.execute("SELECT version FROM schema_version").fetchall() == [(len(MIGRATIONS),)]
        assert "reason" in {row[1] for row in opened.execute("PRAGMA table_info(evaluations)")}
        assert opened.execute("SELECT name FROM sqlite_master WHERE name = 'queue_tickets'").fetchone()
        # version 3 gave the case filed before it its masked applicant, for the console's search
        assert opened.execute("SELECT applicant FROM submissions").fetchall() == [("王**",)]


def test_workers_on_one_database_give_every_case_its_own_number_and_store_each_submission_once(postgres_url, tmp_path):
    """Four storages stand for four hall workers; each sends the same 20 submissions from its own threads."""
    workers = [PostgresHallStorage(postgres_url, tmp_path / "keys") for _ in range(4)]
    workers[0].seed_catalog(load_catalog())
    kiosk = Kiosk(None, KIOSK.kiosk_id, "", workers[0].hall_keys.public_text)  # its submissions, not its HTTP
    submissions = [kiosk.submission(f"DEMO01-261123-{n:04d}-X") for n in range(1, 21)]
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(storage: PostgresHallStorage) -> None:
        for body in submissions:
            result = accept_submission(storage, KIOSK, body)
            with lock:
                answers.append((result.status, result.answer.case_number))

    threads = [threading.Thread(target=send, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.close()
    assert sorted(status for status, _ in answers) == [200] * 60 + [201] * 20  # each stored once, then replayed
    numbers = {number for _, number in answers}
    assert len(numbers) == 20 and all(len([1 for _, n in answers if n == number]) == 4 for number in numbers)
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT count(*), count(DISTINCT case_number) FROM submissions").fetchone() == (20, 20)


def test_a_database_url_is_printed_without_its_password():
    assert shown("postgresql://hall:s3cret@db.example:5432/hall") == "postgresql://hall:***@db.example:5432/hall"
    assert shown("postgresql://hall@db.example/hall") == "postgresql://hall@db.example/hall"
    assert shown("/var/lib/kiosk-hall/hall.db") == "/var/lib/kiosk-hall/hall.db"
