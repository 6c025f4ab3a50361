from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from config.i18n import _
from kiosk.application import CASE_STAGES, materials_text, payment_text, stage_text, upload_state
from kiosk.serial_number import SerialNumberError
from kiosk.services import CacheError, CaseProgress, StoredSubmission
from screens.base import KioskScreen
from screens.evaluate import EvaluateScreen
from screens.messages import ScanReceived


class ProgressScreen(KioskScreen):
    """Look up a submission by its serial number, typed or scanned; from there, rate it."""

    TITLE = _("查询进度")
    STEP = "progress"

    def __init__(self, serial: str = "", to_evaluate: bool = False) -> None:
        super().__init__()
        self.initial = serial
        self.to_evaluate = to_evaluate
        self.found: StoredSubmission | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="progress"):
            if self.to_evaluate:
                yield Label(self._("请输入回执上的流水号，或将回执二维码对准扫码口，然后为这笔业务评价"))
            else:
                yield Label(self._("请输入回执上的流水号，或将回执二维码对准扫码口"))
            with Horizontal(id="serial-row"):
                yield Input(
                    self.initial, id="serial-input", max_length=24, placeholder=self._("例如 DEMO01-261122-0001-D")
                )
                yield Button(self._("查询"), id="lookup", classes="primary")
            yield Static(id="progress-result")
        with Horizontal(classes="actions"):
            yield Button(self._("返回"), id="back", classes="back")
            yield Button(self._("评价这笔业务"), id="rate", classes="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#serial-input", Input).focus()
        if self.initial:
            self.lookup()

    def on_scan_received(self, message: ScanReceived) -> None:
        if "\ufffd" in message.code or not message.code.isprintable():
            self.query_one("#progress-result", Static).update(
                self._("⚠ 扫到的码无法识别。请把回执二维码放平再扫，或手动输入流水号。")
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
        """This kiosk's record, and the hall's when it answers: a case filed elsewhere is found there too."""
        rated = None
        try:
            progress = self.services.progress(text)
            if progress.local is not None:
                rated = self.services.evaluation_of(progress.local)
        except (SerialNumberError, CacheError) as exc:
            self.app.call_from_thread(self._failed, f"⚠ {self._(exc)}")
            return
        self.app.call_from_thread(self._show, progress, rated)

    def job_failed(self, group: str) -> bool:
        self.query_one("#progress-result", Static).update(
            self._(
                "⚠ 暂时查不到，请稍后再试，或到窗口、拨打 {hotline} 查询。",
                hotline=self.services.settings.station.hotline,
            )
        )
        return group == "lookup"

    def _failed(self, text: str) -> None:
        self.found = None
        self.query_one("#progress-result", Static).update(text)

    def _show(self, progress: CaseProgress, rated: int | None) -> None:
        found, hall = progress.local, progress.hall
        self.found = found
        result = self.query_one("#progress-result", Static)
        hotline = self.services.settings.station.hotline
        if found is None and hall is None:
            if progress.online:
                result.update(
                    self._(
                        "没有找到这个流水号，请核对回执上的号码。有疑问请到窗口或拨打 {hotline} 查询。", hotline=hotline
                    )
                )
            else:
                result.update(
                    self._(
                        "本机没有这个流水号的记录，现在也连不上政务服务中心。在其他窗口或网上办理的业务，"
                        "请联网后再查，或到窗口、拨打 {hotline} 查询。",
                        hotline=hotline,
                    )
                )
            return
        lines = [self._("流水号：{serial}", serial=found.serial if found else hall["serial"])]
        if found is not None:
            lines += [
                self._("事项：{item}", item=found.item_name),
                self._("申请人：{name}", name=found.masked["applicant"]),
                self._("提交时间：{time}", time=found.created_at.strftime("%Y-%m-%d %H:%M")),
                self._("当前状态：{state}", state=upload_state(found)),
            ]
        elif hall.get("item_name"):
            lines.append(self._("事项：{item}", item=hall["item_name"]))
        if hall is not None:
            lines.append(self._("办理进度：{stage}", stage=stage_text(hall["stage"])))
            if hall.get("outcome") == "returned":
                lines.append(
                    self._(
                        "⚠ 需要补交材料：{what}。请带齐后到窗口，或拨打 {hotline}。",
                        what=hall.get("outcome_note", "").rstrip("。."),
                        hotline=hotline,
                    )
                )
            elif hall.get("outcome") == "refused":
                lines.append(
                    self._(
                        "⚠ 不予受理：{reason}。有疑问请到窗口或拨打 {hotline}。",
                        reason=hall.get("outcome_note", "").rstrip("。."),
                        hotline=hotline,
                    )
                )
        elif found.stage:
            lines.append(self._("办理进度：{stage}", stage=stage_text(found.stage)))
            if not progress.online and found.stage_at is not None and found.stage != CASE_STAGES[-1]:
                lines.append(self._("（截至 {time}，联网后更新）", time=found.stage_at.strftime("%m-%d %H:%M")))
        if found is not None:
            lines += [self._(text) for text in (payment_text(found), materials_text(found)) if text]
            if decision := found.masked.get("decision"):
                lines.append(self._("办理结果：{decision}", decision=decision))
            lines.append(self._("评价：已评价") if rated else self._("评价：尚未评价"))
        result.update("\n".join(lines))
        self.query_one("#rate", Button).disabled = found is None or rated is not None

    @on(Button.Pressed, "#rate")
    def rate(self) -> None:
        if self.found is not None:
            self.app.push_screen(EvaluateScreen(self.found))

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.dismiss()
