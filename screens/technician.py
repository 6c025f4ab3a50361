from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from kiosk.services import SyncStatus
from screens.base import KioskScreen
from screens.messages import SyncStatusChanged
from screens.widgets.status_bar import age_text

_STATES = {"ok": "正常", "fault": "故障"}


class TechnicianScreen(KioskScreen):
    """For the technician: each device's configuration and state, and the hall connection with "sync now"."""

    TITLE = "技术员：设备与上传"

    def compose_body(self) -> ComposeResult:
        with Vertical(id="technician"):
            yield Static("设备", classes="section")
            yield Static(id="devices", markup=False)
            yield Static("上传到政务服务大厅", classes="section")
            yield Static(id="sync", markup=False)
        with Horizontal(classes="actions"):
            yield Button("返回首页", id="home", classes="back")
            yield Button("立即同步", id="sync-now", classes="primary")

    def on_mount(self) -> None:
        self.show_devices()
        self.set_interval(2, self.show_devices)

    def show_devices(self) -> None:
        config = self.services.settings.devices
        health = self.services.device_health
        rows = [
            ("读卡器", config.card_reader_port if config.card_reader == "serial" else "模拟器", health.get("reader")),
            ("打印机", "模拟器" if config.printer.startswith("sim://") else config.printer, health.get("printer")),
            ("扫码器", config.scanner_port if config.scanner == "serial" else "模拟器", health.get("scanner")),
        ]
        lines = []
        for name, where, state in rows:
            shown = _STATES.get(state["state"], state["state"]) if state else "未知"
            detail = f" · {state['detail']}" if state and state.get("detail") else ""
            lines.append(f"{name}  {shown}  （{where}）{detail}")
        self.query_one("#devices", Static).update("\n".join(lines))

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        super().on_sync_status_changed(message)
        self.query_one("#sync", Static).update(sync_lines(message.status))

    @on(Button.Pressed, "#sync-now")
    def sync_now(self) -> None:
        self.query_one("#sync-now", Button).disabled = True
        self.notify("正在同步…", timeout=3)
        self._sync_now()

    @work(thread=True, exclusive=True, group="sync-now", exit_on_error=False)
    def _sync_now(self) -> None:
        self.services.sync.retry_now()
        self.app.call_from_thread(setattr, self.query_one("#sync-now", Button), "disabled", False)

    @on(Button.Pressed, "#home")
    def home(self) -> None:
        self.go_home()


def sync_lines(status: SyncStatus) -> str:
    if not status.enrolled:
        return "本机尚未登记到大厅。登记：kiosk enroll 大厅地址 登记码"
    if status.paused:
        connection = "已暂停：大厅拒绝了本机凭证，请重新登记"
    else:
        connection = "在线" if status.online else "离线"
    oldest = f"（最早{age_text(status.oldest_pending_age_s)}）" if status.pending else ""
    contact = f"{datetime.fromtimestamp(status.last_contact):%m-%d %H:%M:%S}" if status.last_contact else "从未"
    lines = [
        f"大厅地址    {status.hall_url}",
        f"连接        {connection}",
        f"待上传      {status.pending} 件{oldest}",
        f"大厅已收到  {status.acknowledged} 件",
        f"被退回      {status.quarantined} 件（请把数据库交技术支持处理）"
        if status.quarantined
        else "被退回      0 件",
        f"待上传评价  {status.pending_evaluations} 条",
        f"最近联系    {contact}",
    ]
    if status.last_error:
        lines.append(f"最近的错误  {status.last_error}")
    return "\n".join(lines)
