from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from config.i18n import Translator, _
from kiosk.services import SyncStatus


class StatusBar(Horizontal):
    """Top bar: where you are, the hall connection (in words, never colour alone) and the time."""

    status: reactive[SyncStatus | None] = reactive(None)

    def __init__(self, station: str, title: str, tr: Translator, now: Callable[[], datetime]) -> None:
        super().__init__()
        self.now = now
        self.station = station
        self.title = title
        self.tr = tr

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
        self.query_one("#clock", Static).update(f"{self.now():%H:%M}")

    def watch_status(self) -> None:
        if self.is_mounted:
            self._show_badge()

    def _show_badge(self) -> None:
        badge = self.query_one("#badge", Static)
        online = self.status is not None and self.status.online
        badge.update(self.tr(sync_badge(self.status)))
        badge.set_class(online, "online")
        badge.set_class(not online, "offline")


def sync_badge(status: SyncStatus | None) -> str:
    """The connection in words: online or not, what waits here and since when."""
    if status is None or not status.enrolled:
        return _("○ 未连接大厅")
    if status.paused:
        return _("⚠ 上传暂停，请联系工作人员 · 待上传{n}件", n=status.pending)
    if not status.pending:
        return _("● 在线 · 已全部上传") if status.online else _("○ 离线")
    if status.online:
        return _("● 在线 · 正在上传{n}件", n=status.pending)
    return _("○ 离线 · 待上传{n}件（最早{age}）", n=status.pending, age=age_text(status.oldest_pending_age_s))


def age_text(seconds: float | None) -> str:
    if seconds is None or seconds < 60:
        return _("刚刚")
    if seconds < 3600:
        return _("{n}分钟前", n=int(seconds // 60))
    if seconds < 86400:
        return _("{n}小时前", n=int(seconds // 3600))
    return _("{n}天前", n=int(seconds // 86400))
