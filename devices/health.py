"""Each device's last known health: one typed record per device, kept by the devices layer.

Device threads, print jobs and the speaker report here; the app, the technician's screen and the heartbeat to
the hall read it. Safe from any thread.

    >>> health = DeviceHealth()
    >>> health.report("printer", "fault", "缺纸")
    >>> health.get("printer").state
    'fault'
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

State = Literal["ok", "fault", "off"]
DEVICES = ("reader", "printer", "scanner", "voice")


@dataclass(frozen=True, slots=True)
class DeviceState:
    """What a device last said of itself: ``detail`` is for the technician (a port, a fault's reason)."""

    device: str
    state: State
    detail: str
    at: float
    """Unix time of the report."""

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "detail": self.detail}


class DeviceHealth:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, DeviceState] = {}

    def report(self, device: str, state: State, detail: str = "") -> None:
        if device not in DEVICES:
            raise ValueError(f"unknown device {device!r}")
        with self._lock:
            self._states[device] = DeviceState(device, state, detail, time.time())

    def get(self, device: str) -> DeviceState | None:
        with self._lock:
            return self._states.get(device)

    def snapshot(self) -> dict[str, DeviceState]:
        """Every device heard from so far, in the order of :data:`DEVICES`."""
        with self._lock:
            return {name: self._states[name] for name in DEVICES if name in self._states}

    def as_dict(self) -> dict[str, dict[str, str]]:
        """``{"printer": {"state": "ok", "detail": …}, …}``: what the heartbeat tells the hall's fleet view."""
        return {name: state.as_dict() for name, state in self.snapshot().items()}
