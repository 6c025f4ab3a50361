from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from kiosk.paper import qr_rows


class QrCode(Static):
    """A QR code drawn with half blocks: light modules are lit cells, so it scans off a dark screen."""

    data: reactive[str] = reactive("")

    def watch_data(self, data: str) -> None:
        self.update("\n".join(qr_rows(data)) if data else "")
