"""What every kiosk screen shares: the status bar, the visit, the services and a way home."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen

from kiosk.services import KioskServices
from kiosk.session import Visit
from screens.messages import EndVisit, SyncStatusChanged
from screens.widgets.status_bar import StatusBar


class KioskScreen(Screen):
    """A full screen of the kiosk. Subclasses set ``TITLE`` and compose their body in ``compose_body``."""

    TITLE = ""

    @property
    def services(self) -> KioskServices:
        return self.app.services

    @property
    def visit(self) -> Visit:
        return self.app.visit

    def compose(self) -> ComposeResult:
        yield StatusBar(self.services.settings.station.name, self.TITLE)
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        status = self.app.sync_status
        self.on_sync_status_changed(status)

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self.query_one(StatusBar).status = message.status

    def go_home(self) -> None:
        self.post_message(EndVisit())
