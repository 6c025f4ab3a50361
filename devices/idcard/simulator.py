"""A second-generation ID-card reader that speaks the SAM protocol on a pseudo-terminal.

The driver opens :attr:`CardReaderSimulator.port` (a stable symlink to the current pty) exactly as it would open
``/dev/ttyUSB0``. Cards are placed and lifted with :meth:`present` and :meth:`lift`; faults come on demand::

    >>> sim = CardReaderSimulator(); sim.start()
    >>> sim.faults.garbage = True          # junk bytes before every answer
    >>> sim.present(WANG_XIUYING)
    >>> sim.faults.cut_read = 300          # the next read stops after 300 bytes: the card was pulled away
    >>> sim.flood(noise).wait()            # noise on the line between the answers, as fast as the pty takes it
    >>> sim.unplug(); sim.replug()         # the pty goes away and comes back under the same path

Like a real reader, after a successful read find-card answers "no card" until the card is lifted and placed
again; select-card succeeds only while a card is in the field.
"""

from __future__ import annotations

import os
import random
import select
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from devices.base import IdentityCard
from devices.idcard import codec
from devices.idcard.codec import FrameDecoder, Status
from devices.idcard.records import encode_text
from devices.simulation import SerialSimulator

PHOTO_LEN = 1024


@dataclass
class Faults:
    """What the simulated reader does wrong. Change the fields at any time, from any thread."""

    garbage: bool = False
    """Send random bytes (never a preamble) before every answer."""
    chunk_size: int = 0
    """When above 0, send answers in pieces of this many bytes, ``chunk_delay`` seconds apart."""
    chunk_delay: float = 0.002
    bad_checks: int = 0
    """Corrupt the check byte of this many coming answers."""
    silent: bool = False
    """Read requests and answer nothing."""
    cut_read: int = 0
    """When above 0, the next text-and-photo answer stops after this many bytes and the card leaves the field: a
    card pulled away mid-read. Back to 0 once used."""
    cut_reported: bool = False
    """After a cut, the reader at once sends a complete "read failed" answer rather than falling silent."""


