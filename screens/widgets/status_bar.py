from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Horizontal):
    """Top bar: where you are, the hall connection (in words, never colour alone) and the time."""

    online: reactive[bool] = reactive(False)
    pending: reactive[int] = reactive(0)

    def __init__(self, station: str, title: str) -> None:
        super().__init__()
        self.station = station
        self.title = title

    def compose(self) -> ComposeResult:
        yield Static(self.station, id="station")
        yield Static(self.title, id="screen-title")
        yield Static(id="badge")
        yield Static(id="clock")

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(15, self._tick)
        self._show_badge()

    def _tick(self) -> None:
        self.query_one("#clock", Static).update(f"{self.app.services.now():%H:%M}")

    def watch_online(self) -> None:
        if self.is_mounted:
            self._show_badge()

    def watch_pending(self) -> None:
        if self.is_mounted:
            self._show_badge()

    def _show_badge(self) -> None:
        badge = self.query_one("#badge", Static)
        waiting = f" · 待上传{self.pending}件" if self.pending else ""
        badge.update(("● 在线" if self.online else "○ 离线") + waiting)
        badge.set_class(self.online, "online")
        badge.set_class(not self.online, "offline")
