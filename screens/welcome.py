from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Static

from config import faults
from config.i18n import LANGUAGES, _
from kiosk.application import Applicant
from kiosk.appointments import is_appointment_code
from kiosk.serial_number import SerialNumber, SerialNumberError
from kiosk.services import CacheError
from screens.base import KioskScreen
from screens.messages import CardRead, CardUnreadable, ScanReceived

# The screens the welcome screen leads to are imported when first opened: its frame does not wait for them.


class WelcomeScreen(KioskScreen):
    """The first screen: five big touch targets, the languages, and nothing of the last visitor."""

    TITLE = _("欢迎使用")
    STEP = "welcome"

    def compose_body(self) -> ComposeResult:
        self.composed_in = self.visit.language
        with Vertical(id="welcome"):
            with Horizontal(id="welcome-top"):
                yield Static(self._("您好，请选择要办理的业务"), id="greeting")
                with Horizontal(id="languages"):
                    for language, name in LANGUAGES.items():
                        # Each language is named in itself, and the current one is ticked: not colour alone.
                        current = language == self.visit.language
                        yield Button(
                            f"✔ {name}" if current else name,
                            id=f"lang-{language}",
                            classes="language current" if current else "language",
                        )
            with Grid(id="menu"):
                yield Button(self._("办  事\n申请办理业务"), id="apply", classes="tile")
                yield Button(self._("取  号\n窗口排队"), id="queue", classes="tile")
                yield Button(self._("查进度\n输入或扫描流水号"), id="progress", classes="tile")
                yield Button(self._("办事指南\n材料、流程、时限"), id="guides", classes="tile")
                yield Button(self._("评  价\n对办理服务打分"), id="evaluate", classes="tile")
            with Horizontal(id="welcome-extra"):
                yield Button(self._("长辈模式  大字 · 语音"), id="elderly", classes="primary")
                yield Button(self._("高对比度"), id="contrast", classes="back")
                yield Button(self._("工作人员代办"), id="staff", classes="back")
            yield Static(
                self._(
                    "放身份证可直接开始办事 · 不会操作请找身边工作人员或拨打 {hotline}",
                    hotline=self.services.settings.station.hotline,
                ),
                id="welcome-hint",
            )
            if data_note := self.kiosk.demo_note:
                yield Static(self._(data_note), id="demo-note")

    @on(Button.Pressed, "#apply")
    def start_apply(self) -> None:
        faults.inject("welcome")
        from screens.identify import IdentifyScreen

        self.app.push_screen(IdentifyScreen(), self._identified)

    def _identified(self, applicant: Applicant | None) -> None:
        if applicant is not None:
            self.visit.applicant = applicant
            self._catalog(for_applicant=True)

    @on(Button.Pressed, ".language")
    async def choose_language(self, event: Button.Pressed) -> None:
        self.kiosk.set_language(event.button.id.removeprefix("lang-"))
        await self.show_language()
        self.query_one(f"#{event.button.id}", Button).focus()

    def on_screen_resume(self) -> None:
        if self.composed_in != self.visit.language:  # the visit that chose another language has ended
            self.call_later(self.show_language)
        else:
            super().on_screen_resume()

    async def show_language(self) -> None:
        await self.recompose()
        super().on_screen_resume()  # the badge and, in elderly mode, the spoken prompt in the new language

    @on(Button.Pressed, "#elderly")
    def elderly(self) -> None:
        self.kiosk.enter_elderly_mode()
        self.guide_elderly()
        self.query_one("#apply", Button).focus()  # the pressed button is gone in elderly mode: start at 办事

    @on(Button.Pressed, "#contrast")
    def contrast(self) -> None:
        self.kiosk.toggle_high_contrast()

    @on(Button.Pressed, "#staff")
    def staff(self) -> None:
        if self.kiosk.staff is not None:
            from screens.staff_desk import StaffDesk

            self.app.push_screen(StaffDesk())
        else:
            self.kiosk.sign_in_staff()

    @on(Button.Pressed, "#queue")
    def take_ticket(self) -> None:
        self._queue()

    @on(Button.Pressed, "#progress")
    def check_progress(self) -> None:
        self._progress()

    @on(Button.Pressed, "#guides")
    def browse_guides(self) -> None:
        self._catalog(for_applicant=False)

    @on(Button.Pressed, "#evaluate")
    def evaluate(self) -> None:
        self._progress(to_evaluate=True)

    def _catalog(self, for_applicant: bool) -> None:
        from screens.catalog import CatalogScreen

        self.app.push_screen(CatalogScreen(for_applicant=for_applicant))

    def _queue(self, appointment_code: str = "") -> None:
        from screens.queue import QueueScreen

        self.app.push_screen(QueueScreen(appointment_code=appointment_code))

    def _progress(self, serial: str = "", to_evaluate: bool = False) -> None:
        from screens.progress import ProgressScreen

        self.app.push_screen(ProgressScreen(serial=serial, to_evaluate=to_evaluate))

    def on_card_read(self, message: CardRead) -> None:
        self.visit.applicant = message.applicant
        self._catalog(for_applicant=True)

    def on_card_unreadable(self, message: CardUnreadable) -> None:
        self.notify(self._(message.text), title=self._("读卡失败"), severity="warning", timeout=10)

    def on_scan_received(self, message: ScanReceived) -> None:
        if is_appointment_code(message.code):
            self._queue(appointment_code=message.code)
            return
        try:
            serial = SerialNumber.parse(message.code)
        except SerialNumberError:
            self.check_code(message.code)
            return
        self._progress(serial=str(serial))

    def job_failed(self, group: str) -> bool:
        self.notify(self._("没能处理这个码，请到咨询台询问。"), severity="warning", timeout=10)
        return group == "scan"

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def check_code(self, code: str) -> None:
        """A queue ticket shows its position; a staff badge signs its holder in; anything else is unreadable."""
        try:
            position = self.services.ticket_position(code)
        except CacheError as exc:
            position = _("暂时查不到排队情况：{problem}", problem=exc)
        if position is None and (agent := self.services.staff_by_badge(code)) is not None:
            self.app.call_from_thread(self.kiosk.staff_signed_in, agent)
            return
        if position is None:
            self.app.call_from_thread(
                self.notify,
                self._("没能识别这个码：它不是回执上的流水号，也不是排队号。请换一张，或到咨询台询问。"),
                title=self._("扫码未识别"),
                severity="warning",
                timeout=10,
            )
        else:
            self.app.call_from_thread(self.notify, self._(position), title=self._("排队号"), timeout=10)
