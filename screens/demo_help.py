from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from screens.base import Translated


class DemoHelp(Translated, ModalScreen[None]):
    """The demo keys, shown over any screen with F1."""

    def __init__(self, keys: list[tuple[str, str]], data_note: str) -> None:
        super().__init__()
        self.keys = keys
        self.data_note = data_note

    def compose(self) -> ComposeResult:
        rows = "\n".join(f"{key:<8}{what}" for key, what in self.keys)
        with Vertical(id="help-box"):
            yield Static(self._("演示模式按键"), id="help-title")
            yield Static(rows, id="help-keys", markup=False)
            yield Static(self.data_note, id="help-data", markup=False)
            yield Button(self._("关闭"), id="close", classes="primary")

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss()

    def key_escape(self) -> None:
        self.dismiss()
