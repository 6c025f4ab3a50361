"""Voice guidance: prompts go to a speaker that never blocks the screen, and silence when espeak-ng is absent.

The real speech program is replaced by small shell scripts that take the same arguments; no audio is played.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from config.settings import AccessibilitySettings
from devices.speaker import EspeakSpeaker, NullSpeaker, RecordingSpeaker, make_speaker
from kiosk.prompts import PROMPTS

SLOW = "慢"  # the fake program holds this prompt for 5 s, as a long sentence would


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for a parent that does not reap counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class FakeEspeak:
    """An executable that speaks by appending its last argument to ``spoken`` when it finishes."""

    def __init__(self, folder: Path, body: str = "") -> None:
        self.folder = folder
        self.path = folder / "fake-espeak"
        self.path.write_text(
            "#!/bin/sh\n"
            f"cd '{folder}'\n"
            "for last; do :; done\n"
            'printf "%s\\n" "$*" >> argv\n'
            f"{body}\n"
            'printf "%s\\n" "$last" >> spoken\n'
        )
        self.path.chmod(0o755)

    def lines(self, name: str) -> list[str]:
        file = self.folder / name
        return file.read_text().splitlines() if file.exists() else []

    @property
    def spoken(self) -> list[str]:
        return self.lines("spoken")


@pytest.fixture
def slow(tmp_path: Path) -> FakeEspeak:
    """Holds SLOW for 5 s in a child process (as a wrapper script around the real program would), others 0.2 s."""
    return FakeEspeak(
        tmp_path,
        f'if [ "$last" = "{SLOW}" ]; then echo $$ > shell.pid; sleep 5 & echo $! > sleep.pid; wait $!; '
        "else sleep 0.2; fi",
    )


def pids(fake: FakeEspeak) -> list[int]:
    return [int(fake.lines(name)[0]) for name in ("shell.pid", "sleep.pid")]


def test_recording_speaker_keeps_prompts_in_order():
    speaker = RecordingSpeaker()
    speaker.say(PROMPTS["welcome"])
    speaker.say(PROMPTS["identify"])
    speaker.close()
    assert speaker.said == [PROMPTS["welcome"], PROMPTS["identify"]]


def test_prompts_are_short_and_cover_every_step():
    steps = {"welcome", "identify", "catalog", "guide", "apply", "review", "done", "queue", "progress", "evaluate"}
    assert steps | {"idle_warning", "wiped"} <= PROMPTS.keys()
    assert all(0 < len(text) <= 25 for text in PROMPTS.values())


def test_espeak_speaker_runs_the_program_with_the_mandarin_voice(tmp_path):
    fake = FakeEspeak(tmp_path)
    speaker = EspeakSpeaker(str(fake.path))
    try:
        speaker.say(PROMPTS["done"])
        wait_for(lambda: fake.spoken)
    finally:
        speaker.close()
    assert fake.spoken == [PROMPTS["done"]]
    assert fake.lines("argv") == [f"-v cmn -s 140 {PROMPTS['done']}"]


def test_an_english_session_is_spoken_with_the_english_voice(tmp_path):
    fake = FakeEspeak(tmp_path)
    speaker = EspeakSpeaker(str(fake.path))
    try:
        speaker.say("Please take your receipt.", "en")
        wait_for(lambda: fake.spoken)
    finally:
        speaker.close()
    assert fake.lines("argv") == ["-v en -s 140 Please take your receipt."]


def test_say_never_blocks_and_a_newer_prompt_stops_the_one_being_spoken(slow):
    speaker = EspeakSpeaker(str(slow.path))
    try:
        started = time.monotonic()
        speaker.say(SLOW)
        assert time.monotonic() - started < 0.1
        wait_for(lambda: slow.lines("sleep.pid"))

        started = time.monotonic()
        speaker.say(PROMPTS["review"])
        assert time.monotonic() - started < 0.1
        wait_for(lambda: slow.spoken)
        assert slow.spoken == [PROMPTS["review"]]  # the resident moved on: the old prompt was cut short
        assert not any(running(pid) for pid in pids(slow))
    finally:
        speaker.close()


def test_a_burst_of_prompts_ends_with_only_the_newest_spoken(slow):
    speaker = EspeakSpeaker(str(slow.path))
    try:
        for key in ("identify", "catalog", "guide", "apply"):
            speaker.say(PROMPTS[key])
        wait_for(lambda: slow.spoken)
        time.sleep(0.3)  # anything else would have finished by now
    finally:
        speaker.close()
    assert slow.spoken == [PROMPTS["apply"]]


def test_close_stops_the_prompt_being_spoken_and_leaves_no_process(slow):
    speaker = EspeakSpeaker(str(slow.path))
    speaker.say(SLOW)
    wait_for(lambda: slow.lines("sleep.pid"))
    started = time.monotonic()
    speaker.close()
    assert time.monotonic() - started < 2
    shell, child = pids(slow)
    assert not running(shell)
    wait_for(lambda: not running(child), timeout=1)  # the signal reached the wrapper's child too
    speaker.say(PROMPTS["done"])  # after close: ignored, and still no exception
    time.sleep(0.3)
    assert slow.spoken == []


def test_a_missing_program_is_logged_once_and_never_raised(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="devices.speaker")
    speaker = EspeakSpeaker(str(tmp_path / "no-such-espeak"))
    speaker.say(PROMPTS["welcome"])
    wait_for(lambda: caplog.records)
    speaker.say(PROMPTS["identify"])
    time.sleep(0.1)
    speaker.close()
    assert len(caplog.records) == 1
    assert "voice guidance is off" in caplog.records[0].getMessage()


def test_a_failing_program_is_logged_once(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="devices.speaker")
    fake = FakeEspeak(tmp_path, "exit 3")
    speaker = EspeakSpeaker(str(fake.path))
    try:
        speaker.say(PROMPTS["welcome"])
        wait_for(lambda: fake.lines("argv"))
        wait_for(lambda: caplog.records)
        speaker.say(PROMPTS["identify"])
        wait_for(lambda: len(fake.lines("argv")) == 2)  # the next prompt is still tried
        time.sleep(0.1)
    finally:
        speaker.close()
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "code 3" in caplog.records[0].getMessage()


def test_make_speaker_is_silent_when_voice_is_off(tmp_path):
    fake = FakeEspeak(tmp_path)
    assert isinstance(make_speaker(AccessibilitySettings(voice=False, voice_command=str(fake.path))), NullSpeaker)


def test_make_speaker_is_silent_when_the_program_is_absent(caplog):
    caplog.set_level(logging.INFO, logger="devices.speaker")
    speaker = make_speaker(AccessibilitySettings(voice_command="no-such-espeak-ng-xyz"))
    assert isinstance(speaker, NullSpeaker)
    speaker.say(PROMPTS["welcome"])
    assert "no-such-espeak-ng-xyz is not installed" in caplog.text


def test_make_speaker_speaks_through_an_installed_program(tmp_path):
    fake = FakeEspeak(tmp_path)
    speaker = make_speaker(AccessibilitySettings(voice_command=str(fake.path)))
    try:
        assert isinstance(speaker, EspeakSpeaker)
        speaker.say(PROMPTS["wiped"])
        wait_for(lambda: fake.spoken)
    finally:
        speaker.close()
    assert fake.spoken == [PROMPTS["wiped"]]
