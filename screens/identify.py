from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, ContentSwitcher, Input, Label, Static

from config.i18n import _
from kiosk.application import Applicant
from kiosk.identity import IdentityError
from screens.base import KioskScreen
from screens.messages import CardRead, CardUnreadable, ReaderStatus


class IdentifyScreen(KioskScreen):
    """Who is applying: the ID card on the reader, a typed ID number, or an organisation's credit code.

    Dismisses with the :class:`Applicant`, or None when the resident goes back.
    """

    TITLE = _("身份识别")
    STEP = "identify"

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="identify"):
            with Vertical(id="id-modes", classes="side"):
                yield Button(self._("刷身份证"), id="mode-card", classes="mode")
                yield Button(self._("输入身份证号"), id="mode-person", classes="mode")
                yield Button(self._("单位办事"), id="mode-organisation", classes="mode")
                yield Button(self._("返回"), id="back", classes="back")
            with ContentSwitcher(initial="card", id="id-panes"):
                with Vertical(id="card", classes="pane"):
                    yield Static(self._("请将身份证平放在下方读卡区"), classes="prompt")
                    yield Static(self._("▭  读卡区  ▭"), id="card-slot")
                    yield Static(self._(self.kiosk.reader_state.text), id="reader-state")
                with Vertical(id="person", classes="pane"):
                    yield Label(self._("姓名"))
                    yield Input(id="person-name", max_length=30, placeholder=self._("与身份证一致"))
                    yield Label(self._("身份证号码（18位）"))
                    yield Input(
                        id="person-number",
                        max_length=18,
                        restrict=r"[0-9xX]*",
                        placeholder=self._("最后一位可能是 X"),
                    )
                    yield Static(id="person-error", classes="error")
                    yield Button(self._("确定"), id="person-ok", classes="primary")
                with Vertical(id="organisation", classes="pane"):
                    yield Label(self._("单位名称"))
                    yield Input(id="org-name", max_length=60, placeholder=self._("与营业执照一致"))
                    yield Label(self._("统一社会信用代码（18位）"))
                    yield Input(id="org-code", max_length=18, restrict=r"[0-9A-Za-z]*")
                    yield Static(id="org-error", classes="error")
                    yield Button(self._("确定"), id="org-ok", classes="primary")

    @on(Button.Pressed, ".mode")
    def switch_mode(self, event: Button.Pressed) -> None:
        pane = event.button.id.removeprefix("mode-")
        self.query_one(ContentSwitcher).current = pane
        if pane != "card":
            self.query_one(f"#{pane} Input").focus()

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.dismiss(None)

    def on_card_read(self, message: CardRead) -> None:
        message.stop()
        self.notify(self._("已读取：{name}", name=message.applicant.masked_name), timeout=3)
        self.dismiss(message.applicant)

    def on_card_unreadable(self, message: CardUnreadable) -> None:
        self.query_one("#reader-state", Static).update(f"⚠ {self._(message.text)}")

    def on_reader_status(self, message: ReaderStatus) -> None:
        self.query_one("#reader-state", Static).update(self._(message.text))
        if not message.ok:
            self.query_one(ContentSwitcher).current = "person"
            self.query_one("#person-name", Input).focus()

    @on(Input.Submitted, "#person-name")
    @on(Input.Submitted, "#org-name")
    def next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#person-ok")
    @on(Input.Submitted, "#person-number")
    def submit_person(self) -> None:
        name = self.query_one("#person-name", Input).value
        number = self.query_one("#person-number", Input).value
        try:
            applicant = Applicant.typed_person(name, number, self.services.today())
        except IdentityError as exc:
            self.query_one("#person-error", Static).update(f"⚠ {self._(exc)}")
            return
        self.dismiss(applicant)

    @on(Button.Pressed, "#org-ok")
    @on(Input.Submitted, "#org-code")
    def submit_organisation(self) -> None:
        name = self.query_one("#org-name", Input).value
        code = self.query_one("#org-code", Input).value
        try:
            applicant = Applicant.typed_organisation(name, code)
        except IdentityError as exc:
            self.query_one("#org-error", Static).update(f"⚠ {self._(exc)}")
            return
        if not applicant.number_verified:
            self.notify(
                self._("该代码校验位未通过，可能是早期试点代码。已记录，工作人员受理时会核实。"),
                severity="warning",
                timeout=10,
            )
        self.dismiss(applicant)
