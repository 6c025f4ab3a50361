from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from kiosk.serial import SerialNumberError
from kiosk.services import CacheError, StoredSubmission
from kiosk.session import stage_text, upload_state
from screens.base import KioskScreen
from screens.evaluate import EvaluateScreen
from screens.messages import ScanReceived


class ProgressScreen(KioskScreen):
    """Look up a submission by its serial number, typed or scanned; from there, rate it."""

    TITLE = "查询进度"
    STEP = "progress"

    def __init__(self, serial: str = "", to_evaluate: bool = False) -> None:
        super().__init__()
        self.initial = serial
        self.to_evaluate = to_evaluate
        self.found: StoredSubmission | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="progress"):
            yield Label(
                "请输入回执上的流水号，或将回执二维码对准扫码口" + ("，然后为这笔业务评价" if self.to_evaluate else "")
            )
            with Horizontal(id="serial-row"):
                yield Input(self.initial, id="serial-input", max_length=24, placeholder="例如 DEMO01-261122-0001-D")
                yield Button("查询", id="lookup", classes="primary")
            yield Static(id="progress-result")
        with Horizontal(classes="actions"):
            yield Button("返回", id="back", classes="back")
            yield Button("评价这笔业务", id="rate", classes="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#serial-input", Input).focus()
        if self.initial:
            self.lookup()

    def on_scan_received(self, message: ScanReceived) -> None:
        if "\ufffd" in message.code or not message.code.isprintable():
            self.query_one("#progress-result", Static).update(
                "⚠ 扫到的码无法识别。请把回执二维码放平再扫，或手动输入流水号。"
            )
            return
        self.query_one("#serial-input", Input).value = message.code
        self.lookup()

    @on(Button.Pressed, "#lookup")
    @on(Input.Submitted, "#serial-input")
    def lookup(self) -> None:
        self.query_one("#rate", Button).disabled = True
        self.find(self.query_one("#serial-input", Input).value)

    @work(thread=True, exclusive=True, group="lookup", exit_on_error=False)
    def find(self, text: str) -> None:
        rated = None
        try:
            found = self.services.find(text)
            if found is not None:
                rated = self.services.store.evaluation_of(found.id)
        except (SerialNumberError, CacheError) as exc:
            self.app.call_from_thread(self._show, None, f"⚠ {exc}", None)
            return
        self.app.call_from_thread(self._show, found, "", rated)

    def _show(self, found: StoredSubmission | None, error: str, rated: int | None) -> None:
        self.found = found
        result = self.query_one("#progress-result", Static)
        if error:
            result.update(error)
            return
        if found is None:
            result.update(
                "本机没有这个流水号的记录。在其他窗口或网上办理的业务，请到窗口或拨打 "
                f"{self.services.settings.station.hotline} 查询。"
            )
            return
        m = found.masked
        lines = [
            f"流水号：{found.serial}",
            f"事项：{found.item_name}",
            f"申请人：{m['applicant']}",
            f"提交时间：{found.created_at:%Y-%m-%d %H:%M}",
            f"当前状态：{upload_state(found)}",
        ]
        if found.stage:
            lines.append(f"办理进度：{stage_text(found.stage)}")
        if m.get("decision"):
            lines.append(f"办理结果：{m['decision']}")
        lines.append("评价：已评价" if rated else "评价：尚未评价")
        result.update("\n".join(lines))
        self.query_one("#rate", Button).disabled = rated is not None

    @on(Button.Pressed, "#rate")
    def rate(self) -> None:
        if self.found is not None:
            self.app.push_screen(EvaluateScreen(self.found))

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.dismiss()