class CardReaderSimulator(SerialSimulator):
    thread_name = "idcard-simulator"

    def __init__(self, folder: Path | None = None, seed: int = 0, pace_baud: int = 0) -> None:
        """``pace_baud``: when above 0, an answer leaves no sooner than a real line at that rate (10 bits a
        byte) would have carried the request to the reader and the answer back; a bare pseudo-terminal moves
        bytes at memory speed."""
        super().__init__("ttyIDCARD", folder)
        self.pace_baud = pace_baud
        self.faults = Faults()
        self.requests: list[codec.Command] = []
        self.bytes_received = 0
        self.bytes_sent = 0
        """What crossed the cable each way, for the load a driver puts on the line."""
        self._random = random.Random(seed)
        self._card: IdentityCard | None = None
        self._photo = b""
        self._state = "none"  # none, new, found, selected, read
        self._flood = bytearray()
        self._flooded = threading.Event()
        self._flooded.set()
        self._flood_due = 0.0  # when paced, the next piece of the flood leaves no sooner than this
        self.bytes_flooded = 0

    # Cards ----------------------------------------------------------------------------------------------

    def present(self, card: IdentityCard, photo: bytes | None = None) -> None:
        """Place ``card`` on the reader. ``photo`` is the raw 1024-byte WLT block (random bytes by default)."""
        with self._lock:
            self._card = card
            self._photo = photo if photo is not None else self._random.randbytes(PHOTO_LEN)
            self._state = "new"

    def lift(self) -> None:
        with self._lock:
            self._card, self._photo, self._state = None, b"", "none"

    # Noise ----------------------------------------------------------------------------------------------

    def flood(self, data: bytes) -> threading.Event:
        """Put ``data`` on the line between the answers: noise from a failing adapter, or a cable laid beside a
        motor. It goes as fast as the pty takes it (no faster than ``pace_baud`` when paced), written by the
        simulator's own thread so it never splits an answer. The event is set once the last byte is written."""
        with self._lock:
            self._flood += data
            self._flooded.clear()
        return self._flooded

    # The loop -------------------------------------------------------------------------------------------

    def _run(self) -> None:
        decoder = FrameDecoder()
        master = None
        while not self._stop.is_set():
            with self._lock:
                if self._cable.master != master:
                    master, decoder = self._cable.master, FrameDecoder()
            if master is None:
                time.sleep(0.01)
                continue
            try:
                pause = self._flood_due - time.monotonic()  # a paced flood waits until the line has carried it
                flooding = bool(self._flood) and pause <= 0
                timeout = min(0.02, pause) if self._flood and not flooding else 0.02
                ready, writable, _ = select.select([master], [master] if flooding else [], [], timeout)
                if writable:
                    self._flood_some(master)
                if not ready:
                    continue
                data = os.read(master, 4096)
                arrived = time.monotonic()
                self.bytes_received += len(data)
            except OSError:  # unplugged under our feet, or the driver closed its end
                time.sleep(0.01)
                continue
            for frame in decoder.feed(data):
                command = frame.as_command()
                if command is None:
                    continue
                self.requests.append(command)
                answer = self._answer(command)
                if answer is not None:
                    # On a real line the request's last byte lands this long after its first left the host.
                    self._send(master, answer, arrived + self._wire_seconds(len(codec.request(command))))

    def _answer(self, command: codec.Command) -> bytes | None:
        if self.faults.silent:
            return None
        with self._lock:
            match (command.cmd, command.para):
                case (0x10, 0xFF) | (0x11, 0xFF) | (0x61, 0xFF):
                    return codec.response(Status.SUCCESS)
                case (0x12, 0xFF):
                    return codec.response(Status.SUCCESS, bytes(range(16)))
                case (0x20, 0x01):
                    if self._state == "new":
                        self._state = "found"
                        return codec.response(Status.FIND_OK, bytes(4))
                    return codec.response(Status.NO_CARD)
                case (0x20, 0x02):
                    if self._state in ("found", "selected", "read"):
                        self._state = "selected" if self._state == "found" else self._state
                        return codec.response(Status.SUCCESS, bytes(8))
                    return codec.response(Status.SELECT_FAILED)
                case (0x30, 0x01):
                    if self._state in ("selected", "read") and self._card is not None:
                        self._state = "read"
                        text = encode_text(self._card)
                        lengths = len(text).to_bytes(2, "big") + len(self._photo).to_bytes(2, "big")
                        return self._cut(codec.response(Status.SUCCESS, lengths + text + self._photo))
                    return codec.response(Status.READ_FAILED)
                case (0x30, 0x03):
                    return codec.response(Status.NO_CONTENT)
                case _:
                    return codec.response(Status.BAD_PARAMETER)

    def _cut(self, answer: bytes) -> bytes:
        """``answer``, or as much of it as left before the card did (called under the lock)."""
        faults = self.faults
        if not faults.cut_read:
            return answer
        answer, faults.cut_read = answer[: faults.cut_read], 0
        self._card, self._photo, self._state = None, b"", "none"
        return answer + codec.response(Status.READ_FAILED) if faults.cut_reported else answer

    def _flood_some(self, master: int) -> None:
        """Write the next piece of the flood; the pty had room for at least part of it."""
        with self._lock:
            piece = bytes(self._flood[: 16 if self.pace_baud else 4096])
        written = os.write(master, piece)
        self._flood_due = max(self._flood_due, time.monotonic()) + self._wire_seconds(written)
        self.bytes_flooded += written
        with self._lock:
            del self._flood[:written]
            if not self._flood:
                self._flooded.set()

    def _wire_seconds(self, n_bytes: int) -> float:
        return n_bytes * 10 / self.pace_baud if self.pace_baud else 0.0

    def _send(self, master: int, answer: bytes, start: float) -> None:
        """Write ``answer``; when paced, each piece leaves once a line started at ``start`` would have carried
        it. One schedule for the whole answer, as a UART clocks bytes back to back: a sleep that overshoots is
        made up by the next one rather than stretching the answer beyond the line's own time."""
        faults = self.faults
        if faults.bad_checks > 0:
            faults.bad_checks -= 1
            answer = answer[:-1] + bytes([answer[-1] ^ 0xFF])
        if faults.garbage:
            junk = bytes(self._random.choice(range(0x00, 0xAA)) for _ in range(self._random.randint(1, 24)))
            answer = junk + answer
        size = faults.chunk_size or (16 if self.pace_baud else len(answer))
        on_wire = start
        try:
            for offset in range(0, len(answer), size):
                piece = answer[offset : offset + size]
                if self.pace_baud:  # not before the piece's last byte would have crossed the line
                    on_wire += self._wire_seconds(len(piece))
                    time.sleep(max(0.0, on_wire - time.monotonic()))
                self.bytes_sent += len(piece)  # counted first: the driver may act on the piece before we go on
                os.write(master, piece)
                if faults.chunk_size:
                    time.sleep(faults.chunk_delay)
                    on_wire += faults.chunk_delay  # a reader that trickles is slower than its line: no catching up
        except OSError:
            pass  # unplugged while answering: the driver sees a cut frame and times out
