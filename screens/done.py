from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from config.i18n import _
from kiosk.application import payment_text, upload_state
from kiosk.services import RECEIPT_FAILED, PrintOutcome
from screens.base import KioskScreen
from screens.evaluate import EvaluateScreen
from screens.messages import SyncStatusChanged
from screens.widgets.qr_code import QrCode


class DoneScreen(KioskScreen):
    """The submission is saved: its serial number and QR stay on screen whatever the printer does. A receipt that
    did not print can be printed again here, marked 补打 when an earlier copy may be on paper."""

    TITLE = _("提交成功")
    STEP = "done"

    def compose_body(self) -> ComposeResult:
        saved = self.visit.saved
        with Horizontal(id="done"):
            with Vertical(id="done-text"):
                yield Static(self._("✔ 申请已保存"), id="done-title")
                yield Static(self._("流水号"), classes="label")
                yield Static(saved.serial, id="serial")
                if decision := saved.masked["decision"]:
                    yield Static(self._("即时办结：{decision}", decision=decision), id="decision")
                if missing := saved.masked.get("missing_materials"):
                    yield Static(
                        self._(
                            "材料待补：{materials}。补齐后请交到窗口，回执上也列出了。",
                            materials=self.kiosk.translator.join(self.content(m) for m in missing),
                        ),
                        id="missing",
                    )
                if posted := saved.masked.get("materials_by_post"):
                    yield Static(
                        self._(
                            "请把这些材料随邮寄单免费寄出：{materials}",
                            materials=self.kiosk.translator.join(self.content(m) for m in posted),
                        ),
                        id="posting",
                    )
                yield Static(self._("请凭流水号查询进度、领取结果。"), classes="hint")
                yield Static(self._("正在打印回执…"), id="print-state")
                yield Static(self._(upload_state(saved)), id="upload-state")
                if saved.masked.get("fee_cents"):
                    yield Static(self._(payment_text(saved)), id="payment-state")
                    yield Static(self._("扫右边的缴费码缴费，也可到窗口缴费"), classes="hint")
            yield QrCode(id="qr")
            if saved.masked.get("fee_cents"):  # beside the serial's code: the screen is not tall enough for two
                with Vertical(id="pay"):
                    yield Static(self._("缴费码"), classes="label")
                    yield QrCode(id="pay-qr")
        with Horizontal(classes="actions"):
            yield Button(self._("返回首页"), id="home", classes="back")
            yield Button(self._("重新打印回执"), id="reprint")  # shown once a print has failed
            yield Button(self._("评价本次服务"), id="rate", classes="primary")

    def on_mount(self) -> None:
        saved = self.visit.saved
        self.query_one("#qr", QrCode).data = saved.serial
        if pay := self.query("#pay-qr"):
            pay.first(QrCode).data = self.services.payment_url(saved)
        self.print_receipt()

    @work(thread=True, exclusive=True, group="print", exit_on_error=False)
    def print_receipt(self) -> None:
        outcome = self.services.print_receipt(self.visit.saved)
        self.app.call_from_thread(self.show_print, outcome)

    def show_print(self, outcome: PrintOutcome) -> None:
        """Say how the print went; after a failure, offer to print again."""
        text = self._("回执已打印，请取走。") if outcome.printed else f"⚠ {self._(outcome.message)}"
        self.update_text("#print-state", text)
        self.query_one("#reprint").display = not outcome.printed

    @on(Button.Pressed, "#reprint")
    def reprint(self) -> None:
        self.query_one("#reprint").display = False  # one job at a time: the button returns if this one fails
        self.update_text("#print-state", self._("正在打印回执…"))
        self.print_receipt()

    def job_failed(self, group: str) -> bool:
        if group == "print":
            self.show_print(PrintOutcome(False, RECEIPT_FAILED))
        return group in ("print", "upload")  # the upload state simply stays as it was

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        super().on_sync_status_changed(message)
        self.follow_upload()

    @work(thread=True, exclusive=True, group="upload", exit_on_error=False)
    def follow_upload(self) -> None:
        """The hall's receipt arrives on the sync thread: show it as soon as the store has it."""
        saved = self.services.find(self.visit.saved.serial)
        if saved is not None:
            self.app.call_from_thread(self.update_text, "#upload-state", self._(upload_state(saved)))
            if saved.masked.get("fee_cents"):
                self.app.call_from_thread(self.update_text, "#payment-state", self._(payment_text(saved)))

    @on(Button.Pressed, "#rate")
    def rate(self) -> None:
        self.app.switch_screen(EvaluateScreen(self.visit.saved))

    @on(Button.Pressed, "#home")
    def home(self) -> None:
        self.go_home()
