"""The hall's keys live outside its database: a key file only its user reads, or the environment; a hall made
before gives them up on opening; the database file is its user's alone too."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat

import pytest

from kiosk.hall.keyfile import ENVIRONMENT, LEGACY_NAMES, HallKeys, keys_path
from kiosk.hall.sqlite_storage import SqliteHallStorage
from kiosk.hall.storage import HallError
from offline_cache.envelope import associated_data, open_sealed, seal


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def secret_texts(keys: HallKeys) -> list[bytes]:
    return [value.encode() for value in keys.legacy_values().values()]


@pytest.fixture
def open_umask():
    """A umask that would make files readable by everyone."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_new_hall_writes_its_keys_beside_the_database_and_nothing_readable_by_others(tmp_path, open_umask):
    db = tmp_path / "hall.db"
    hall = SqliteHallStorage(db, environ={})
    hall.new_enrolment_code()  # a write: the WAL and shared-memory files exist now
    keys = HallKeys.from_json(keys_path(db).read_text())
    assert keys.sealing.public_text == hall.hall_keys.public_text
    assert hall.signing_public_key  # appointments are signed with the key file's signing key
    for path in (keys_path(db), db, tmp_path / "hall.db-wal", tmp_path / "hall.db-shm"):
        assert mode(path) == 0o600, path
    hall.close()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("hall.db*") if path != keys_path(db))
    assert not any(secret in stored for secret in secret_texts(keys))


def test_the_hall_opens_again_with_the_same_keys(tmp_path):
    first = SqliteHallStorage(tmp_path / "hall.db", environ={})
    public, signing = first.hall_keys.public_text, first.signing_public_key
    first.close()
    again = SqliteHallStorage(tmp_path / "hall.db", environ={})
    assert (again.hall_keys.public_text, again.signing_public_key) == (public, signing)


def test_a_hall_made_before_moves_its_keys_out_and_still_opens_what_its_kiosks_sealed(tmp_path, caplog):
    db = tmp_path / "hall.db"
    SqliteHallStorage(db, environ={}).close()
    old = HallKeys.generate()
    keys_path(db).unlink()
    with sqlite3.connect(db) as connection:  # as a hall made before kept them
        connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", old.legacy_values().items())
    connection.close()
    aad = associated_data("sub-1", 1)
    sealed = seal(b'{"x": 1}', old.sealing.public_text, aad)  # sealed by a kiosk enrolled before the move

    with caplog.at_level(logging.WARNING):
        hall = SqliteHallStorage(db, environ={})
    assert open_sealed(sealed, hall.hall_keys.private, aad) == b'{"x": 1}'
    assert HallKeys.from_json(keys_path(db).read_text()).to_json() == old.to_json()
    assert "moved out of the database" in caplog.text
    with sqlite3.connect(db) as connection:
        left = connection.execute("SELECT key FROM meta WHERE key IN (?, ?, ?)", list(LEGACY_NAMES.values()))
        assert left.fetchall() == []
    connection.close()
    hall.close()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("hall.db*") if path != keys_path(db))
    assert not any(secret in stored for secret in secret_texts(old))


def test_keys_from_the_environment_are_used_and_no_file_is_written(tmp_path):
    keys = HallKeys.generate()
    hall = SqliteHallStorage(tmp_path / "hall.db", environ={ENVIRONMENT: keys.to_json()})
    assert hall.hall_keys.public_text == keys.sealing.public_text
    assert not keys_path(tmp_path / "hall.db").exists()


def test_a_key_file_readable_by_others_is_narrowed_and_said(tmp_path, caplog):
    SqliteHallStorage(tmp_path / "hall.db", environ={}).close()
    keys_path(tmp_path / "hall.db").chmod(0o644)
    with caplog.at_level(logging.WARNING):
        SqliteHallStorage(tmp_path / "hall.db", environ={}).close()
    assert mode(keys_path(tmp_path / "hall.db")) == 0o600
    assert "readable by others" in caplog.text


@pytest.mark.parametrize("text", ["", "{}", '{"sealing": "AAAA", "signing": "x", "holder": "zz"}', "not json"])
def test_a_damaged_key_file_stops_the_hall_with_the_fix_and_is_never_replaced(tmp_path, text):
    SqliteHallStorage(tmp_path / "hall.db", environ={}).close()
    keys_path(tmp_path / "hall.db").write_text(text)
    with pytest.raises(HallError, match="从备份恢复"):
        SqliteHallStorage(tmp_path / "hall.db", environ={})
    assert keys_path(tmp_path / "hall.db").read_text() == text


def test_a_database_still_holding_other_keys_than_the_environments_is_refused(tmp_path):
    db = tmp_path / "hall.db"
    SqliteHallStorage(db, environ={}).close()
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [LEGACY_NAMES["sealing"], "c2VhbGluZw=="])
    connection.close()
    with pytest.raises(HallError, match="不同的大厅密钥"):
        SqliteHallStorage(db, environ={ENVIRONMENT: HallKeys.generate().to_json()})


def test_the_environment_says_which_variable_is_wrong(tmp_path):
    with pytest.raises(HallError, match=ENVIRONMENT):
        SqliteHallStorage(tmp_path / "hall.db", environ={ENVIRONMENT: json.dumps({"sealing": "x"})})
