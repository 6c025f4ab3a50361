"""Two faults of a reader in the field, against the real driver over a pseudo-terminal: a minute of hostile noise
on the line, and a card pulled away while its record is on the wire."""

from __future__ import annotations

import logging
import random
import threading
import time

import pytest

from config.i18n import Phrase
from devices import CardPlaced, CardReadFailed, CardRemoved, ReaderConnected
from devices.idcard import codec
from devices.idcard.codec import MAX_BODY, PREAMBLE, Status
from devices.idcard.reader import SerialCardReader
from devices.idcard.records import encode_text
from devices.idcard.simulator import PHOTO_LEN, CardReaderSimulator
from devices.samples import WANG_XIUYING
from tests.devices.conftest import Events

LINE_BYTES_PER_SECOND = 115_200 // 10  # 8 data bits, a start and a stop bit
PHOTO = bytes(range(256)) * 4
INTERRUPTED = "读卡中断，请把身份证放稳后重试"


@pytest.fixture
def simulator(tmp_path):
    sim = CardReaderSimulator(tmp_path).start()
    yield sim
    sim.stop()


@pytest.fixture
def events(simulator, caplog):
    caplog.set_level(logging.DEBUG, logger="devices")
    received = Events()
    reader = SerialCardReader(simulator.port, poll_interval=0.02, backoff=(0.05, 0.2), calm_after=0.5)
    reader.start(received)
    received.next(ReaderConnected)
    caplog.clear()  # what the tests count starts here
    yield received
    reader.stop()


def _spoil(frame: bytes, rng: random.Random) -> bytes:
    return frame[:-1] + bytes([frame[-1] ^ rng.randint(1, 255)])


def hostile_noise(size: int, seed: int) -> bytes:
    """``size`` bytes of what a failing line delivers, made to trip a decoder rather than merely random: random
    runs; preambles with absurd lengths; preambles with plausible lengths whose bodies never come; answers a
    reader really sends (a card found, a whole card record) with a bad check; frames of noise whose one-byte check
    passes by chance, as one in 256 does; and runs of preamble fragments."""
    rng = random.Random(seed)
    text = encode_text(WANG_XIUYING)
    record = len(text).to_bytes(2, "big") + PHOTO_LEN.to_bytes(2, "big") + text + bytes(PHOTO_LEN)
    lookalikes = [
        codec.response(Status.FIND_OK, bytes(4)),
        codec.response(Status.NO_CARD),
        codec.response(Status.SUCCESS, bytes(8)),
        codec.response(Status.SUCCESS, record),
    ]
    noise = bytearray()
    while len(noise) < size:
        roll = rng.random()
        if roll < 0.35:
            noise += rng.randbytes(rng.randint(1, 512))
        elif roll < 0.5:
            absurd = rng.choice([0, MAX_BODY + 1, 0xFFFF, rng.randint(MAX_BODY + 1, 0xFFFF)])
            noise += PREAMBLE + absurd.to_bytes(2, "big") + rng.randbytes(rng.randint(0, 16))
        elif roll < 0.7:
            length = rng.randint(1, MAX_BODY)
            noise += PREAMBLE + length.to_bytes(2, "big") + rng.randbytes(rng.randint(0, min(length - 1, 64)))
        elif roll < 0.85:
            noise += _spoil(rng.choice(lookalikes), rng)
        elif roll < 0.9:
            status = bytes([rng.randint(1, 255), rng.randint(0, 255), rng.choice([Status.FIND_OK, Status.SUCCESS])])
            body = status + rng.randbytes(rng.choice([4, 8]))
            length = (len(body) + 1).to_bytes(2, "big")
            noise += PREAMBLE + length + body + bytes([codec.checksum(length + body)])
        else:
            noise += PREAMBLE[: rng.randint(1, 4)] * rng.randint(1, 8)
    return bytes(noise[:size])


