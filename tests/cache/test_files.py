"""Nothing the kiosk writes is readable by another account on the machine, whatever the umask it was started
with; what an older version left wider is narrowed at start and said; the log is rotated with a size bound."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from kiosk.cli import run
from kiosk.doctor.storage import files_check
from offline_cache import Store
from offline_cache.files import too_open
from tests.conftest import enrol


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """A umask that would make everything readable by everyone, as a careless service file could give."""
    before = os.umask(0)
    yield
    os.umask(before)


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:], root.level = handlers, level


def test_the_database_its_log_and_its_folder_are_the_users_alone_whatever_the_umask(tmp_path, open_umask):
    data = tmp_path / "kiosk-data"
    store = Store(data / "kiosk.db")
    enrol(store)  # a write: the WAL and shared memory exist now
    assert mode(data) == 0o700
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
        assert mode(data / name) == 0o600, name
    store.close()
    assert too_open(data) == []


def test_what_was_left_wider_is_narrowed_at_start_and_said(tmp_path, open_umask, restore_logging, caplog):
    data = tmp_path / "kiosk-data"
    data.mkdir(mode=0o755)
    (data / "kiosk.db").touch(mode=0o644)
    (data / "receipts").mkdir(mode=0o755)
    (data / "receipts" / "DEMO01-261122-0001-D.png").touch(mode=0o644)
    assert files_check(data).level == "warn"
    assert "chmod -R go=" in files_check(data).fix
    with caplog.at_level(logging.WARNING, logger="offline_cache.files"):
        os.umask(run.PRIVATE_UMASK)  # as `kiosk run` sets it first
        run.log_to(data)
    assert too_open(data) == []
    assert files_check(data).level == "ok"
    assert "readable by others" in caplog.text
    # what the kiosk makes from here on is the user's alone, though it was started with umask 0
    (data / "receipts" / "later.png").write_bytes(b"png")
    assert mode(data / "receipts" / "later.png") == 0o600
    assert mode(data / "kiosk.log") == 0o600


def test_the_log_is_rotated_and_bounded(tmp_path, restore_logging, monkeypatch):
    monkeypatch.setattr(run, "LOG_BYTES", 2000)
    run.log_to(tmp_path)
    for n in range(500):
        logging.getLogger("kiosk").info("line %d of a long day at the village point", n)
    logs = sorted(path.name for path in tmp_path.glob("kiosk.log*"))
    assert logs == ["kiosk.log", *(f"kiosk.log.{n}" for n in range(1, run.LOG_BACKUPS + 1))]
    assert all(path.stat().st_size <= 2000 + 200 for path in tmp_path.glob("kiosk.log*"))
    assert "line 499 " in (tmp_path / "kiosk.log").read_text()
    assert all(mode(path) == 0o600 for path in tmp_path.glob("kiosk.log*"))
