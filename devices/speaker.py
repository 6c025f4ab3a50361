"""The speaker, an output device: short fixed prompts spoken by espeak-ng when it is installed, in Mandarin (or
English, in an English session). What it says is the kiosk's (``kiosk/prompts.py``).

Speaking never blocks the screen and never fails it: a kiosk without the program, or without a sound card, is
simply silent. Only the newest prompt matters, because the resident has moved on by the time an older one
would be heard.

>>> speaker = make_speaker(settings.accessibility)
>>> speaker.say("Please place your ID card on the card reader.", "en")   # returns at once
>>> speaker.close()                    # when the app stops
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
from typing import Protocol

from config.i18n import SOURCE_LANGUAGE, _
from config.settings import AccessibilitySettings

log = logging.getLogger(__name__)

# espeak-ng's voice for each interface language: traditional characters are read in Mandarin too.
VOICES = {"zh_Hans": "cmn", "zh_Hant": "cmn", "en": "en"}


class Speaker(Protocol):
    """Says prompts aloud. ``say`` returns at once and never raises."""

    def say(self, text: str, language: str = SOURCE_LANGUAGE) -> None: ...

    def close(self) -> None: ...


class NullSpeaker:
    """The silent speaker: voice guidance is off, or nothing can speak on this machine."""

    def say(self, text: str, language: str = SOURCE_LANGUAGE) -> None:
        pass

    def close(self) -> None:
        pass


class RecordingSpeaker:
    """Keeps what it was asked to say, in order: for tests, and for a technician's check of the prompts."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.languages: list[str] = []

    def say(self, text: str, language: str = SOURCE_LANGUAGE) -> None:
        self.said.append(text)
        self.languages.append(language)

    def close(self) -> None:
        pass


class EspeakSpeaker:
    """Speaks through ``command -v VOICE -s speed TEXT`` on one daemon thread, VOICE from :data:`VOICES`.

    A new prompt replaces one still waiting and stops one being spoken. A missing program silences the speaker
    for good; a failing run is logged once and the next prompt is tried anyway.
    """

    def __init__(self, command: str = "espeak-ng", speed: int = 140) -> None:
        self._command, self._speed = command, str(speed)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._waiting: tuple[str, str] | None = None  # the text and its espeak-ng voice
        self._process: subprocess.Popen | None = None
        self._interrupted: subprocess.Popen | None = None
        self._closed = False
        self._failure_logged = False
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()

    def say(self, text: str, language: str = SOURCE_LANGUAGE) -> None:
        with self._wake:
            if self._closed:
                return
            self._waiting = text, VOICES.get(language, VOICES[SOURCE_LANGUAGE])
            running = self._process
            self._wake.notify()
        if running is not None:
            self._interrupt(running)

    def close(self) -> None:
        """Stop the worker and whatever it is saying; returns once nothing of ours runs."""
        with self._wake:
            self._closed = True
            self._waiting = None
            running = self._process
            self._wake.notify()
        if running is not None:
            self._interrupt(running)
        self._thread.join(timeout=2)
        if running is not None and running.poll() is None:  # it ignored SIGTERM
            _signal_group(running, signal.SIGKILL)
            self._thread.join(timeout=1)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._waiting is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                (text, voice), self._waiting = self._waiting, None
            try:
                # Its own session, so stopping it also stops whatever a wrapper script started for it.
                process = subprocess.Popen(
                    [self._command, "-v", voice, "-s", self._speed, text],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except OSError as exc:
                log.info("voice guidance is off: cannot run %s (%s)", self._command, exc.strerror or exc)
                with self._lock:
                    self._closed = True
                return
            with self._lock:
                self._process = process
                superseded = self._waiting is not None or self._closed
            if superseded:
                self._interrupt(process)
            code = process.wait()
            with self._lock:
                self._process = None
                interrupted = self._interrupted is process
            if code != 0 and not interrupted and not self._failure_logged:
                self._failure_logged = True
                log.warning(
                    "voice prompt failed: %s exited with code %s (later failures are not logged)", self._command, code
                )

    def _interrupt(self, process: subprocess.Popen) -> None:
        self._interrupted = process
        _signal_group(process, signal.SIGTERM)


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    if process.returncode is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except OSError:  # already gone
        pass


def voice_status(settings: AccessibilitySettings) -> tuple[str, str]:
    """Whether voice guidance can speak, for the technician: ``("ok" | "off" | "fault", what to do)``."""
    if not settings.voice:
        return "off", _("设置中已关闭语音提示")
    if shutil.which(settings.voice_command) is None:
        return "fault", _(
            "找不到语音程序 {command}，长辈模式不会出声：请安装 espeak-ng，或在设置中关闭语音",
            command=settings.voice_command,
        )
    return "ok", ""


def make_speaker(settings: AccessibilitySettings) -> Speaker:
    """The speaker the settings ask for: espeak-ng when voice is on and the program is installed, else silence."""
    if not settings.voice:
        return NullSpeaker()
    if shutil.which(settings.voice_command) is None:
        log.info("voice guidance is off: %s is not installed", settings.voice_command)
        return NullSpeaker()
    return EspeakSpeaker(settings.voice_command)
