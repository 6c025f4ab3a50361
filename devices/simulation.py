"""What every simulator shares: its own thread, started and stopped the same way, and for the serial ones the
cable (a pseudo-terminal) that can be pulled out and plugged back in.

    >>> sim = ScannerSimulator().start()   # a SerialSimulator
    >>> sim.unplug(); sim.replug()         # the pty goes away and comes back under the same path
    >>> sim.stop()
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Self

from devices.pty_port import VirtualSerialPort


class SimulatorLoop:
    """A simulator's thread: :meth:`start` runs :meth:`_run` until :meth:`stop`, which then calls
    :meth:`_close`. Subclasses loop while ``not self._stop.is_set()`` and share ``self._lock``."""

    thread_name = "simulator"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close()

    def _run(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """Release what the simulator holds, once its thread has ended."""


class SerialSimulator(SimulatorLoop):
    """A device at the far end of a serial cable: :attr:`port` is the path a driver opens."""

    def __init__(self, cable: str, folder: Path | None = None, nonblocking: bool = False) -> None:
        super().__init__()
        self._cable = VirtualSerialPort(cable, folder, nonblocking=nonblocking)
        self.port = self._cable.path

    def unplug(self) -> None:
        """Pull the cable: the driver's next read or write fails and the port path disappears."""
        with self._lock:
            self._cable.unplug()

    def replug(self) -> None:
        """Plug the cable back in: a new pty behind the same port path."""
        with self._lock:
            self._cable.plug()

    def _close(self) -> None:
        with self._lock:
            self._cable.close()
