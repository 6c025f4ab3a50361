from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from kiosk.services import SyncStatus


class StatusBar(Horizontal):
    """Top bar: where you are, the hall connection (in words, never colour alone) and the time."""

    status: reactive[SyncStatus | None] = reactive(None)

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

    def watch_status(self) -> None:
        if self.is_mounted:
            self._show_badge()

    def _show_badge(self) -> None:
        badge = self.query_one("#badge", Static)
        online = self.status is not None and self.status.online
        badge.update(sync_badge(self.status))
        badge.set_class(online, "online")
        badge.set_class(not online, "offline")


def sync_badge(status: SyncStatus | None) -> str:
    """The connection in words: online or not, what waits here and since when."""
    if status is None or not status.enrolled:
        return "○ 未连接大厅"
    if status.paused:
        return f"⚠ 上传暂停，请联系工作人员 · 待上传{status.pending}件"
    if not status.pending:
        return "● 在线 · 已全部上传" if status.online else "○ 离线"
    if status.online:
        return f"● 在线 · 正在上传{status.pending}件"
    return f"○ 离线 · 待上传{status.pending}件（最早{age_text(status.oldest_pending_age_s)}）"


def age_text(seconds: float | None) -> str:
    if seconds is None or seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    if seconds < 86400:
        return f"{int(seconds // 3600)}小时前"
    return f"{int(seconds // 86400)}天前"
