"""A PIN prompt for any protected mode: a masked field and a big keypad a finger can use."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from config.i18n import _
from screens.base import Translated

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
            with Grid(id="pin-keys"):
                for key in "123456789":
                    yield self._key(key, f"key-{key}")
                yield self._key(self._("删除"), "key-delete")
                yield self._key("0", "key-0")
                yield self._key(self._("确定"), "key-ok", "primary")
            with Horizontal(id="pin-actions"):
                yield Button(self._("取消"), id="pin-cancel", classes="back")

    @staticmethod
    def _key(label: str, id: str, classes: str = "") -> Button:
        button = Button(label, id=id, classes=f"pin-key {classes}".strip())
        button.can_focus = False  # the field keeps the focus, so a keyboard works alongside the keypad
        return button

    def on_mount(self) -> None:
        self.query_one("#pin-input", Input).focus()

    @on(Button.Pressed, ".pin-key")
    def key(self, event: Button.Pressed) -> None:
        field = self.query_one("#pin-input", Input)
        match event.button.id:
            case "key-ok":
                self.submit()
            case "key-delete":
                field.value = field.value[:-1]
            case key if len(field.value) < MAX_DIGITS:
                field.value += key.removeprefix("key-")
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
