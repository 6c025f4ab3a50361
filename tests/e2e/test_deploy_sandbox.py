"""The kiosk and the hall inside the system call filter, address families and W^X rule of their units
(tests/e2e/deploy_sandbox.py): what `MemoryDenyWriteExecute=yes` and `SystemCallFilter=` would break shows here,
not on a kiosk in a village."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.test_demo_in_a_terminal import _tmux, _wait_for_text
from tests.e2e.test_watchdog_in_a_terminal import READY, _messages_until

ROOT = Path(__file__).parent.parent.parent
KIOSK_UNIT = ROOT / "deploy/kiosk.service"
HALL_UNIT = ROOT / "deploy/kiosk-hall.service"


def _why_not() -> str | None:
    if shutil.which("systemd-analyze") is None:
        return "systemd-analyze absent (it lists the filter's system calls)"
    if ctypes.util.find_library("seccomp") is None:
        return "libseccomp absent"
    if ctypes.CDLL(None).prctl(66, 0, 0, 0, 0) < 0:  # PR_GET_MDWE
        return "the kernel has no PR_SET_MDWE (Linux 6.3+)"
    if os.geteuid() != 0:
        return "a /proc of its own (ProcSubset=pid) needs a mount namespace: run as root"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


def _sandboxed(unit: Path, *command: str) -> list[str]:
    return [sys.executable, "-m", "tests.e2e.deploy_sandbox", str(unit), "--", *command]


def test_the_sandbox_refuses_what_the_unit_forbids():
    probe = """
import mmap, os, socket
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    print("W+X allowed")
except OSError:
    pass
try:
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    print("AF_PACKET allowed")
except OSError:
    pass
try:
    os.setuid(os.getuid())
    print("setuid allowed")
except OSError:
    pass
socket.socket(socket.AF_INET6).close()
if os.path.exists("/proc/cpuinfo"):
    print("/proc shows more than processes")
print("done")
"""
    result = subprocess.run(
        _sandboxed(KIOSK_UNIT, sys.executable, "-c", probe), capture_output=True, text=True, cwd=ROOT
    )
    assert result.stdout == "done\n", result.stdout + result.stderr


def test_filing_printing_and_sync_pass_inside_the_kiosk_units_sandbox():
    tests = [
        "tests/app/test_app.py::test_resident_path_from_card_to_rating_is_stored",
        "tests/app/test_app_sync.py::test_a_submission_made_offline_shows_waiting_then_received_when_the_hall_returns",
    ]
    pytest_in_sandbox = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *tests]
    result = subprocess.run(_sandboxed(KIOSK_UNIT, *pytest_in_sandbox), capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
def test_the_kiosk_demo_starts_and_feeds_its_watchdog_inside_the_sandbox(tmp_path):
    session = f"sandbox-{os.getpid()}"
    with (
        tempfile.TemporaryDirectory(prefix="notify-") as folder,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sd,
    ):
        address = str(Path(folder) / "notify")
        sd.bind(address)
        kiosk = _sandboxed(KIOSK_UNIT, sys.executable, "-m", "kiosk", "demo", "--data-dir", str(tmp_path / "demo"))
        command = f"NOTIFY_SOCKET={address} WATCHDOG_USEC=1000000 {' '.join(kiosk)}; echo EXIT=$?; sleep 30"
        _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "35", "-c", str(ROOT), command)
        try:
            assert _messages_until(sd, READY)[-1] == READY
            _messages_until(sd, "WATCHDOG=1", timeout=5)  # the UI answers and the database takes writes
            _wait_for_text(session, "在线")  # the demo's hall (uvicorn, in the process) answered over loopback
            _tmux("send-keys", "-t", session, "C-q")
            assert "EXIT=0" in _wait_for_text(session, "EXIT=")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_the_hall_serves_inside_its_units_sandbox(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = ["-m", "kiosk", "hall", "serve", "--db", str(tmp_path / "hall.db"), "--port", str(port)]
    hall = subprocess.Popen(
        _sandboxed(HALL_UNIT, sys.executable, *serve), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and hall.poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail(f"the hall never answered: {hall.communicate(timeout=5)[0].decode()[-2000:]}")
        assert health.json()["service"] == "kiosk-hall"
    finally:
        hall.terminate()
        hall.wait(timeout=10)
