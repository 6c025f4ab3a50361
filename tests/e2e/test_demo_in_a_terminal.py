"""The real ``kiosk demo`` in a real terminal (tmux), as a person meets it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from config.faults import VARIABLE


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
def test_kiosk_demo_shows_the_notice_logs_the_traceback_and_starts_again(tmp_path):
    """The real command in a real terminal: a failure injected in the 办事 button's handler."""
    session = f"crash-{os.getpid()}"
    data = tmp_path / "demo"
    command = f"{VARIABLE}=welcome {sys.executable} -m kiosk demo --data-dir {data}; echo EXIT=$?; sleep 30"
    _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "35", command)
    try:
        screen = _wait_for_text(session, "申请办理业务")
        row = next(n for n, line in enumerate(screen.splitlines()) if "申请办理业务" in line)
        column = screen.splitlines()[row].index("申请办理业务")
        _tmux("send-keys", "-t", session, "-l", f"\x1b[<0;{column + 3};{row + 1}M\x1b[<0;{column + 3};{row + 1}m")
        _wait_for_text(session, "系统暂时出现问题")
        log = (data / "kiosk.log").read_text("utf-8")
        assert "InjectedFault" in log and "Traceback" in log and "starting the kiosk's UI again" in log
        _tmux("send-keys", "-t", session, "C-q")
        assert "EXIT=0" in _wait_for_text(session, "EXIT=")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def _wait_for_text(session: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")
