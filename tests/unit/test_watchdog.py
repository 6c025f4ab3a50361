"""The systemd watchdog against a real AF_UNIX datagram socket, as systemd listens: READY=1 after the first frame,
WATCHDOG=1 only while the UI answers and the database takes a write."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from textual.app import App

from kiosk.watchdog import MIRROR_KEY, UIEnded, Watchdog, sd_notify, systemd_watchdog, ui_answers
from offline_cache import Store

PERIOD = 0.4  # seconds: a ping every 0.2 s


class FakeUI:
    """A UI check that answers, or, once hung, waits out the timeout and says no, or, once ended, says so (as the
    real one does)."""

    def __init__(self) -> None:
        self.hung = False
        self.ended = False

    def __call__(self, timeout: float) -> bool:
        if self.ended:
            raise UIEnded
        if self.hung:
            time.sleep(timeout)
        return not self.hung


class NotifySocket:
    """systemd's end: a bound datagram socket collecting what the kiosk says."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)

    def messages(self, seconds: float) -> list[str]:
        received = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                received.append(self.sock.recv(4096).decode())
            except TimeoutError:
                break
        return received


@pytest.fixture
def systemd():
    # A short folder: a socket's path must fit in 108 bytes, which pytest's tmp_path may not.
    with tempfile.TemporaryDirectory(prefix="notify-") as folder:
        listener = NotifySocket(str(Path(folder) / "notify"))
        yield listener
        listener.sock.close()


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "kiosk.db")
    yield store
    store.close()


def _running(address: str, ui, store: Store) -> Watchdog:
    watchdog = Watchdog(address, PERIOD, ui, store)
    watchdog.start()
    return watchdog


def _pings_after(messages: list[str], failing: str) -> list[str]:
    """What came after the failure was told: at most one ping may have been on its way before it."""
    assert failing in messages, messages
    before, after = messages[: messages.index(failing)], messages[messages.index(failing) + 1 :]
    assert before in ([], ["WATCHDOG=1"]), messages
    return after


def test_ready_after_the_first_frame_then_pings_every_half_period_while_checks_pass(systemd, store):
    ui = FakeUI()
    ui.hung = True  # still drawing its first frame
    watchdog = _running(systemd.address, ui, store)
    try:
        assert systemd.messages(0.5) == []
        ui.hung = False
        messages = systemd.messages(1.1)
    finally:
        watchdog.stop()
    assert messages[0] == "READY=1\nSTATUS=ready"
    assert set(messages[1:]) == {"WATCHDOG=1"}
    assert 2 <= len(messages[1:]) <= 7  # one at once, then every 0.2 s (fewer on a loaded machine)
    assert store.mirror_value(MIRROR_KEY)  # the check really wrote


def test_no_ping_while_the_ui_does_not_answer_and_pings_again_when_it_does(systemd, store, caplog):
    ui = FakeUI()
    watchdog = _running(systemd.address, ui, store)
    try:
        assert "WATCHDOG=1" in systemd.messages(0.5)
        with caplog.at_level(logging.ERROR, logger="kiosk.watchdog"):
            ui.hung = True
            stalled = systemd.messages(1.5)
        ui.hung = False
        recovered = systemd.messages(1.5)
    finally:
        watchdog.stop()
    assert _pings_after(stalled, "STATUS=health check failing: the UI loop did not answer within 0.1 s") == []
    assert "the UI loop did not answer" in caplog.text
    assert recovered[0] == "STATUS=ready" and "WATCHDOG=1" in recovered


def test_no_ping_while_the_database_refuses_writes(systemd, store, caplog):
    watchdog = _running(systemd.address, FakeUI(), store)
    try:
        assert "WATCHDOG=1" in systemd.messages(0.5)
        with caplog.at_level(logging.ERROR):
            with store.database.locked() as db:
                db.execute("PRAGMA query_only = ON")  # SQLite refuses writes as on a read-only file
            stalled = systemd.messages(1.5)
    finally:
        watchdog.stop()
    assert _pings_after(stalled, "STATUS=health check failing: the database does not take writes") == []
    assert "watchdog: the database does not take writes" in caplog.text


def test_no_ping_once_the_store_is_closed(systemd, tmp_path):
    store = Store(tmp_path / "kiosk.db")
    store.close()
    watchdog = _running(systemd.address, FakeUI(), store)
    try:
        messages = systemd.messages(0.8)
    finally:
        watchdog.stop()
    assert messages == ["READY=1\nSTATUS=ready", "STATUS=health check failing: the database does not take writes"]


def test_an_ended_ui_is_not_a_failure_its_watchdog_just_stops(systemd, store, caplog):
    ui = FakeUI()
    watchdog = _running(systemd.address, ui, store)
    try:
        assert "WATCHDOG=1" in systemd.messages(0.5)
        with caplog.at_level(logging.ERROR, logger="kiosk.watchdog"):
            ui.ended = True  # the app returned (quit, or crashed to be started again): nothing more to say
            systemd.messages(0.25)
            assert systemd.messages(0.6) == []
    finally:
        watchdog.stop()
    assert caplog.text == ""


def test_abstract_socket_names_and_the_environment_systemd_sets(store):
    listener = NotifySocket(f"@kiosk-test-{uuid.uuid4().hex}")
    environ = {"NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": str(os.getpid())}
    try:
        with systemd_watchdog(environ, FakeUI(), store) as watchdog:
            assert watchdog is not None and watchdog.period == PERIOD
            messages = listener.messages(0.5)
    finally:
        listener.sock.close()
    assert messages[0] == "READY=1\nSTATUS=ready" and "WATCHDOG=1" in messages


def test_outside_systemd_or_for_another_process_there_is_no_ping(systemd, store):
    with systemd_watchdog({}, FakeUI(), store) as watchdog:
        assert watchdog is None
    # A process started under the kiosk's unit inherits the variables, but systemd watches only WATCHDOG_PID.
    environ = {"NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"}
    with systemd_watchdog(environ, FakeUI(), store) as watchdog:
        assert watchdog is not None and watchdog.period is None
        assert systemd.messages(0.6) == ["READY=1\nSTATUS=ready"]


def test_a_vanished_socket_is_logged_not_raised(tmp_path, store, caplog):
    with caplog.at_level(logging.ERROR, logger="kiosk.watchdog"):
        watchdog = _running(str(tmp_path / "gone"), FakeUI(), store)
        time.sleep(0.3)
        watchdog.stop()
    assert "cannot notify systemd" in caplog.text
    with pytest.raises(OSError):
        sd_notify(str(tmp_path / "gone"), "READY=1")


class Blank(App):
    pass


async def test_ui_answers_a_running_textual_app_and_not_a_stuck_one():
    app = Blank()
    answers = ui_answers(app)
    assert not answers(0.2)  # not started: nothing has been drawn
    async with app.run_test():
        assert await asyncio.to_thread(answers, 2.0)
        app.call_later(lambda: time.sleep(1.0))  # a handler that blocks the UI loop
        started = time.monotonic()
        assert not await asyncio.to_thread(answers, 0.3)
        assert time.monotonic() - started < 1.5
        assert await asyncio.to_thread(answers, 2.0)  # answered again once the handler returned
    with pytest.raises(UIEnded):
        answers(0.2)
