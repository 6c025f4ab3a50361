"""A disk that really fills up under the kiosk's store (a small tmpfs in a mount namespace of the test's own): a
commit is refused with a clear message, the write-ahead log that cannot be folded into the database at close keeps
every commit, the kiosk restarted on the full disk reads them all, and with room again the log is folded and
nothing is missing. ``full_disk.py`` runs the steps; this judges what it saw."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seen(tmp_path_factory) -> dict:
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to give the store a disk that fills up")
    mount = tmp_path_factory.mktemp("small-disk")
    script = f'mount -t tmpfs -o size=8m tmpfs "{mount}" && exec "{sys.executable}" -m tests.cache.full_disk "{mount}"'
    # A user namespace too, so it needs no root: the tmpfs and what is on it vanish when the child ends.
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {**json.loads(done.stdout), "log": done.stderr}


def test_a_commit_on_the_full_disk_is_refused_clearly_and_logged(seen):
    assert "存储空间已满" in seen["commit_on_full_disk"]
    assert "之前保存的申请不受影响" in seen["commit_on_full_disk"]
    assert "database or disk is full" in seen["log"]


def test_the_log_unfolded_at_close_keeps_every_commit_and_the_restart_reads_them(seen):
    assert seen["after_close_on_full_disk"]["-wal"] >= seen["before_fill"]["-wal"]  # still there, not truncated
    assert "write-ahead log stays unfolded" in seen["log"]
    assert seen["read_on_full_disk"] == sorted(seen["shown"])  # integrity_check ok, inside full_disk.py
    assert sorted(seen["reopened_on_full_disk"]) == sorted(seen["shown"])


def test_with_room_again_the_log_is_folded_and_nothing_is_missing(seen):
    assert seen["after_room"] not in seen["shown"]
    assert seen["after_close_with_room"]["-wal"] in (None, 0)
    assert seen["after_close_with_room"][""] > seen["before_fill"][""]
    assert seen["read_at_last"] == sorted([*seen["shown"], seen["after_room"]])
