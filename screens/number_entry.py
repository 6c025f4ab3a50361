"""Elderly mode's way to give a number: the field's name, the digits in large type, and a keypad."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from screens.base import Translated
from screens.widgets.keypad import Keypad


class NumberEntry(Translated, ModalScreen[str | None]):
    """Dismisses with what was keyed in when 确定 is pressed, or None on 取消 (the field keeps its value)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, title: str, value: str, max_length: int, with_x: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.max_length = max_length
        self.with_x = with_x

    def compose(self) -> ComposeResult:
        with Vertical(id="number-box"):
            yield Static(self.title_text, id="number-title", markup=False)
            yield Input(
                self.value,
                id="number-input",
                max_length=self.max_length,
                restrict=r"[0-9xX]*" if self.with_x else r"[0-9.]*",
            )
            yield Keypad(self._("删除"), self._("确定"), with_x=self.with_x, id="number-keys")
            with Horizontal(id="number-actions"):
                yield Button(self._("取消"), id="number-cancel", classes="back")

    def on_mount(self) -> None:
        self.query_one("#number-input", Input).focus()

    def on_keypad_pressed(self, event: Keypad.Pressed) -> None:
        field = self.query_one("#number-input", Input)
        match event.key:
            case "ok":
                self.dismiss(field.value)
            case "delete":
                field.value = field.value[:-1]
            case key if len(field.value) < self.max_length:
                field.value += key
        field.cursor_position = len(field.value)

    @on(Input.Submitted, "#number-input")
    def submitted(self) -> None:
        self.dismiss(self.query_one("#number-input", Input).value)

    @on(Button.Pressed, "#number-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