class DecoderWatch:
    """What the driver's frame decoder held and examined, measured at every feed on the driver's thread (the
    simulator decodes requests with the same class, on its own thread). The decoder's buffer is the only one the
    driver keeps: pyserial's POSIX port reads straight from the kernel, whose tty buffer is bounded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.peak = 0
        self.examined = 0
        feed = codec.FrameDecoder.feed

        def watched(decoder: codec.FrameDecoder, data: bytes) -> list[codec.Frame]:
            if threading.current_thread().name == "idcard-reader":
                self.peak = max(self.peak, decoder.pending() + len(data))  # held at its fullest, inside feed
                self.examined += len(data)
            return feed(decoder, data)

        monkeypatch.setattr(codec.FrameDecoder, "feed", watched)


def _reader_alive() -> bool:
    return any(thread.name == "idcard-reader" and thread.is_alive() for thread in threading.enumerate())


def _driver_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith("devices")]


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def _same_card(read, expected) -> bool:
    return read.id_number == expected.id_number and read.name == expected.name and read.photo == PHOTO


def test_a_minute_of_hostile_noise_gives_no_card_no_crash_and_two_log_lines(simulator, events, caplog, monkeypatch):
    noise = hostile_noise(LINE_BYTES_PER_SECOND * 60, seed=467)
    watch = DecoderWatch(monkeypatch)

    began = time.monotonic()
    assert simulator.flood(noise).wait(timeout=30), "the flood did not drain"
    flood_seconds = time.monotonic() - began
    assert simulator.bytes_flooded == len(noise) == 691_200

    assert _reader_alive()
    # No false card, no fault: noise is neither a card nor a silent reader (each fault would be a log line in
    # the app, and a reconnection another).
    assert events.seen == [ReaderConnected(f"{simulator.port} @ 115200")]
    # The decoder never holds more than one frame of the largest length it accepts, however long the noise.
    assert 0 < watch.peak <= codec.HEADER_LEN + MAX_BODY
    assert watch.examined > 20_000  # the bound was put to the test, not met by a driver that read nothing

    # The log: one warning as the noise starts, one line with the count once the line is calm; none per frame.
    assert _wait_for(lambda: len(_driver_log(caplog)) >= 2, timeout=5)
    noisy, calm = _driver_log(caplog)
    assert noisy.levelno == logging.WARNING and "noisy" in noisy.getMessage()
    assert calm.levelno == logging.INFO and "calm again" in calm.getMessage()

    placed_at = time.monotonic()
    simulator.present(WANG_XIUYING, PHOTO)
    assert _same_card(events.next(CardPlaced, timeout=3).card, WANG_XIUYING)
    read_seconds = time.monotonic() - placed_at
    assert all(isinstance(event, ReaderConnected | CardPlaced) for event in events.seen)
    assert len(_driver_log(caplog)) == 2
    print(
        f"\nflood: {len(noise)} bytes in {flood_seconds:.2f} s, {watch.examined} examined by the decoder, "
        f"peak held {watch.peak} bytes; {len(_driver_log(caplog))} log lines; card read {read_seconds:.3f} s later"
    )


def test_a_paced_flood_takes_as_long_as_the_line_would(tmp_path):
    sim = CardReaderSimulator(tmp_path, pace_baud=115_200).start()
    try:
        began = time.monotonic()
        assert sim.flood(bytes(LINE_BYTES_PER_SECOND // 5)).wait(timeout=5)
        assert time.monotonic() - began >= 0.2
    finally:
        sim.stop()


# Offsets into the text-and-photo answer: 7 bytes of preamble and length, SW1 SW2 SW3, two 2-byte lengths, then
# the 256-byte text and the 1024-byte photo.
TEXT_AT = codec.HEADER_LEN + 3 + 4
CUTS = {"in-header": 6, "in-text": TEXT_AT + 128, "in-photo": TEXT_AT + 256 + 512}


@pytest.mark.parametrize("reported", [False, True], ids=["then-silence", "then-a-good-frame"])
@pytest.mark.parametrize("cut", CUTS.values(), ids=CUTS.keys())
def test_a_card_pulled_away_mid_read_is_a_failed_read_then_read_when_placed_again(
    simulator, events, caplog, cut, reported
):
    simulator.faults.cut_read, simulator.faults.cut_reported = cut, reported
    placed_at = time.monotonic()
    simulator.present(WANG_XIUYING, PHOTO)

    failed = events.next(CardReadFailed, timeout=6)
    seconds = time.monotonic() - placed_at
    # Silence after the cut waits out the read's 3-second deadline; a good frame right after it is taken at once.
    assert seconds < (1.0 if reported else 4.5)
    assert failed.reason == INTERRUPTED and isinstance(failed.reason, Phrase)  # said in the visit's language
    events.next(CardRemoved)
    assert [type(event) for event in events.seen] == [ReaderConnected, CardReadFailed, CardRemoved]

    (line,) = _driver_log(caplog)
    assert line.levelno == logging.WARNING and "interrupted" in line.getMessage()

    simulator.present(WANG_XIUYING, PHOTO)
    assert _same_card(events.next(CardPlaced, timeout=3).card, WANG_XIUYING)
    assert len(_driver_log(caplog)) == 1
