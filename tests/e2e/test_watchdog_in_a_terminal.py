"""The real ``kiosk demo`` in a real terminal, told by the variables systemd sets that systemd is watching: it
says READY=1 once drawn and pings while it works, and the UI started again after a failure gets its own watchdog."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from config.faults import VARIABLE
from tests.e2e.test_demo_in_a_terminal import _tmux, _wait_for_text

READY = "READY=1\nSTATUS=ready"


def _messages_until(sock: socket.socket, wanted: str, timeout: float = 30) -> list[str]:
    received: list[str] = []
    deadline = time.monotonic() + timeout
    while wanted not in received and (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            received.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    assert wanted in received, f"{wanted!r} never came; received {received}"
    return received


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
def test_kiosk_demo_notifies_systemd_and_each_new_ui_gets_its_watchdog(tmp_path):
    session = f"watchdog-{os.getpid()}"
    data = tmp_path / "demo"
    with (
        tempfile.TemporaryDirectory(prefix="notify-") as folder,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sd,
    ):
        address = str(Path(folder) / "notify")
        sd.bind(address)
        environment = f"NOTIFY_SOCKET={address} WATCHDOG_USEC=1000000 {VARIABLE}=welcome"
        command = f"{environment} {sys.executable} -m kiosk demo --data-dir {data}; echo EXIT=$?; sleep 30"
        _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "35", command)
        try:
            assert _messages_until(sd, READY)[-1] == READY
            screen = _wait_for_text(session, "申请办理业务")
            assert "WATCHDOG=1" in _messages_until(sd, "WATCHDOG=1", timeout=5)

            row = next(n for n, line in enumerate(screen.splitlines()) if "申请办理业务" in line)
            column = screen.splitlines()[row].index("申请办理业务")
            _tmux("send-keys", "-t", session, "-l", f"\x1b[<0;{column + 3};{row + 1}M\x1b[<0;{column + 3};{row + 1}m")
            _wait_for_text(session, "系统暂时出现问题")
            _messages_until(sd, READY)  # the new UI's own watchdog, once it has drawn
            assert "WATCHDOG=1" in _messages_until(sd, "WATCHDOG=1", timeout=5)

            _tmux("send-keys", "-t", session, "C-q")
            assert "EXIT=0" in _wait_for_text(session, "EXIT=")
            sd.settimeout(1.5)
            with pytest.raises(TimeoutError):  # the process has ended: nothing pings for it any more
                while True:
                    sd.recv(4096)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
