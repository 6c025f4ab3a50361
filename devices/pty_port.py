"""The device end of a serial cable, on a pseudo-terminal: what the simulators speak through.

A driver opens :attr:`VirtualSerialPort.path` exactly as it would open ``/dev/ttyUSB0``. The path is a symlink
that survives unplugging, so replugging puts a new pty behind the same name, as udev does for real devices.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tty
from pathlib import Path


class VirtualSerialPort:
    """Not thread-safe: the simulator that owns it serialises plug, unplug and writes."""

    def __init__(self, name: str, folder: Path | None = None, nonblocking: bool = False) -> None:
        self._own_folder = folder is None
        self._folder = folder or Path(tempfile.mkdtemp(prefix=f"{name}-"))
        self.path = str(self._folder / name)
        self._nonblocking = nonblocking
        self.master: int | None = None
        """The simulator's end; None while unplugged."""
        self._slave: int | None = None
        self.plug()

    def plug(self) -> None:
        if self.master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing, no CR/LF translation: bytes pass as they are
        if self._nonblocking:
            os.set_blocking(master, False)  # a full pty buffer must not block a sender holding a lock
        link = Path(self.path)
        tmp = link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(link)
        self.master, self._slave = master, slave

    def unplug(self) -> None:
        """The driver's next read or write fails and the path disappears."""
        Path(self.path).unlink(missing_ok=True)
        for fd in (self.master, self._slave):
            if fd is not None:
                os.close(fd)
        self.master = self._slave = None

    def close(self) -> None:
        self.unplug()
        if self._own_folder:
            shutil.rmtree(self._folder, ignore_errors=True)
