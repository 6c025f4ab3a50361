"""A PIN prompt for any protected mode: a masked field and a big keypad a finger can use."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from config.i18n import _
from screens.base import Translated
from screens.widgets.keypad import Keypad

MAX_DIGITS = 12


class PinPrompt(Translated, ModalScreen[bool]):
    """Asks for a PIN and runs ``check(pin)`` off the UI thread (a scrypt check takes a moment): None means
    right and dismisses True; a message is shown under the field. Cancel (or Escape) dismisses False."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, title: str, check: Callable[[str], str | None]) -> None:
        super().__init__()
        self.title_text = title
        self.check = check
        self.checking = False

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Static(self._(self.title_text), id="pin-title", markup=False)
            yield Input(password=True, restrict=r"[0-9]*", max_length=MAX_DIGITS, id="pin-input")
            yield Static(id="pin-error", classes="error", markup=False)
            yield Keypad(self._("删除"), self._("确定"), id="pin-keys")
            with Horizontal(id="pin-actions"):
                yield Button(self._("取消"), id="pin-cancel", classes="back")

    def on_mount(self) -> None:
        self.query_one("#pin-input", Input).focus()

    def on_keypad_pressed(self, event: Keypad.Pressed) -> None:
        field = self.query_one("#pin-input", Input)
        match event.key:
            case "ok":
                self.submit()
            case "delete":
                field.value = field.value[:-1]
            case digit if len(field.value) < MAX_DIGITS:
                field.value += digit
        field.cursor_position = len(field.value)

    @on(Input.Submitted, "#pin-input")
    def submit(self) -> None:
        pin = self.query_one("#pin-input", Input).value
        if self.checking or not pin:
            return
        self.checking = True
        self.query_one("#pin-error", Static).update(self._("正在核对…"))
        self._check(pin)

    @work(thread=True, exclusive=True, group="pin-check", exit_on_error=False)
    def _check(self, pin: str) -> None:
        try:
            problem = self.check(pin)
        except Exception as exc:  # a check that fails must not leave the prompt stuck at "正在核对"
            problem = _("无法核对密码：{problem}", problem=exc)
        self.app.call_from_thread(self._checked, problem)

    def _checked(self, problem: str | None) -> None:
        self.checking = False
        if not self.is_current:  # wiped for idleness, or covered by the idle warning, while checking
            return
        if problem is None:
            self.dismiss(True)
            return
        self.query_one("#pin-error", Static).update(self._(problem))
        field = self.query_one("#pin-input", Input)
        field.value = ""
        field.focus()

    @on(Button.Pressed, "#pin-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
