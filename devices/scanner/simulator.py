"""A serial-mode scanner on a pseudo-terminal, for tests and for running the kiosk without hardware.

The driver opens :attr:`ScannerSimulator.port` (a stable symlink to the current pty) exactly as it would open
``/dev/ttyACM0``. Codes are "scanned" with :meth:`scan`; line faults come on demand::

    >>> sim = ScannerSimulator().start()
    >>> sim.scan("BJ20261123-0042")              # arrives as b"]Q1BJ20261123-0042\\r\\n"
    >>> sim.faults.chunk_size = 3                  # later codes arrive in 3-byte pieces
    >>> sim.send_raw(b"\\xff\\xfe\\r\\n")            # a garbled read
    >>> sim.unplug(); sim.replug()                 # the pty goes away and comes back under the same path

Sending happens on the simulator's own thread, so :meth:`scan` returns at once like a trigger pull. A code sent
while unplugged is lost, as it would be with the cable out.
"""

from __future__ import annotations

import os
import queue
import time
from dataclasses import dataclass
from pathlib import Path

from devices.simulation import SerialSimulator


@dataclass
class ScannerFaults:
    """What the simulated line does wrong. Change the fields at any time, from any thread."""

    chunk_size: int = 0
    """When above 0, send each code in pieces of this many bytes, ``chunk_delay`` seconds apart."""
    chunk_delay: float = 0.002


class ScannerSimulator(SerialSimulator):
    thread_name = "scanner-simulator"

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__("ttySCANNER", folder, nonblocking=True)
        self.faults = ScannerFaults()
        self._outbox: queue.Queue[bytes] = queue.Queue()

    # Scanning -------------------------------------------------------------------------------------------

    def scan(self, code: str, prefix: str = "]Q1", terminator: bytes = b"\r\n", encoding: str = "utf-8") -> None:
        """Send ``code`` as a scanner in serial mode would: prefix, text in ``encoding``, terminator."""
        self._outbox.put((prefix + code).encode(encoding) + terminator)

    def send_raw(self, data: bytes) -> None:
        """Send bytes exactly as given: garbled reads, bare terminators, noise."""
        self._outbox.put(bytes(data))

    # The loop -------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._outbox.get(timeout=0.02)
            except queue.Empty:
                continue
            self._send(data)

    def _send(self, data: bytes) -> None:
        size = self.faults.chunk_size or len(data) or 1
        for start in range(0, len(data), size):
            if start and self.faults.chunk_size:
                time.sleep(self.faults.chunk_delay)
            if not self._write(data[start : start + size]):
                return

    def _write(self, piece: bytes) -> bool:
        """Write all of ``piece``; False when the cable is out (the rest of the code is lost)."""
        while piece and not self._stop.is_set():
            # Under the lock, so unplug() cannot close the fd (and a replug reuse its number) mid-write.
            with self._lock:
                if self._cable.master is None:
                    return False
                try:
                    written = os.write(self._cable.master, piece)
                except BlockingIOError:
                    written = 0
                except OSError:
                    return False
            piece = piece[written:]
            if piece:
                time.sleep(0.005)  # the driver is not reading: wait for room in the pty
        return True
