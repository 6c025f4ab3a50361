"""systemd's watchdog, fed only while the kiosk really works.

A ping sent from a timer proves only that a thread is scheduled; a kiosk whose UI loop is stuck, or whose disk
refuses writes, would be kept alive showing residents a dead screen. So under systemd (``NOTIFY_SOCKET`` and
``WATCHDOG_USEC`` set, see ``deploy/kiosk.service``) a thread sends ``READY=1`` once the UI has drawn its first
frame, then ``WATCHDOG=1`` every half period only after two checks pass: the UI loop answers within a timeout,
and the kiosk's database commits a tiny write. When a check fails the ping is withheld, the failure logged (no
personal data) and shown by ``systemctl status``; a check that keeps failing for the watchdog period gets the
kiosk killed and started again by systemd (``Restart=always``).

Outside systemd nothing happens. The sd_notify protocol is spoken here: one datagram per message to the
AF_UNIX socket named by ``NOTIFY_SOCKET`` (a path, or an abstract name written with a leading ``@``).

    >>> with systemd_watchdog(os.environ, ui_answers(app), services.store):
    ...     app.run()
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from offline_cache import CacheError, Store

log = logging.getLogger(__name__)

UI_TIMEOUT = 5.0  # a UI that takes longer than this to answer is stuck as far as a resident can tell
RETRY_SECONDS = 1.0  # after a failed check: a stall shorter than the period must not cost the kiosk its life
STARTING_POLL_SECONDS = 0.1  # until the first frame: systemd hears the kiosk is up as soon as it is
MIRROR_KEY = "watchdog_checked_at"


class UIEnded(Exception):
    """The app the watchdog asks has stopped running: its watchdog's work is done (the next UI gets its own)."""


def sd_notify(address: str, message: str) -> None:
    """Send one message (``READY=1``, ``WATCHDOG=1``, ``STATUS=…``) to systemd's notification socket."""
    if address.startswith("@"):
        address = "\0" + address[1:]  # Linux's abstract socket namespace: no file, a leading NUL byte
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        sock.sendto(message.encode(), address)


def ui_answers(app: Any) -> Callable[[float], bool]:
    """A check for :class:`Watchdog`: does ``app`` (a Textual App, duck-typed so that this module stays free of
    Textual) run a callback after its next screen refresh within ``timeout`` seconds? That proves its message loop
    turns and its screen is drawn; the first success comes after the first frame. Raises :class:`UIEnded` once
    the app, having run, has stopped."""
    started = False

    def answers(timeout: float) -> bool:
        nonlocal started
        if not app.is_running:
            if started:
                raise UIEnded
            return False  # not mounted yet: the app would drop the callback
        started = True
        answered = threading.Event()
        # call_after_refresh is thread-safe (it posts a message) and, unlike call_from_thread, never blocks.
        return app.call_after_refresh(answered.set) and answered.wait(timeout)

    return answers


class Watchdog:
    """A thread that tells systemd at ``address`` the kiosk is ready, then pings every ``period / 2`` seconds
    while ``ui_answers(timeout)`` is true and ``store`` takes a write. ``period`` None: ``READY=1`` only (the
    unit has no ``WatchdogSec=``)."""

    def __init__(
        self,
        address: str,
        period: float | None,
        ui_answers: Callable[[float], bool],
        store: Store,
        ui_timeout: float = UI_TIMEOUT,
    ) -> None:
        self.address = address
        self.period = period
        self._ui_answers = ui_answers
        self._store = store
        self._ui_timeout = min(ui_timeout, period / 4) if period else ui_timeout
        self._stopping = threading.Event()
        self._writing = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="systemd-watchdog", daemon=True)
        self._failing: str | None = None

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str], ui_answers: Callable[[float], bool], store: Store
    ) -> Watchdog | None:
        """The watchdog systemd asked for through ``environ``, or None outside systemd."""
        address = environ.get("NOTIFY_SOCKET", "")
        if not address.startswith(("/", "@")):
            return None
        usec = environ.get("WATCHDOG_USEC", "")
        # WATCHDOG_PID names the process systemd watches; a child that inherited the variables must not ping.
        watched = environ.get("WATCHDOG_PID", str(os.getpid())) == str(os.getpid())
        period = int(usec) / 1_000_000 if usec.isdigit() and int(usec) > 0 and watched else None
        return cls(address, period, ui_answers, store)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop, for the app has ended. Returns once no write to the store is under way (it closes next); a UI
        check still waiting ends on its own and sends nothing."""
        self._stopping.set()
        with self._writing:
            pass

    def _run(self) -> None:
        try:
            if not self._wait_for_first_frame() or self.period is None:
                return
            wait = 0.0
            while not self._stopping.wait(wait):
                failure = self._failure()
                if self._stopping.is_set():
                    return
                if failure is None:
                    self._passing()
                    self._send("WATCHDOG=1")
                    wait = self.period / 2
                else:
                    self._failed(failure)
                    wait = RETRY_SECONDS
        except UIEnded:
            log.debug("watchdog: the UI has ended")

    def _wait_for_first_frame(self) -> bool:
        """Tell systemd the kiosk is up once its UI has drawn; False when stopped before that."""
        while not self._stopping.wait(STARTING_POLL_SECONDS):
            if self._ui_ok() and not self._stopping.is_set() and self._send("READY=1\nSTATUS=ready"):
                return True
        return False

    def _failure(self) -> str | None:
        """Why the kiosk is not working, or None when both checks pass."""
        if not self._ui_ok():
            return f"the UI loop did not answer within {self._ui_timeout:g} s"
        with self._writing:  # stop() waits for this: the store is closed after it
            if self._stopping.is_set():
                return None
            try:
                self._store.set_mirror_value(MIRROR_KEY, datetime.now().isoformat(timespec="seconds"))
            except CacheError:  # the store has logged its cause
                return "the database does not take writes"
        return None

    def _ui_ok(self) -> bool:
        try:
            return bool(self._ui_answers(self._ui_timeout))
        except UIEnded:
            raise
        except Exception as exc:  # a check that breaks is a check that fails
            log.debug("watchdog: the UI check raised %s", type(exc).__name__)
            return False

    def _failed(self, failure: str) -> None:
        if failure != self._failing:
            log.error("watchdog: %s; withholding systemd's ping until it does", failure)
            self._send(f"STATUS=health check failing: {failure}")
        self._failing = failure

    def _passing(self) -> None:
        if self._failing is not None:
            log.warning("watchdog: health checks pass again; pinging systemd")
            self._send("STATUS=ready")
        self._failing = None

    def _send(self, message: str) -> bool:
        try:
            sd_notify(self.address, message)
        except OSError as exc:
            log.error("watchdog: cannot notify systemd at %s (%s)", self.address, exc.strerror or exc)
            return False
        return True


@contextmanager
def systemd_watchdog(
    environ: Mapping[str, str], ui_answers: Callable[[float], bool], store: Store
) -> Iterator[Watchdog | None]:
    """Run the block with the watchdog systemd asked for (none outside systemd), stopped when the block ends."""
    watchdog = Watchdog.from_environment(environ, ui_answers, store)
    if watchdog is None:
        yield None
        return
    watchdog.start()
    try:
        yield watchdog
    finally:
        watchdog.stop()
