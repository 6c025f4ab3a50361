"""What the device tests share: a collector of the events a back-end reports from its own thread."""

from __future__ import annotations

import queue
import time


class Events:
    """Collects what a device back-end reports, from its own thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.seen: list = []

    def __call__(self, event) -> None:
        self.seen.append(event)
        self.queue.put(event)

    def next(self, kind, timeout: float = 10.0):
        """The next event of ``kind``, skipping others; fail if none comes in time."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(event, kind):
                return event
        raise AssertionError(f"no {kind.__name__} within {timeout} s")
