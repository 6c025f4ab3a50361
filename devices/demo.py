"""Demo back-ends: sample codes scanned by the demo keys.

They implement the same interfaces as the wire-level drivers, so the app cannot tell them apart.
"""

from __future__ import annotations

from devices.base import EventCallback, Scanner, ScanReceived


class DemoScanner(Scanner):
    """A scanner whose codes are typed in by :meth:`scan` (the demo key)."""

    def __init__(self) -> None:
        self._on_event: EventCallback | None = None

    def start(self, on_event: EventCallback) -> None:
        self._on_event = on_event

    def stop(self) -> None:
        self._on_event = None

    def scan(self, code: str) -> None:
        if self._on_event:
            self._on_event(ScanReceived(code))
