from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Static

from config.i18n import _
from kiosk.appointments import is_appointment_code
from kiosk.queue import CATEGORIES, QueueCategory
from kiosk.services import AppointmentRefused, CacheError
from screens.base import KioskScreen
from screens.messages import CardRead, ScanReceived


class QueueScreen(KioskScreen):
    """Take a ticket for a window category, or check in an appointment by scanning its code (预约签到)."""

    TITLE = _("取号")
    STEP = "queue"

    def __init__(self, appointment_code: str = "") -> None:
        super().__init__()
        self.appointment_code = appointment_code

    def compose_body(self) -> ComposeResult:
        with Vertical(id="queue"):
            age = self.services.settings.queue.priority_age
            yield Static(
                self._("请选择要办理的业务类别（年满{age}周岁请先刷身份证，走优先窗口）", age=age),
                classes="prompt",
                id="queue-prompt",
            )
            with Grid(id="categories"):
                for category in CATEGORIES:
                    yield Button(
                        f"{category.letter}  {self._(category.name)}\n{self._(category.covers)}",
                        id=f"cat-{category.letter}",
                        classes="tile",
                    )
            yield Static(id="ticket")
        with Horizontal(classes="actions"):
            yield Button(self._("返回"), id="back", classes="back")

    def on_mount(self) -> None:
        if self.appointment_code:
            self._check_in(self.appointment_code)

    def on_scan_received(self, message: ScanReceived) -> None:
        if is_appointment_code(message.code):
            self._check_in(message.code)
        else:
            self._show(self._("⚠ 这不是预约码。预约签到请扫预约二维码；取号请点下方业务类别。"))

    def _check_in(self, code: str) -> None:
        for button in self.query("#categories Button").results(Button):
            button.disabled = True
        self.check_in(code)

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def check_in(self, code: str) -> None:
        """An appointment checks in: its own priority ticket, marked 预约; or why it cannot."""
        try:
            checked = self.services.check_in(code)
        except AppointmentRefused as exc:
            self.app.call_from_thread(self._show, f"⚠ {self._(exc)}")
            return
        except CacheError as exc:
            self.app.call_from_thread(self._show, self._("⚠ 未能签到：{problem}", problem=exc))
            return
        appointment, ticket = checked.appointment, checked.ticket
        item = self.services.catalog.get(appointment.item_code)
        lines = [
            self._(
                "预约签到成功：{item}（{window}）",
                item=item.name if item else appointment.item_code,
                window=appointment.window,
            ),
            self._("您的号码：{code}（预约，优先窗口）", code=ticket.code),
            self._(checked.ahead.text()),
            self._("请取走号票。") if checked.printed.printed else f"⚠ {self._(checked.printed.message)}",
        ]
        self.app.call_from_thread(self._show, "\n".join(lines))

    def on_card_read(self, message: CardRead) -> None:
        """A card placed here decides the lane: older residents take the priority one."""
        applicant = self.visit.applicant = message.applicant
        if self.services.is_priority(applicant.birth_date):
            text = self._("已读取：{name}。您可走优先窗口，请选择业务类别。", name=applicant.masked_name)
        else:
            text = self._("已读取：{name}。请选择业务类别。", name=applicant.masked_name)
        self.query_one("#queue-prompt", Static).update(text)

    @on(Button.Pressed, "#categories Button")
    def choose(self, event: Button.Pressed) -> None:
        for button in self.query("#categories Button").results(Button):
            button.disabled = True
        letter = event.button.id.removeprefix("cat-")
        applicant = self.visit.applicant
        priority = applicant is not None and self.services.is_priority(applicant.birth_date)
        self.issue(next(c for c in CATEGORIES if c.letter == letter), priority)

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def issue(self, category: QueueCategory, priority: bool) -> None:
        try:
            ticket, ahead, outcome = self.services.take_ticket(category, priority)
        except CacheError as exc:
            self.app.call_from_thread(self._show, self._("⚠ 未能取号：{problem}", problem=exc))
            return
        if priority:
            number = self._("您的号码：{code}（{category}，优先窗口）", code=ticket.code, category=category.name)
        else:
            number = self._("您的号码：{code}（{category}）", code=ticket.code, category=category.name)
        note = self._("请取走号票。") if outcome.printed else f"⚠ {self._(outcome.message)}"
        text = "\n".join([number, self._(ahead.text()), note])  # says whether the hall or this kiosk counted
        self.app.call_from_thread(self._show, text)

    def job_failed(self, group: str) -> bool:
        self._show(self._("⚠ 未能取号，请到咨询台取号，或请工作人员帮助。"))
        return group == "ticket"

    def _show(self, text: str) -> None:
        ticket = self.query_one("#ticket", Static)
        ticket.update(text)
        ticket.add_class("issued")
        self.query_one("#back", Button).label = self._("完成，返回首页")

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.go_home()
