"""Big number keys a finger can use, for PINs and for numbers in elderly mode."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widgets import Button


class Keypad(Grid):
    """1–9, 0, 删除 and 确定 (and X, the last character of some ID numbers, when ``with_x``).

    The keys never take the focus, so a keyboard works alongside; each press is posted as :class:`Keypad.Pressed`
    with ``key`` one of the digits, ``"X"``, ``"delete"`` or ``"ok"``.
    """

    @dataclass
    class Pressed(Message):
        key: str

    def __init__(self, delete_label: str, ok_label: str, with_x: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="keypad with-x" if with_x else "keypad")
        self.delete_label = delete_label
        self.ok_label = ok_label
        self.with_x = with_x

    def compose(self) -> ComposeResult:
        for key in "123456789":
            yield self._key(key, f"key-{key}")
        if self.with_x:
            yield self._key("X", "key-X")
        else:
            yield self._key(self.delete_label, "key-delete")
        yield self._key("0", "key-0")
        if self.with_x:
            yield self._key(self.delete_label, "key-delete")
        yield self._key(self.ok_label, "key-ok", "primary")

    @staticmethod
    def _key(label: str, id: str, classes: str = "") -> Button:
        button = Button(label, id=id, classes=f"pin-key {classes}".strip())
        button.can_focus = False
        # A button ignores taps during its 0.2 s press flash: "00" tapped quickly would lose a digit. The digit
        # appearing in the field is the feedback here.
        button.active_effect_duration = 0
        return button

    @on(Button.Pressed, ".pin-key")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Pressed(event.button.id.removeprefix("key-")))
