"""The kiosk on the machine's screen: what ``kiosk display`` runs inside the cage compositor
(``deploy/kiosk.service``), chosen by ``[display] mode``.

- ``terminal``: the foot terminal with a CJK font at ``font_px`` pixels, running ``kiosk run``; cage shows it
  full-screen. foot is replaced into this process (cage's only client), ``kiosk run`` is its child.
- ``browser``: ``kiosk serve`` on loopback, then Chromium full-screen on its page (taps are clicks); both are
  children of this process, and when either ends the other is stopped and the display exits non-zero, so that
  systemd starts the whole display again.

systemd's watchdog is fed by the kiosk itself (``kiosk/watchdog.py``: only the UI knows whether it answers), a
grandchild of the unit's main process (cage). So the unit says ``NotifyAccess=all`` and the display drops
``WATCHDOG_PID`` (it names cage) from what it passes down; a UI that never comes up sends nothing and systemd
restarts the display.

    >>> run_terminal(terminal_command(settings.display, kiosk_argv(config)))       # returns only on failure
"""

from __future__ import annotations

import logging
import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from config.settings import DisplaySettings

log = logging.getLogger(__name__)

# foot takes a list: the first family that has a character draws it. WenQuanYi Zen Hei Mono draws Latin and CJK
# at one cell and two (fonts-wqy-zenhei, what the README's table was measured with); the others are fallbacks.
TERMINAL_FONTS = ("WenQuanYi Zen Hei Mono", "Noto Sans Mono CJK SC", "HanaMinA", "monospace")
BROWSER_FLAGS = (
    "--kiosk",  # full-screen, no address bar, no way out by keyboard shortcuts
    "--noerrdialogs",
    "--no-first-run",
    "--disable-translate",
    "--disable-features=TranslateUI",
    "--disable-pinch",  # a resident's two fingers must not zoom the kiosk out of its layout
    "--overscroll-history-navigation=0",  # nor a swipe go back to a blank page
    "--ozone-platform=wayland",
)
SERVER_START_SECONDS = 30.0


def kiosk_argv(config: Path | None, demo_dir: Path | None = None) -> list[str]:
    """This Python's ``kiosk run`` (or ``kiosk demo`` on one data folder, kept from one session to the next)."""
    command = [sys.executable, "-m", "kiosk"]
    if demo_dir is not None:
        return [*command, "demo", "--data-dir", str(demo_dir)]
    return [*command, *(["--config", str(config)] if config else []), "run"]


def kiosk_command(config: Path | None, demo_dir: Path | None = None) -> str:
    """:func:`kiosk_argv` as one shell command line (what textual-serve runs for each browser session)."""
    return shlex.join(kiosk_argv(config, demo_dir))


def terminal_command(display: DisplaySettings, kiosk: list[str]) -> list[str]:
    """foot running ``kiosk`` with a CJK font at the configured size."""
    fonts = ",".join(f"{family}:pixelsize={display.font_px}" for family in TERMINAL_FONTS)
    return ["foot", "--font", fonts, "--", *kiosk]


def page_url(display: DisplaySettings) -> str:
    return f"http://127.0.0.1:{display.port}/?fontsize={display.font_px}"


def browser_command(display: DisplaySettings, profile: Path) -> list[str]:
    """Chromium full-screen on the page of ``kiosk serve``, its profile (cache, settings) in ``profile``."""
    # The page as a plain argument: with --app as well, Chromium 156 opens the app's window and quits.
    return ["chromium", *BROWSER_FLAGS, f"--user-data-dir={profile}", page_url(display)]


def serve_command(config: Path | None, demo_dir: Path | None = None) -> list[str]:
    command = [sys.executable, "-m", "kiosk", *(["--config", str(config)] if config else []), "serve"]
    return [*command, "--demo", "--data-dir", str(demo_dir)] if demo_dir is not None else command


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """What the display passes down: all of ``environ`` but ``WATCHDOG_PID``, which names the unit's main process
    (cage), so that the kiosk, a grandchild, may feed the watchdog (the unit says ``NotifyAccess=all``)."""
    return {name: value for name, value in environ.items() if name != "WATCHDOG_PID"}


def run_terminal(command: list[str]) -> int:
    """Become ``command`` (foot running the kiosk); returns only when it cannot be started."""
    log.info("display: %s", shlex.join(command))
    try:
        os.execvpe(command[0], command, child_environment(os.environ))
    except OSError as exc:
        log.error("display: cannot start %s (%s)", command[0], exc.strerror or exc)
        print(f"kiosk: cannot start {command[0]}: {exc.strerror or exc} (apt-get install foot)", file=sys.stderr)
    return 1


def run_browser(port: int, serve: list[str], command: list[str]) -> int:
    """Start ``serve`` (``kiosk serve``), then ``command`` (Chromium) once ``port`` answers; when either ends,
    stop the other and return 1 (the display is meant to run for ever: its end is a fault for systemd to restart)."""
    environment = child_environment(os.environ)
    server = subprocess.Popen(serve, env=environment)
    browser = None
    try:
        if not _wait_for_port(port, server):
            log.error("display: kiosk serve did not answer on port %d", port)
            return 1
        log.info("display: %s", shlex.join(command))
        try:
            browser = subprocess.Popen(command, env=environment)
        except OSError as exc:
            log.error("display: cannot start chromium (%s)", exc.strerror or exc)
            print(f"kiosk: cannot start chromium: {exc.strerror or exc} (apt-get install chromium)", file=sys.stderr)
            return 1
        while server.poll() is None and browser.poll() is None:
            time.sleep(0.5)
        ended = "kiosk serve" if server.poll() is not None else "chromium"
        log.error("display: %s ended; stopping the display so that it starts again", ended)
        return 1
    finally:
        for child in (browser, server):
            if child is not None and child.poll() is None:
                child.terminate()
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()


def _wait_for_port(port: int, server: subprocess.Popen) -> bool:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False
