from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from screens.base import Translated


class IdleWarning(Translated, ModalScreen[bool]):
    """ "还在办理吗？" before the privacy wipe. Any touch keeps the visit; dismisses True to keep it."""

    seconds_left: reactive[int] = reactive(0)

    def __init__(self, seconds_left: int) -> None:
        super().__init__()
        self.set_reactive(IdleWarning.seconds_left, seconds_left)

    def compose(self) -> ComposeResult:
        with Vertical(id="idle-box"):
            yield Static(self._("还在办理吗？"), id="idle-title")
            yield Static(id="idle-count")
            yield Button(self._("继续办理"), id="keep", classes="primary")

    def watch_seconds_left(self, seconds: int) -> None:
        if self.is_mounted:
            self.query_one("#idle-count", Static).update(
                self._("为保护您的信息，{seconds} 秒后将清除本次填写的内容并回到首页。", seconds=seconds)
            )

    def on_mount(self) -> None:
        self.watch_seconds_left(self.seconds_left)

    @on(Button.Pressed, "#keep")
    def keep(self) -> None:
        self.dismiss(True)
