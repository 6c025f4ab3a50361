from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from config.i18n import _
from kiosk.application import Applicant, upload_state
from kiosk.services import CacheError
from screens.base import KioskScreen
from screens.catalog import CatalogScreen
from screens.identify import IdentifyScreen


class StaffDesk(KioskScreen):
    """The agency staff's desk: file for the next applicant, see today's filings here (masked), reprint."""

    TITLE = _("代办工作台")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="staff-desk"):
            with Horizontal(classes="actions"):
                yield Button(self._("为下一位申请人办理"), id="next-applicant", classes="primary")
                yield Button(self._("补打所选回执"), id="reprint")
                yield Button(self._("退出代办"), id="sign-out", classes="back")
            yield Static(self._("今天在本机提交的申请（已隐去个人信息）"), classes="label")
            yield DataTable(id="filed", cursor_type="row", zebra_stripes=True)
            yield Static(id="desk-message", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#filed", DataTable)
        table.add_columns(
            self._("时间"), self._("流水号"), self._("事项"), self._("申请人"), self._("代办人"), self._("上传")
        )
        self.load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    @work(thread=True, exclusive=True, group="desk", exit_on_error=False)
    def load(self) -> None:
        try:
            filed = self.services.filed_today()
        except CacheError as exc:
            self.app.call_from_thread(self._message, f"⚠ {self._(exc)}")
            return
        self.app.call_from_thread(self._show, filed)

    def _show(self, filed) -> None:
        table = self.query_one("#filed", DataTable)
        table.clear()
        for saved in filed:
            agent = saved.masked.get("agent")
            table.add_row(
                f"{saved.created_at:%H:%M}",
                saved.serial,
                self.content(saved.item_name),
                saved.masked.get("applicant", ""),
                agent["name"] if agent else self._("本人"),
                self._(upload_state(saved)).removeprefix("✔ "),
                key=saved.serial,
            )
        if not filed:
            self._message(self._("今天还没有在本机提交的申请"))

    def job_failed(self, group: str) -> bool:
        self._message(self._("⚠ 操作没有完成（详情已记入日志），请再试一次，或请技术员查看。"))
        return group in ("desk", "reprint")

    def _message(self, text: str) -> None:
        self.query_one("#desk-message", Static).update(text)

    @on(Button.Pressed, "#next-applicant")
    def next_applicant(self) -> None:
        self.app.push_screen(IdentifyScreen(), self._identified)

    def _identified(self, applicant: Applicant | None) -> None:
        if applicant is not None:
            self.visit.applicant = applicant
            self.app.push_screen(CatalogScreen(for_applicant=True))

    @on(Button.Pressed, "#reprint")
    def reprint(self) -> None:
        table = self.query_one("#filed", DataTable)
        if table.row_count == 0:
            self._message(self._("没有可补打的回执"))
            return
        serial = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self._message(self._("正在补打 {serial}…", serial=serial))
        self._reprint(serial)

    @work(thread=True, exclusive=True, group="reprint", exit_on_error=False)
    def _reprint(self, serial: str) -> None:
        outcome = self.services.reprint_receipt(serial)
        text = self._("已补打回执 {serial}", serial=serial) if outcome.printed else f"⚠ {self._(outcome.message)}"
        self.app.call_from_thread(self._message, text)

    @on(Button.Pressed, "#sign-out")
    def sign_out(self) -> None:
        self.kiosk.sign_out_staff()
