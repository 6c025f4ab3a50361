"""Page buttons beside a scrolling area whose content is longer than the area.

In browser mode a tap is a click and a finger's swipe does not scroll (Textual turns mouse reporting on), and a
swipe is hard for an older hand anyway: the buttons turn a page. They show while the content overflows, each
disabled at its end. (They cannot flicker: showing them narrows the area, which only lengthens the content, and
hiding them widens it, which only shortens it.)

    with Paged(self._("上一页"), self._("下一页")):
        with VerticalScroll(id="guide"):
            yield Static(text)
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button


class Paged(Horizontal):
    """A scrolling area (the child of the ``with`` block) and its page buttons; styled in ``kiosk.tcss``."""

    def __init__(self, up: str, down: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels = (up, down)

    def compose(self) -> ComposeResult:
        up, down = self.labels
        with Vertical(classes="pager"):
            yield Button(f"▲\n{up}", classes="page-up")
            yield Button(f"▼\n{down}", classes="page-down")

    @property
    def area(self) -> Widget:
        """The scrolling area (a scrolling container or an option list): the child given in the ``with`` block."""
        return self.children[0]

    def on_mount(self) -> None:
        self.watch(self.area, "virtual_size", self._update)
        self.watch(self.area, "scroll_y", self._update)

    def on_resize(self) -> None:
        self._update()

    def _update(self) -> None:
        area = self.area
        self.set_class(area.max_scroll_y > 0, "-overflowing")
        self.query_one(".page-up", Button).disabled = area.scroll_y <= 0
        self.query_one(".page-down", Button).disabled = area.scroll_y >= area.max_scroll_y

    @on(Button.Pressed, ".page-up")
    def page_up(self, event: Button.Pressed) -> None:
        event.stop()
        self.area.scroll_page_up()

    @on(Button.Pressed, ".page-down")
    def page_down(self, event: Button.Pressed) -> None:
        event.stop()
        self.area.scroll_page_down()
